/**
 * The local cloud end to end, over HTTP only: `npm start`'s program on a free port, with the dev stack's
 * config (and fault injection where a path needs it).
 */
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { randomUUID } from 'crypto';
import { isFulfilled } from '../../runtime/fulfillment';
import { validOrder } from '../runtime/tier1Corpus';
import { type RunningCloud, http, postOrder, startCloud, waitTerminal, waitUntil } from '../support/localCloud';

/**
 * POSTs the valid order until the id it gets has the outcome wanted. The outcome follows from the order
 * id, and a client learns an id only from the answer: an Idempotency-Key's id is keyed with the stack's
 * secret (CONTRACT.md). The orders of the other outcome simply run to their end.
 */
const orderWith = async (url: string, fulfilled: boolean) => {
  for (let i = 0; i < 100; i++) {
    const res = await postOrder(url, validOrder, { 'Idempotency-Key': `paths-${randomUUID()}` });
    if (res.status !== 202 || isFulfilled(res.body.orderId as string, 0.7) === fulfilled) return res;
  }
  throw new Error(`100 orders in a row did not have the outcome fulfilled=${fulfilled}`);
};

const faults = (f: object) => ['--config', `faults=${JSON.stringify(f)}`];

let cloud: RunningCloud;
let dlqCloud: RunningCloud;
let storageCloud: RunningCloud;
let queueCloud: RunningCloud;

// One after another: four programs starting at once on two cores would only slow each other down.
beforeAll(async () => {
  cloud = await startCloud();
  dlqCloud = await startCloud(faults({ fulfillment: { errorRate: 1 } }));
  storageCloud = await startCloud(faults({ storeOrder: { errorRate: 1 } }));
  queueCloud = await startCloud(faults({ sendToQueue: { errorRate: 1 } }));
});

const stopAll = () => Promise.all([cloud, dlqCloud, storageCloud, queueCloud].map((c) => c?.stop()));
afterAll(stopAll); // after a failure too; stopping a stopped cloud only reports its exit code

/**
 * DescribeExecution once the execution has ended: the workflow writes the order's terminal status in a
 * task before its last state, so GET can show FAILED while the execution is still RUNNING.
 */
const endedExecution = async (c: RunningCloud, orderId: string) => {
  let execution = await describeExecution(c, orderId);
  await waitUntil(
    () => `execution ${orderId} ended (it is ${execution.status})`,
    async () => (execution = await describeExecution(c, orderId)).status !== 'RUNNING',
    100,
  );
  return execution;
};

