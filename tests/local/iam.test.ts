/**
 * IAM's gates in front of the real emulators (dynalite in this process, fauxqs in a child process, the
 * local Step Functions endpoint), called with the AWS SDK as a function calls them: a call its role's
 * policy does not allow fails as the service fails it on AWS and never reaches the emulator; an allowed
 * one, and any call signed with the account owner's key, goes through. The program's roles and the
 * `--revoke` fault are read from declared resources.
 */
import { type ChildProcess, spawn } from 'child_process';
import type * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import * as readline from 'readline';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ReceiveMessageCommand, SQSClient, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { declaredRoles, localPrincipals, parseRevocation, revoke } from '../../local/iam';
import { Gate, type Principal, assumeRole, guardServer, startGateProxy } from '../../local/iamGate';
import type { Recorded } from '../../local/mockProgram';
import { LocalStepFunctions } from '../../local/stepFunctions';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
const OWNER = { accessKeyId: 'local', secretAccessKey: 'local' };

const role = (name: string, statements: object[]) => ({
  name,
  arn: `arn:aws:iam::${ACCOUNT}:role/dofs/${name}`,
  policies: [{ name: `${name}-policy`, document: { Version: '2012-10-17', Statement: statements } }],
});

// A function's session: it may read and put orders, put into one other table and query an index, send to
// the orders queue and receive from it, and start the state machine; a Deny forbids DeleteItem.
const fn = assumeRole(
  role('test-role', [
    {
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem'],
      Resource: [arn('dynamodb', 'table/orders')],
    },
    { Effect: 'Allow', Action: ['dynamodb:DeleteItem'], Resource: [arn('dynamodb', 'table/orders')] },
    { Effect: 'Allow', Action: ['dynamodb:Query'], Resource: [arn('dynamodb', 'table/orders/index/in-flight')] },
    { Effect: 'Deny', Action: ['dynamodb:DeleteItem'], Resource: ['*'] },
    { Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:ReceiveMessage'], Resource: [arn('sqs', 'orders')] },
    { Effect: 'Allow', Action: ['states:StartExecution'], Resource: [arn('states', 'stateMachine:flow')] },
  ]),
  'test-fn',
);
// Another session, with no grant at all.
const bare = assumeRole(role('bare-role', [{ Effect: 'Allow', Action: ['xray:PutTraceSegments'], Resource: ['*'] }]), 'bare-fn');
const setup = { account: ACCOUNT, region: REGION, principals: [fn, bare] };
const creds = (p: Principal) => ({ accessKeyId: p.accessKeyId, secretAccessKey: p.secretAccessKey, sessionToken: p.sessionToken });
const denied = (who: Principal, action: string, resource: string) =>
  `User: arn:aws:sts::${ACCOUNT}:assumed-role/${who.roleName}/${who.session} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;

/** The error an SDK call failed with: its name, HTTP status and message. */
const failure = async (call: Promise<unknown>) => {
  try {
    await call;
  } catch (e) {
    const err = e as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: err.name, status: err.$metadata?.httpStatusCode, message: err.message };
  }
  throw new Error('the call succeeded');
};

/** A POST signed (in form only: the emulators check no signature) with `p`'s access key. */
const signedPost = (url: string, p: Principal, service: string, headers: Record<string, string>, body: string) =>
  fetch(url, {
    method: 'POST',
    headers: {
      authorization: `AWS4-HMAC-SHA256 Credential=${p.accessKeyId}/20260101/${REGION}/${service}/aws4_request, SignedHeaders=host, Signature=0`,
      'x-amz-date': '20260101T000000Z',
      ...headers,
    },
    body,
  });

describe('DynamoDB behind its gate (dynalite, in this process)', () => {
  let server: http.Server;
  let as: (p: Principal | typeof OWNER) => DynamoDBClient;
  let endpoint: string;
  const clients: DynamoDBClient[] = [];
  beforeAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- dynalite has no types
    const dynalite = require('dynalite') as (o: object) => http.Server;
    server = dynalite({ createTableMs: 0 });
    const gate = new Gate('dynamodb');
    gate.use(setup);
    guardServer(server, gate);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    as = (p) => {
      const c = new DynamoDBClient({ endpoint, region: REGION, credentials: 'sessionToken' in p ? creds(p) : p, maxAttempts: 1 });
      clients.push(c);
      return c;
    };
    for (const TableName of ['orders', 'other']) {
      await as(OWNER).send(
        new CreateTableCommand({
          TableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'orderId', AttributeType: 'S' },
            { AttributeName: 'inFlight', AttributeType: 'S' },
          ],
          KeySchema: [{ AttributeName: 'orderId', KeyType: 'HASH' }],
          GlobalSecondaryIndexes: ['in-flight', 'by-other-key'].map((IndexName) => ({
            IndexName,
            KeySchema: [{ AttributeName: 'inFlight', KeyType: 'HASH' }],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          })),
        }),
      );
    }
  });
  afterAll(async () => {
    clients.forEach((c) => c.destroy());
    await new Promise((r) => server.close(r));
  });
  const item = (orderId: string, status: string) => ({ orderId: { S: orderId }, status: { S: status } });
  const statusOf = async (orderId: string) =>
    (await as(OWNER).send(new GetItemCommand({ TableName: 'orders', Key: { orderId: { S: orderId } } }))).Item?.status?.S;

  it('lets an allowed call through to the table', async () => {
    await as(fn).send(new PutItemCommand({ TableName: 'orders', Item: item('o-1', 'ACCEPTED') }));
    expect(await statusOf('o-1')).toBe('ACCEPTED');
  });

  it('refuses an action the role is not granted with AccessDeniedException (400) and AWS message; the table is unchanged', async () => {
    const update = new UpdateItemCommand({
      TableName: 'orders',
      Key: { orderId: { S: 'o-1' } },
      UpdateExpression: 'SET #s = :s',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': { S: 'PENDING' } },
    });
    expect(await failure(as(fn).send(update))).toEqual({
      name: 'AccessDeniedException',
      status: 400,
      message: denied(fn, 'dynamodb:UpdateItem', arn('dynamodb', 'table/orders')),
    });
    expect(await statusOf('o-1')).toBe('ACCEPTED');
    // The account owner's key is not evaluated.
    await as(OWNER).send(update);
    expect(await statusOf('o-1')).toBe('PENDING');
  });

  it('answers a denial with the body DynamoDB sends: __type and a capitalised Message', async () => {
    const res = await signedPost(
      endpoint,
      bare,
      'dynamodb',
      { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.GetItem' },
      JSON.stringify({ TableName: 'orders', Key: { orderId: { S: 'o-1' } } }),
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      __type: 'com.amazon.coral.service#AccessDeniedException',
      Message: denied(bare, 'dynamodb:GetItem', arn('dynamodb', 'table/orders')),
    });
  });

  it('names an explicit Deny as such, even where an Allow matches', async () => {
    const res = await failure(as(fn).send(new DeleteItemCommand({ TableName: 'orders', Key: { orderId: { S: 'o-1' } } })));
    expect(res.message).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/test-role/test-fn is not authorized to perform: dynamodb:DeleteItem on resource: ${arn('dynamodb', 'table/orders')} with an explicit deny in an identity-based policy`,
    );
    expect(await statusOf('o-1')).toBe('PENDING');
  });

  it("authorizes a Query of an index on the index's ARN, as DynamoDB does: a grant on the index is not one on the table", async () => {
    const query = (IndexName?: string) =>
      new QueryCommand({
        TableName: 'orders',
        ...(IndexName ? { IndexName } : {}),
        KeyConditionExpression: '#k = :k',
        ExpressionAttributeNames: { '#k': IndexName ? 'inFlight' : 'orderId' },
        ExpressionAttributeValues: { ':k': { S: 'IN_FLIGHT#0' } },
      });
    await as(OWNER).send(new PutItemCommand({ TableName: 'orders', Item: { ...item('q-1', 'ACCEPTED'), inFlight: { S: 'IN_FLIGHT#0' } } }));
    expect((await as(fn).send(query('in-flight'))).Items?.map((i) => i.orderId.S)).toEqual(['q-1']);
    expect((await failure(as(fn).send(query()))).message).toBe(denied(fn, 'dynamodb:Query', arn('dynamodb', 'table/orders')));
    expect((await failure(as(fn).send(query('by-other-key')))).message).toBe(
      denied(fn, 'dynamodb:Query', arn('dynamodb', 'table/orders/index/by-other-key')),
    );
  });

  it('checks every table of a batch: one table without the grant refuses the whole batch', async () => {
    const put = (TableName: string) => ({ [TableName]: [{ PutRequest: { Item: item(`b-${TableName}`, 'ACCEPTED') } }] });
    const res = await failure(as(fn).send(new BatchWriteItemCommand({ RequestItems: { ...put('orders'), ...put('other') } })));
    expect(res.message).toBe(denied(fn, 'dynamodb:BatchWriteItem', arn('dynamodb', 'table/other')));
    expect(await statusOf('b-orders')).toBeUndefined();
  });
});

