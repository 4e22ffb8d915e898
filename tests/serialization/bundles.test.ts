/**
 * Only this proves the inline code runs: for every function, the archive the program hands to Pulumi
 * (the generated __index.js and the node_modules it ships) is written to disk, loaded in a fresh Node
 * process with that function's own environment variables, and invoked. The AWS SDK comes from a
 * separate "runtime layer" directory, as the nodejs22.x runtime provides it; nothing else can leak in.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { writeBundle } from '../../local/bundles';
import { inFlightKeyOf } from '../../runtime/inFlightIndex';
import { ROOT, synth } from '../infra/harness';
import { type Dynamo, startDynamo } from '../support/dynamo';
import { apiEvent, sqsRecord } from '../support/events';

type Synth = Awaited<ReturnType<typeof synth>>;
const WORK = path.join(os.tmpdir(), `dofs-bundles-${process.pid}`);
const SDK_LAYER = path.join(WORK, 'aws-sdk-layer', 'node_modules');

let s: Synth;
let dynamo: Dynamo;
let sfn: http.Server;
let sfnUrl: string;
const startExecutions: { name: string; input: string; stateMachineArn: string }[] = [];
const bundles: Record<string, string> = {};

beforeAll(async () => {
  s = await synth('dev');
  fs.mkdirSync(SDK_LAYER, { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'node_modules', '@aws-sdk'), path.join(SDK_LAYER, '@aws-sdk'));
  const fns = {
    'api-handler': s.dofs.components.api.apiHandler.function,
    validator: s.dofs.components.orchestrator.validator.function,
    'store-order': s.dofs.components.orchestrator.storeOrder.function,
    fulfillment: s.dofs.components.queue.fulfillment.function,
    'dlq-handler': s.dofs.components.queue.dlqHandler.function,
  };
  for (const [name, fn] of Object.entries(fns)) {
    bundles[name] = path.join(WORK, name);
    await writeBundle(fn, bundles[name]);
  }
  dynamo = await startDynamo('dofs-orders', 'dofs-failed-orders');
  // A Step Functions endpoint that accepts StartExecution (awsJson1_0) and records it.
  sfn = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const parsed = JSON.parse(body);
      startExecutions.push(parsed);
      res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify({ executionArn: `${parsed.stateMachineArn}:${parsed.name}`, startDate: Date.now() / 1000 }));
    });
  });
  await new Promise<void>((r) => sfn.listen(0, '127.0.0.1', r));
  sfnUrl = `http://127.0.0.1:${(sfn.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await dynamo?.stop();
  await new Promise((r) => sfn?.close(r));
  if (!process.env.KEEP_BUNDLES) fs.rmSync(WORK, { recursive: true, force: true });
});

/** The function's environment as declared in the program, pointed at the local emulators. */
const envOf = (fnName: string): Record<string, string> => {
  const fn = s.named('aws:lambda/function:Function', fnName);
  return {
    ...(fn.inputs.environment?.variables ?? {}),
    PATH: process.env.PATH ?? '',
    NODE_PATH: SDK_LAYER,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_SFN: sfnUrl,
  };
};

/** What invoke.js reports of a thrown value: the runtime's error body, and the value itself. */
interface Thrown {
  readonly error: { errorType: string; errorMessage: string; trace: string[] };
  readonly thrown: { instanceOfError: boolean; stack?: string; name?: string };
}

const invoke = (
  name: string,
  fnName: string,
  event: unknown,
  env: Record<string, string> = {},
): Promise<{ result?: any; logs: string[] } & Partial<Thrown>> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'invoke.js'), bundles[name]], {
      cwd: bundles[name],
      env: { ...envOf(fnName), ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', () => {
      const lines = out.trim().split('\n');
      try {
        resolve({ ...JSON.parse(lines[lines.length - 1]), logs: lines.slice(0, -1).filter((l) => l.startsWith('{')) });
      } catch {
        reject(new Error(`no result from ${name}: ${out}\n${err}`));
      }
    });
    child.stdin.end(JSON.stringify(event));
  });

const order = { customerId: 'CUST-00042', items: [{ productId: 'SKU-1001', quantity: 2, unitPrice: 19.99 }] };
const get = async (orderId: string) => (await dynamo.db.send(new GetCommand({ TableName: 'dofs-orders', Key: { orderId } }))).Item;

