/**
 * What IAM enforcement costs the local cloud, per call (a benchmark, not a test): `npx ts-node
 * --transpile-only scripts/iamCost.ts`. Prints the first evaluation (iam-data loading), a fresh evaluation
 * by iam-simulate, a gate's check of a call whose decision it has seen (what nearly every call costs), and
 * the extra loopback hop of a gate that proxies (SQS, Step Functions) against calling the server directly.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import { Authorizer, Gate, assumeRole, startGateProxy } from '../local/iamGate';

const ACCOUNT = '123456789012';
const table = (name: string) => `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/${name}`;
const policy = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], Resource: [table('dofs-orders')] },
  ],
};
const principal = assumeRole({ name: 'dofs-store-order-role', arn: '', policies: [{ name: 'p', document: policy }] }, 'dofs-store-order');
const setup = { account: ACCOUNT, region: 'eu-west-1', principals: [principal] };

const perCall = async (n: number, call: (i: number) => Promise<unknown>): Promise<number> => {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await call(i);
  return Number(process.hrtime.bigint() - start) / 1e6 / n;
};

const main = async () => {
  const authorizer = new Authorizer(setup);
  const start = process.hrtime.bigint();
  await authorizer.authorize(principal, 'dynamodb:PutItem', table('dofs-orders'));
  console.log(`first evaluation (loads the DynamoDB service data): ${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(1)} ms`);
  // A new resource each time: no decision is reused.
  const fresh = await perCall(500, (i) => authorizer.authorize(principal, 'dynamodb:PutItem', table(`t${i}`)));
  console.log(`a fresh evaluation (iam-simulate): ${fresh.toFixed(3)} ms`);

  const gate = new Gate('dynamodb');
  gate.use(setup);
  const request = {
    headers: {
      authorization: `AWS4-HMAC-SHA256 Credential=${principal.accessKeyId}/20260101/eu-west-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x`,
      'x-amz-target': 'DynamoDB_20120810.PutItem',
      'content-type': 'application/x-amz-json-1.0',
    },
    url: '/',
    body: Buffer.from(JSON.stringify({ TableName: 'dofs-orders', Item: { orderId: { S: 'o-1' }, status: { S: 'ACCEPTED' } } })),
  };
  await gate.check(request);
  const warm = await perCall(20_000, () => gate.check(request));
  console.log(`a gate's check of a call it has decided before (parse, derive, look up): ${(warm * 1000).toFixed(1)} µs`);

  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('{}'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const direct = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const proxy = await startGateProxy(direct, gate);
  const agent = new http.Agent({ keepAlive: true });
  const post = (url: string) =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', headers: request.headers, agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end(request.body);
    });
  await perCall(500, () => post(direct));
  await perCall(500, () => post(proxy.endpoint));
  const viaDirect = await perCall(3000, () => post(direct));
  const viaProxy = await perCall(3000, () => post(proxy.endpoint));
  console.log(
    `a call straight to a server: ${viaDirect.toFixed(3)} ms; through a gate's proxy: ${viaProxy.toFixed(3)} ms (the hop: ${(viaProxy - viaDirect).toFixed(3)} ms)`,
  );
  agent.destroy();
  await proxy.stop();
  server.close();
};

void main();