const sfnOf = (c: RunningCloud) =>
  new SFNClient({ endpoint: c.sfnEndpoint, region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const executionArnOf = (c: RunningCloud, name: string) => `${c.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
const describeExecution = (c: RunningCloud, orderId: string) =>
  sfnOf(c).send(new DescribeExecutionCommand({ executionArn: executionArnOf(c, orderId) }));
const historyOf = async (c: RunningCloud, name: string) =>
  (await sfnOf(c).send(new GetExecutionHistoryCommand({ executionArn: executionArnOf(c, name), maxResults: 1000 }))).events!;
const typesOf = (events: HistoryEvent[]) => events.map((e) => e.type);

describe('the local cloud', () => {
  it('happy path: POST → 202 → GET until FULFILLED', async () => {
    const res = await orderWith(cloud.url, true);
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe(`/orders/${res.body.orderId}`);
    const order = await waitTerminal(cloud.url, res.body.orderId);
    expect(order).toMatchObject({ status: 'FULFILLED', customerId: 'CUST-00042', items: validOrder.items });
  });

  it('a business failure: FAILED with OUT_OF_STOCK', async () => {
    const res = await orderWith(cloud.url, false);
    expect(await waitTerminal(cloud.url, res.body.orderId)).toMatchObject({ status: 'FAILED', failureReason: 'OUT_OF_STOCK' });
  });

  it('a tier-2 rejection: REJECTED with every reason', async () => {
    const res = await postOrder(cloud.url, {
      customerId: 'nobody',
      items: [
        { productId: 'A', quantity: 99 },
        { productId: 'A', quantity: 2 },
      ],
    });
    expect(res.status).toBe(202);
    const order = await waitTerminal(cloud.url, res.body.orderId);
    expect(order.status).toBe('REJECTED');
    expect(order.reasons.map((r: { code: string }) => r.code)).toEqual(['INVALID_CUSTOMER_ID', 'QUANTITY_LIMIT', 'DUPLICATE_PRODUCT']);
    // and its execution SUCCEEDED with the REJECTED write: a business outcome never counts in ExecutionsFailed
    expect(await endedExecution(cloud, res.body.orderId)).toMatchObject({ status: 'SUCCEEDED', name: res.body.orderId });
    const events = await historyOf(cloud, res.body.orderId);
    expect(typesOf(events).slice(-2)).toEqual(['TaskStateExited', 'ExecutionSucceeded']);
    expect(events.filter((e) => e.type?.endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails!.name)).toEqual([
      'ValidateOrder',
      'CheckValidation',
      'RecordRejection',
    ]);
  });

  it('a system failure: fulfillment failing every time ends FAILED/PROCESSING_ERROR through the DLQ', async () => {
    const res = await postOrder(dlqCloud.url, validOrder);
    expect(await waitTerminal(dlqCloud.url, res.body.orderId)).toMatchObject({ status: 'FAILED', failureReason: 'PROCESSING_ERROR' });
  });

  it('StoreOrder failing for good: StorageFailed, visible through DescribeExecution; the order FAILED', async () => {
    const res = await postOrder(storageCloud.url, validOrder);
    expect(await waitTerminal(storageCloud.url, res.body.orderId)).toMatchObject({ status: 'FAILED', failureReason: 'PROCESSING_ERROR' });
    const execution = await endedExecution(storageCloud, res.body.orderId);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'TransientError', name: res.body.orderId });
    expect(execution.cause).toContain('injected fault in store-order');
    // Each attempt of StoreOrder in the history, failed with the function's error type, then the failure path.
    const events = await historyOf(storageCloud, res.body.orderId);
    const failures = events.filter((e) => e.type === 'LambdaFunctionFailed');
    expect(failures.length).toBeGreaterThan(1);
    for (const f of failures) expect(f.lambdaFunctionFailedEventDetails!.error).toBe('TransientError');
    expect(events.filter((e) => e.type === 'TaskScheduled').map((e) => e.taskScheduledEventDetails!.resourceType)).toContain('dynamodb');
    expect(typesOf(events).slice(-2)).toEqual(['FailStateEntered', 'ExecutionFailed']);
    expect(events[events.length - 1].executionFailedEventDetails).toMatchObject({ error: 'TransientError' });
  });

  it('SendToQueue failing for good: QueueFailed, visible through DescribeExecution', async () => {
    const res = await postOrder(queueCloud.url, validOrder);
    expect(await waitTerminal(queueCloud.url, res.body.orderId)).toMatchObject({ status: 'FAILED', failureReason: 'PROCESSING_ERROR' });
    const execution = await endedExecution(queueCloud, res.body.orderId);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'SQS.SdkClientException', cause: 'injected fault in SendToQueue' });
  });

  it('a successful execution is SUCCEEDED in DescribeExecution and ListExecutions, and GetExecutionHistory tells its steps', async () => {
    const res = await postOrder(cloud.url, validOrder);
    await waitTerminal(cloud.url, res.body.orderId);
    expect((await endedExecution(cloud, res.body.orderId)).status).toBe('SUCCEEDED');
    const listed = await sfnOf(cloud).send(
      new ListExecutionsCommand({ stateMachineArn: cloud.stateMachineArn, statusFilter: 'SUCCEEDED', maxResults: 1000 }),
    );
    expect(listed.executions!.map((e) => e.name)).toContain(res.body.orderId);
    const events = await historyOf(cloud, res.body.orderId);
    const lambda = ['LambdaFunctionScheduled', 'LambdaFunctionStarted', 'LambdaFunctionSucceeded'];
    const choice = ['ChoiceStateEntered', 'ChoiceStateExited'];
    expect(typesOf(events)).toEqual([
      'ExecutionStarted',
      ...['TaskStateEntered', ...lambda, 'TaskStateExited', ...choice],
      ...['TaskStateEntered', ...lambda, 'TaskStateExited'],
      ...['TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskSucceeded', 'TaskStateExited'],
      'ExecutionSucceeded',
    ]);
    expect(events.filter((e) => e.type === 'TaskStateEntered').map((e) => e.stateEnteredEventDetails!.name)).toEqual([
      'ValidateOrder',
      'StoreOrder',
      'SendToQueue',
    ]);
    const { roleArn } = await sfnOf(cloud).send(new DescribeStateMachineCommand({ stateMachineArn: cloud.stateMachineArn }));
    expect(events[0].executionStartedEventDetails!.roleArn).toBe(roleArn);
    expect(events.find((e) => e.type === 'TaskScheduled')!.taskScheduledEventDetails).toMatchObject({
      resourceType: 'sqs',
      resource: 'sendMessage',
    });
  });

  it('StopExecution: an execution stopped while it runs is ABORTED and its history ends with ExecutionAborted; one that had ended is unchanged', async () => {
    // Orders as the api-handler starts them: each execution runs two functions, a DynamoDB task and SQS.
    const names = Array.from({ length: 10 }, () => randomUUID());
    const sfn = sfnOf(cloud);
    for (const name of names) {
      const input = JSON.stringify({ orderId: name, ...validOrder, acceptedAt: new Date().toISOString() });
      await sfn.send(new StartExecutionCommand({ stateMachineArn: cloud.stateMachineArn, name, input }));
    }
    // The most recent first: the last one started is stopped one request later, long before the back end
    // (at its lower priority, behind nine others) can have run its two functions and its tasks.
    for (const name of [...names].reverse())
      await sfn.send(
        new StopExecutionCommand({ executionArn: executionArnOf(cloud, name), error: 'Test.Stop', cause: 'stopped by paths.test' }),
      );
    const seen = [];
    for (const name of names) {
      const { status, error, cause } = await endedExecution(cloud, name);
      const events = await historyOf(cloud, name);
      const last = events[events.length - 1];
      seen.push({
        status,
        error,
        cause,
        last: { type: last.type, previousEventId: last.previousEventId, aborted: last.executionAbortedEventDetails },
      });
    }
    const terminalEvent = { ABORTED: 'ExecutionAborted', SUCCEEDED: 'ExecutionSucceeded', FAILED: 'ExecutionFailed' } as Record<
      string,
      string
    >;
    expect(seen.map((e) => [e.status, e.last.type])).toEqual(seen.map((e) => [e.status, terminalEvent[e.status!]]));
    const aborted = seen.filter((e) => e.status === 'ABORTED');
    expect(aborted.length).toBeGreaterThan(0);
    const stopped = { error: 'Test.Stop', cause: 'stopped by paths.test' };
    expect(aborted).toEqual(
      aborted.map(() => ({ status: 'ABORTED', ...stopped, last: { type: 'ExecutionAborted', previousEventId: 0, aborted: stopped } })),
    );
    expect(seen.filter((e) => e.status !== 'ABORTED').map((e) => e.error)).not.toContain('Test.Stop');
  });

  it('idempotency: a replay returns the same order; the same key with another body is 409', async () => {
    const key = `replay-${Date.now()}`;
    const first = await postOrder(cloud.url, validOrder, { 'Idempotency-Key': key });
    const replay = await postOrder(cloud.url, validOrder, { 'Idempotency-Key': key });
    expect([first.status, replay.status]).toEqual([202, 202]);
    expect(replay.body.orderId).toBe(first.body.orderId);
    const conflict = await postOrder(cloud.url, { ...validOrder, customerId: 'CUST-99999' }, { 'Idempotency-Key': key });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('IDEMPOTENCY_CONFLICT');
  });

  it('GET of an unknown id is 404 ORDER_NOT_FOUND', async () => {
    const res = await http(`${cloud.url}/orders/00000000-0000-4000-8000-000000000000`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('ORDER_NOT_FOUND');
  });

  // Last: it stops the clouds the cases above use.
  it('stops every local cloud cleanly on Ctrl-C (SIGINT): exit code 0', async () => {
    expect(await stopAll()).toEqual([0, 0, 0, 0]);
  });
});