describe('generated Lambda bundles', () => {
  it('ship only __index.js and the runtime packages: no @aws-sdk, no @pulumi, no dev tools', () => {
    for (const dir of Object.values(bundles)) {
      expect(fs.readdirSync(dir).sort()).toEqual(['__index.js', 'node_modules']);
      expect(fs.readdirSync(path.join(dir, 'node_modules')).sort()).toEqual(['fp-ts', 'io-ts']);
    }
  });

  it('api-handler: accepts an order, stores it ACCEPTED and starts the workflow named by the orderId', async () => {
    const r = await invoke('api-handler', 'dofs-api-handler', apiEvent('POST', '/orders', { body: JSON.stringify(order) }));
    expect(r.error).toBeUndefined();
    expect(r.result.statusCode).toBe(202);
    const { orderId } = JSON.parse(r.result.body);
    expect(startExecutions.find((e) => e.name === orderId)).toMatchObject({
      stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:dofs-workflow',
    });
    expect(await get(orderId)).toMatchObject({ status: 'ACCEPTED', workflowStarted: true });
    // Every log line is JSON and carries the orderId.
    expect(r.logs.length).toBeGreaterThan(0);
    for (const l of r.logs) expect(JSON.parse(l).orderId).toBe(orderId);

    const got = await invoke('api-handler', 'dofs-api-handler', apiEvent('GET', '/orders/{orderId}', { orderId }));
    expect(got.result.statusCode).toBe(200);
    expect(JSON.parse(got.result.body)).toMatchObject({ orderId, status: 'ACCEPTED' });
  });

  it('api-handler: answers a tier-1 failure with the contract error body', async () => {
    const r = await invoke('api-handler', 'dofs-api-handler', apiEvent('POST', '/orders', { body: '{"customerId":"x","items":[]}' }));
    expect(r.result.statusCode).toBe(400);
    expect(JSON.parse(r.result.body).error).toMatchObject({ code: 'VALIDATION_ERROR', details: [{ path: 'items' }] });
  });

  it('api-handler: answers an injected fault as a real one: 503 with Retry-After for an error, 504 for a hang', async () => {
    const post = apiEvent('POST', '/orders', { body: JSON.stringify(order) });
    const failing = await invoke('api-handler', 'dofs-api-handler', post, { DOFS_FAULTS: '{"errorRate":1}' });
    expect(failing.error).toBeUndefined();
    expect(failing.result).toMatchObject({ statusCode: 503, headers: { 'Retry-After': '1' } });
    expect(JSON.parse(failing.result.body).error.code).toBe('SERVICE_UNAVAILABLE');
    // A hang past the function's timeout (here 2 s): answered before it, and the process is not held open.
    const hanging = await invoke('api-handler', 'dofs-api-handler', post, {
      DOFS_FAULTS: '{"timeoutRate":1}',
      DOFS_TEST_REMAINING_MS: '2000',
    });
    expect(hanging.error).toBeUndefined();
    expect(hanging.result.statusCode).toBe(504);
    expect(JSON.parse(hanging.result.body).error.code).toBe('GATEWAY_TIMEOUT');
  });

  it("logs each line with the request id, the invocation's X-Ray trace id and the cold start, and counts a rejection", async () => {
    const header = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    const r = await invoke(
      'validator',
      'dofs-validator',
      { orderId: 'o', acceptedAt: 't', ...order, customerId: 'nope' },
      { _X_AMZN_TRACE_ID: header },
    );
    const lines = r.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const rejected = lines.find((l) => l.message === 'business failure: order rejected');
    expect(rejected).toMatchObject({
      orderId: 'o',
      xray_trace_id: '1-5759e988-bd862e3fe1be46a994272793',
      cold_start: true,
      failureKind: 'business',
    });
    expect(typeof rejected!.requestId).toBe('string');
    expect(lines.find((l) => l.BusinessFailures === 1)).toMatchObject({ Reason: 'REJECTED', Function: 'validator', Stack: 'dev' });
  });

  it('api-handler: runs the reconciler for the scheduler event (a dry run here), finding an order stuck PENDING', async () => {
    const orderId = 'stuck-order-1';
    await dynamo.db.send(
      new PutCommand({
        TableName: 'dofs-orders',
        Item: {
          orderId,
          status: 'PENDING',
          customerId: 'CUST-0001',
          items: [],
          createdAt: '2020-01-01T00:00:00.000Z',
          updatedAt: '2020-01-01T00:00:00.000Z',
          // In the in-flight index, as every write that makes an order PENDING puts it (runtime/orders.ts).
          inFlight: inFlightKeyOf(orderId),
        },
      }),
    );
    const r = await invoke('api-handler', 'dofs-api-handler', { dofs: 'reconcile', dryRun: true });
    expect(r.error).toBeUndefined();
    expect(r.result.actions).toContainEqual({ orderId, status: 'PENDING', action: 'RESENT_MESSAGE', attempt: 1 });
    expect((await get(orderId))?.updatedAt).toBe('2020-01-01T00:00:00.000Z'); // a dry run changes nothing
  });

  it('validator: returns the business verdict, and throws InvalidInputError by name for a bad payload', async () => {
    const ok = await invoke('validator', 'dofs-validator', { orderId: 'o', acceptedAt: 't', ...order });
    expect(ok.result).toEqual({ valid: true, reasons: [], summary: 'order is valid' });
    const bad = await invoke('validator', 'dofs-validator', { orderId: 'o' });
    expect(bad.error).toMatchObject({
      errorType: 'InvalidInputError',
      errorMessage: expect.stringContaining('workflow input is not an order: customerId is required'),
    });
  });

  // Lambda reports a thrown value by what the Node.js runtime makes of it (aws-lambda-ric `toRapidResponse`):
  // a native Error by its name, anything else by `typeof` ("object"), which no Retry or Catch names.
  it.each([
    ['validator', 'dofs-validator', { orderId: 'o' }, {}, 'InvalidInputError'],
    ['store-order', 'dofs-store-order', { orderId: 'o', acceptedAt: 't', ...order }, { DOFS_FAULTS: '{"errorRate":1}' }, 'TransientError'],
    ['validator', 'dofs-validator', { orderId: 'o', acceptedAt: 't', ...order }, { DOFS_FAULTS: '{"errorRate":1}' }, 'TransientError'],
    ['validator', 'dofs-validator', { orderId: 'o' }, { LOG_LEVEL: 'LOUD' }, 'ConfigError'],
    // Every record of the batch failed: thrown, so that Lambda's Errors metric (and its alarm) sees it.
    ['fulfillment', 'dofs-fulfillment', { Records: [sqsRecord('not an order'), sqsRecord('{}')] }, {}, 'FullBatchFailureError'],
  ])(
    '%s: a runtime error it throws is a native Error with a stack, which the runtime reports as its name',
    async (name, fn, event, env, type) => {
      const r = await invoke(name, fn, event, env);
      expect(r.thrown).toMatchObject({ instanceOfError: true, name: type, stack: expect.stringMatching(new RegExp(`^${type}: `)) });
      expect(r.error).toEqual({
        errorType: type,
        errorMessage: expect.any(String),
        trace: expect.arrayContaining([expect.stringMatching(/^ {4}at /)]),
      });
      expect(r.error!.trace[0]).toBe(`${type}: ${r.error!.errorMessage}`);
    },
    30000,
  );

  it('store-order, fulfillment and dlq-handler: move an order through the tables', async () => {
    const accepted = await invoke('api-handler', 'dofs-api-handler', apiEvent('POST', '/orders', { body: JSON.stringify(order) }));
    const { orderId } = JSON.parse(accepted.result.body);
    const stored = await invoke('store-order', 'dofs-store-order', { orderId, acceptedAt: 't', ...order });
    expect(stored.result).toEqual({ outcome: 'STORED', status: 'PENDING', totalQuantity: 2 });

    const message = { orderId, ...order };
    const fulfilled = await invoke('fulfillment', 'dofs-fulfillment', { Records: [sqsRecord(message)] });
    expect(fulfilled.result).toEqual({ batchItemFailures: [] });
    expect((await get(orderId))?.status).toMatch(/^(FULFILLED|FAILED)$/);

    // One bad record beside a good one: reported alone (a batch where every record fails throws instead).
    const garbage = sqsRecord('{"nope":1}');
    const partial = await invoke('fulfillment', 'dofs-fulfillment', { Records: [garbage, sqsRecord(message)] });
    expect(partial.result).toEqual({ batchItemFailures: [{ itemIdentifier: garbage.messageId }] });

    const dead = await invoke('dlq-handler', 'dofs-dlq-handler', { Records: [sqsRecord(message, 3)] });
    expect(dead.result).toEqual({ batchItemFailures: [] });
  });
});