describe('SQS behind its gate (fauxqs in a child process)', () => {
  let child: ChildProcess;
  let proxy: Awaited<ReturnType<typeof startGateProxy>>;
  let queueUrl: string;
  let as: (p: Principal | typeof OWNER) => SQSClient;
  const clients: SQSClient[] = [];
  beforeAll(async () => {
    // fauxqs is ESM-only: jest's module system cannot import it, a child process can.
    child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { startFauxqs } = await import('fauxqs');
         const f = await startFauxqs({ port: 0, logger: false, defaultRegion: '${REGION}' });
         console.log(JSON.stringify({ address: f.address, url: f.createQueue('orders').queueUrl }));`,
      ],
      { cwd: path.join(__dirname, '..', '..', 'local'), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const started = await new Promise<{ address: string; url: string }>((resolve, reject) => {
      readline.createInterface({ input: child.stdout! }).once('line', (l) => resolve(JSON.parse(l) as { address: string; url: string }));
      child.once('exit', (code) => reject(new Error(`fauxqs exited with ${code}`)));
    });
    queueUrl = started.url;
    const gate = new Gate('sqs');
    gate.use(setup);
    proxy = await startGateProxy(started.address, gate);
    as = (p) => {
      const c = new SQSClient({
        endpoint: proxy.endpoint,
        region: REGION,
        credentials: 'sessionToken' in p ? creds(p) : p,
        maxAttempts: 1,
      });
      clients.push(c);
      return c;
    };
  });
  afterAll(async () => {
    clients.forEach((c) => c.destroy());
    await proxy?.stop();
    child?.kill();
  });

  it('forwards allowed calls: a message sent is received (a batch needs only sqs:SendMessage)', async () => {
    await as(fn).send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'one' }));
    await as(fn).send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: [{ Id: '2', MessageBody: 'two' }] }));
    const bodies: string[] = [];
    while (bodies.length < 2) {
      const r = await as(fn).send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      bodies.push(...(r.Messages ?? []).map((m) => m.Body!));
    }
    expect(bodies.sort()).toEqual(['one', 'two']);
  });

  it('refuses as SQS does over JSON: 403, the SDK error AccessDenied from x-amzn-query-error, the action in lower case', async () => {
    expect(await failure(as(bare).send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'x' })))).toEqual({
      name: 'AccessDenied',
      status: 403,
      message: denied(bare, 'sqs:sendmessage', arn('sqs', 'orders')),
    });
    const res = await signedPost(
      proxy.endpoint,
      bare,
      'sqs',
      { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.ReceiveMessage' },
      JSON.stringify({ QueueUrl: queueUrl }),
    );
    expect([res.status, res.headers.get('x-amzn-query-error')]).toEqual([403, 'AccessDenied;Sender']);
    expect(await res.json()).toEqual({
      __type: 'com.amazon.coral.service#AccessDeniedException',
      Message: denied(bare, 'sqs:receivemessage', arn('sqs', 'orders')),
    });
  });

  it('refuses as SQS does over the query protocol: 403 and an ErrorResponse with Code AccessDenied', async () => {
    const res = await signedPost(
      proxy.endpoint,
      bare,
      'sqs',
      { 'content-type': 'application/x-www-form-urlencoded' },
      new URLSearchParams({ Action: 'SendMessage', QueueUrl: queueUrl, MessageBody: 'x' }).toString(),
    );
    expect(res.status).toBe(403);
    const text = await res.text();
    expect(text).toMatch(
      /^<ErrorResponse xmlns="http:\/\/queue\.amazonaws\.com\/doc\/2012-11-05\/"><Error><Type>Sender<\/Type><Code>AccessDenied<\/Code>/,
    );
    expect(text).toContain(`<Message>${denied(bare, 'sqs:sendmessage', arn('sqs', 'orders'))}</Message><Detail/>`);
  });
});

describe('Step Functions behind its gate', () => {
  const sm = {
    arn: arn('states', 'stateMachine:flow'),
    name: 'flow',
    type: 'STANDARD' as const,
    definition: '{"StartAt":"Done","States":{"Done":{"Type":"Succeed"}}}',
    roleArn: 'arn:aws:iam::123456789012:role/flow',
    creationDate: Date.now(),
  };
  let sfn: LocalStepFunctions;
  let proxy: Awaited<ReturnType<typeof startGateProxy>>;
  const clients: SFNClient[] = [];
  const as = (p: Principal | typeof OWNER) => {
    const c = new SFNClient({ endpoint: proxy.endpoint, region: REGION, credentials: 'sessionToken' in p ? creds(p) : p, maxAttempts: 1 });
    clients.push(c);
    return c;
  };
  beforeAll(async () => {
    sfn = new LocalStepFunctions(sm, {
      run: () => Promise.resolve({ status: 'SUCCEEDED', output: '{}' }),
      stop: () => Promise.resolve(false),
      history: () => Promise.resolve([]),
    });
    await sfn.listen();
    const gate = new Gate('states');
    gate.use(setup);
    proxy = await startGateProxy(sfn.endpoint, gate);
  });
  afterAll(async () => {
    clients.forEach((c) => c.destroy());
    await proxy.stop();
    await sfn.stop();
  });

  it('starts an execution for a role granted states:StartExecution, and refuses the rest with AccessDeniedException (400)', async () => {
    const started = await as(fn).send(new StartExecutionCommand({ stateMachineArn: sm.arn, name: 'e-1', input: '{}' }));
    expect(started.executionArn).toBe(arn('states', 'execution:flow:e-1'));
    expect(await failure(as(bare).send(new StartExecutionCommand({ stateMachineArn: sm.arn, name: 'e-2', input: '{}' })))).toEqual({
      name: 'AccessDeniedException',
      status: 400,
      message: denied(bare, 'states:StartExecution', sm.arn),
    });
    // DescribeExecution's resource is the execution, which this role is not granted; the owner may.
    const describe = new DescribeExecutionCommand({ executionArn: started.executionArn });
    expect((await failure(as(fn).send(describe))).message).toBe(denied(fn, 'states:DescribeExecution', started.executionArn!));
    expect((await as(OWNER).send(describe)).name).toBe('e-1');
  });
});

describe("the program's roles", () => {
  const resource = (type: string, name: string, inputs: Record<string, unknown>): Recorded => ({ type, name, inputs });
  const doc = (Action: string[], Resource = '*') =>
    JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action, Resource }] });
  const resources = [
    resource('aws:iam/role:Role', 'worker-role', {
      path: '/dofs/',
      inlinePolicies: [{ name: 'inline', policy: doc(['sqs:SendMessage']) }],
    }),
    resource('aws:iam/rolePolicy:RolePolicy', 'worker-policy', {
      role: 'worker-role',
      policy: doc(['dynamodb:GetItem', 'dynamodb:PutItem']),
    }),
    resource('aws:iam/policy:Policy', 'shared', { path: '/', policy: doc(['states:StartExecution']) }),
    resource('aws:iam/rolePolicyAttachment:RolePolicyAttachment', 'worker-shared', {
      role: 'worker-role',
      policyArn: `arn:aws:iam::${ACCOUNT}:policy/shared`,
    }),
    resource('aws:lambda/function:Function', 'worker', { role: `arn:aws:iam::${ACCOUNT}:role/dofs/worker-role` }),
    resource('aws:sfn/stateMachine:StateMachine', 'flow', { roleArn: `arn:aws:iam::${ACCOUNT}:role/dofs/worker-role` }),
  ];
  const actionsOf = (r: { policies: { document: { Statement: unknown } }[] }) =>
    r.policies.flatMap((p) => (p.document.Statement as { Action: string[] }[]).flatMap((s) => s.Action));

  it('gathers inline, RolePolicy and attached customer managed policies onto the role they name', () => {
    const [worker] = declaredRoles(resources);
    expect(worker.arn).toBe(`arn:aws:iam::${ACCOUNT}:role/dofs/worker-role`);
    expect(actionsOf(worker).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'sqs:SendMessage', 'states:StartExecution']);
  });

  it('refuses an AWS managed policy it has no copy of on a role a local principal assumes, naming it', () => {
    const managed = resource('aws:iam/rolePolicyAttachment:RolePolicyAttachment', 'basic', {
      role: 'worker-role',
      policyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
    });
    expect(() => localPrincipals([...resources, managed])).toThrow(
      /arn:aws:iam::aws:policy\/service-role\/AWSLambdaBasicExecutionRole is not declared/,
    );
  });

  it("allows one on a role no local principal assumes (the API Gateway account's CloudWatch role)", () => {
    const accountRole = [
      resource('aws:iam/role:Role', 'cloudwatch-role', { path: '/dofs/' }),
      resource('aws:iam/rolePolicyAttachment:RolePolicyAttachment', 'cloudwatch', {
        role: 'cloudwatch-role',
        policyArn: 'arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs',
      }),
    ];
    expect(localPrincipals([...resources, ...accountRole]).functions.size).toBe(1);
  });

  it('--revoke takes exactly one action away and keeps the rest of the statement', () => {
    const [worker] = revoke(declaredRoles(resources), [parseRevocation('worker-role:dynamodb:PutItem')]);
    expect(actionsOf(worker).sort()).toEqual(['dynamodb:GetItem', 'sqs:SendMessage', 'states:StartExecution']);
  });

  it('--revoke refuses a malformed value, an unknown role and an action the role is not granted, naming what is allowed', () => {
    expect(() => parseRevocation('dynamodb:PutItem')).toThrow("--revoke 'dynamodb:PutItem' is not ROLE:ACTION");
    expect(() => localPrincipals(resources, [parseRevocation('nobody:sqs:SendMessage')])).toThrow(
      '--revoke nobody:sqs:SendMessage: no role named nobody; the program declares worker-role',
    );
    expect(() => localPrincipals(resources, [parseRevocation('worker-role:sqs:DeleteMessage')])).toThrow(
      /role worker-role is not granted sqs:DeleteMessage; it is granted sqs:SendMessage, dynamodb:GetItem, dynamodb:PutItem, states:StartExecution/,
    );
  });

  it('gives each function a session of its role named after it, and the state machine one of its own', () => {
    const principals = localPrincipals(resources);
    const worker = principals.functions.get(arn('lambda', 'function:worker'))!;
    expect([worker.roleName, worker.session, worker.accessKeyId]).toEqual([
      'worker-role',
      'worker',
      expect.stringMatching(/^ASIA[A-Z2-7]{16}$/),
    ]);
    expect(principals.stateMachine.session).toMatch(/^[A-Za-z]{32}$/);
    expect(principals.stateMachine.accessKeyId).not.toBe(worker.accessKeyId);
  });
});
