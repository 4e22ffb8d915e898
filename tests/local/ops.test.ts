/**
 * The operator's commands (`npm run ops`) against a running local cloud, found through the file it leaves
 * beside its data, and against the same system as a deployed stack is reached: a file of stack outputs and
 * the SDK's endpoint and credential variables.
 *
 * Given fulfillment and the dlq-handler that always fail, orders end on the dead-letter queue and stay there
 * (PENDING): what an operator is woken for. The stuck bound is set far off, so that only the commands move them.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GetEventSourceMappingCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CancelMessageMoveTaskCommand, ListMessageMoveTasksCommand, SQSClient, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import { validOrder } from '../runtime/tier1Corpus';
import { type RunningCloud, postOrder, startCloud, waitUntil } from '../support/localCloud';
import type { LocalCloudFile } from '../../local/discovery';
import type { StatusReport } from '../../ops/status';

const ROOT = path.join(__dirname, '..', '..');

let dataRoot: string;
let cloud: RunningCloud;
let found: LocalCloudFile;
const orderIds: string[] = [];

/** Runs `npm run ops -- <args>` as a user would (ts-node, the project's node), to its exit. */
const ops = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'ops/main.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, DOFS_DATA_DIR: dataRoot, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });

const statusOf = async (id: string, args: string[] = ['--local'], env: NodeJS.ProcessEnv = {}): Promise<StatusReport> => {
  const r = await ops(['status', id, '--json', ...args], env);
  if (r.code !== 0) throw new Error(`ops status exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as StatusReport;
};

beforeAll(async () => {
  dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'dofs-ops-'));
  process.env.DOFS_DATA_DIR = dataRoot;
  cloud = await startCloud([
    '--config',
    'faults={"fulfillment":{"errorRate":1},"dlqHandler":{"errorRate":1}}',
    '--config',
    'stuckOrderMinutes=1440',
  ]);
  found = JSON.parse(fs.readFileSync(path.join(dataRoot, 'dev', 'local-cloud.json'), 'utf8')) as LocalCloudFile;
  for (let i = 0; i < 3; i++) {
    const r = await postOrder(cloud.url, { ...validOrder, customerId: `CUST-${7000 + i}` });
    if (r.status !== 202) throw new Error(`POST /orders answered ${r.status}: ${JSON.stringify(r.body)}`);
    orderIds.push(r.body.orderId as string);
  }
});

afterAll(async () => {
  await cloud?.stop();
  delete process.env.DOFS_DATA_DIR;
  fs.rmSync(dataRoot, { recursive: true, force: true });
});

it('status shows the order, its execution, its message through every receive and the DLQ, and its log lines in time order', async () => {
  const id = orderIds[0];
  let report!: StatusReport;
  // The message is received maxReceiveCount (3) times, then the dlq-handler fails on it.
  await waitUntil(
    'the dlq-handler has seen the order',
    async () => {
      report = await statusOf(id);
      return report.timeline.some((t) => t.source === 'dlq-handler');
    },
    500,
  );
  expect(report.order?.status).toBe('PENDING');
  expect(report.executions).toEqual([expect.objectContaining({ name: id, status: 'SUCCEEDED' })]);
  const sent = report.messages.find((m) => m.seen[0]?.what === 'sent by SendToQueue');
  expect(sent).toBeDefined();
  const receives = sent!.seen.filter((s) => s.by === 'fulfillment').map((s) => s.what);
  expect(receives).toEqual(expect.arrayContaining([expect.stringContaining('(receive 1)'), expect.stringContaining('(receive 3)')]));
  expect(sent!.seen.some((s) => s.by === 'dlq-handler')).toBe(true);
  const sources = report.timeline.map((t) => t.source);
  // In causal order (the api-handler logs 'order accepted' once StartExecution returned, which may be after the
  // validator's line): the execution starts before the validator runs, the order is stored before fulfillment.
  expect(sources).toContain('api-handler');
  const started = report.timeline.findIndex((t) => t.message === 'execution started');
  expect(started).toBeGreaterThanOrEqual(0);
  expect(started).toBeLessThan(sources.indexOf('validator'));
  expect(sources.indexOf('store-order')).toBeLessThan(sources.indexOf('fulfillment'));
  const times = report.timeline.map((t) => t.at);
  expect([...times].sort()).toEqual(times);
  // Every line names this order: no other order's lines leak in.
  expect(report.timeline.filter((t) => t.source !== 'workflow').every((t) => t.fields.orderId === id)).toBe(true);

  // The same through a deployed stack's path: a file of outputs and the SDK's own endpoint variables.
  const outputsFile = path.join(dataRoot, 'outputs.json');
  fs.writeFileSync(outputsFile, JSON.stringify(found.outputs));
  const viaOutputs = await statusOf(id, ['--outputs', outputsFile], {
    AWS_ENDPOINT_URL_DYNAMODB: found.endpoints.dynamodb,
    AWS_ENDPOINT_URL_SFN: found.endpoints.sfn,
    AWS_ENDPOINT_URL_SQS: found.endpoints.sqs,
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: found.endpoints.logs,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  });
  expect(viaOutputs.order?.status).toBe('PENDING');
  expect(viaOutputs.executions.map((e) => e.status)).toEqual(['SUCCEEDED']);
  expect(viaOutputs.timeline.length).toBeGreaterThanOrEqual(report.timeline.length);

  const text = await ops(['status', id, '--local']);
  expect(text.code).toBe(0);
  expect(text.stdout).toContain(`order ${id}: PENDING`);
  expect(text.stderr).toContain('reading the log lines that name it');
});

it('reconcile --dry-run lists the stuck orders and changes nothing', async () => {
  const before = await Promise.all(orderIds.map((id) => statusOf(id)));
  const r = await ops(['reconcile', '--dry-run', '--older-than-minutes', '0', '--local', '--json']);
  expect(r.code).toBe(0);
  const report = JSON.parse(r.stdout) as { found: number; actions: { orderId: string; action: string }[] };
  for (const id of orderIds) expect(report.actions).toContainEqual(expect.objectContaining({ orderId: id, action: 'RESENT_MESSAGE' }));
  expect(r.stderr).toContain('looking for orders ACCEPTED or PENDING for more than 0 minute(s), and FAILED ones left without their record');
  const after = await Promise.all(orderIds.map((id) => statusOf(id)));
  expect(after.map((s) => [s.order?.updatedAt, s.order?.redriveAttempts])).toEqual(
    before.map((s) => [s.order?.updatedAt, s.order?.redriveAttempts]),
  );
});

it('redrive pauses the dlq-handler, moves the dead letters back to the orders queue with a message move task, and resumes it', async () => {
  const sqs = new SQSClient({
    endpoint: found.endpoints.sqs,
    region: found.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const lambda = new LambdaClient({
    endpoint: found.endpoints.lambda,
    region: found.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    // Every order's message is a dead letter the failing dlq-handler keeps receiving.
    await waitUntil(
      'the dlq-handler has seen every order',
      async () => (await Promise.all(orderIds.map((id) => statusOf(id)))).every((s) => s.timeline.some((t) => t.source === 'dlq-handler')),
      500,
    );
    const before = await Promise.all(orderIds.map((id) => statusOf(id)));
    const r = await ops(['redrive', '--local']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`paused the dlq-handler's event source mapping ${found.outputs.operations.dlqHandlerMappingUuid}`);
    expect(r.stderr).toMatch(/message move task started: \S+dofs-dlq → \S+dofs-orders/);
    const moved = Number(/redrive COMPLETED: moved (\d+) of \d+/.exec(r.stdout)?.[1]);
    // Paused, the dlq-handler holds none of them: every dead letter is moved.
    expect(moved).toBe(orderIds.length);
    expect(r.stderr).toContain('resumed the dlq-handler');
    const mapping = await lambda.send(new GetEventSourceMappingCommand({ UUID: found.outputs.operations.dlqHandlerMappingUuid }));
    expect(mapping.State).toBe('Enabled');
    // A moved message is a new message on the orders queue: fulfillment receives it afresh.
    await waitUntil(
      'every moved message reaches fulfillment again',
      async () => {
        const now = await Promise.all(orderIds.map((id) => statusOf(id)));
        return now.every((s, i) => s.messages.length > before[i].messages.length);
      },
      500,
    );

    // SQS's own rules for move tasks, as AWS documents them.
    const notDlq = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: found.outputs.operations.queueArn })).catch((e: Error) => e);
    expect((notDlq as Error).name).toBe('InvalidParameterValue');
    const missing = await sqs
      .send(new StartMessageMoveTaskCommand({ SourceArn: found.outputs.operations.dlqArn.replace('dofs-dlq', 'no-such-queue') }))
      .catch((e: Error) => e);
    expect((missing as Error).name).toBe('ResourceNotFoundException');
    const listed = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: found.outputs.operations.dlqArn, MaxResults: 10 }));
    expect(listed.Results?.[0]).toEqual(expect.objectContaining({ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: moved }));
    // A TaskHandle is listed only while a task runs (API_ListMessageMoveTasksResultEntry.html).
    expect(listed.Results?.[0].TaskHandle).toBeUndefined();
    const cancelGone = await sqs
      .send(new CancelMessageMoveTaskCommand({ TaskHandle: Buffer.from(JSON.stringify({ taskId: 'gone' })).toString('base64') }))
      .catch((e: Error) => e);
    expect((cancelGone as Error).name).toBe('ResourceNotFoundException');
  } finally {
    sqs.destroy();
    lambda.destroy();
  }
});

it('replay re-drives an order in flight at once, and refuses what the contract forbids', async () => {
  const id = orderIds[2];
  const before = (await statusOf(id)).order!;
  const r = await ops(['replay', id, '--local']);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`order ${id}: its fulfillment message sent again (re-drive ${(before.redriveAttempts ?? 0) + 1})`);
  expect((await statusOf(id)).order?.redriveAttempts).toBe((before.redriveAttempts ?? 0) + 1);

  const unknown = await ops(['replay', '00000000-0000-0000-0000-000000000000', '--local']);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toContain('no order 00000000-0000-0000-0000-000000000000 in dofs-orders');
  const bad = await ops(['replay', '--local']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('an ORDER_ID is required');
});

it('names what is missing when no local cloud runs for the stack', async () => {
  const r = await ops(['status', orderIds[0], '--local', '--stack', 'staging']);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("no local cloud of stack 'staging' is running");
  expect(r.stderr).toContain('npm start -- --stack staging');
});
