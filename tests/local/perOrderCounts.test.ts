/**
 * The cost model's per-order counts (scripts/cost/perOrder.ts) against what the local cloud really does, for one
 * order of each outcome (issue 17: "check that the per-order counts (transitions, writes, requests) match what the
 * local cloud actually does").
 *
 * What is counted, and where:
 * - state transitions, the execution's events and the functions and service tasks it runs: GetExecutionHistory
 *   (STANDARD keeps every execution's history);
 * - Lambda invocations and the log lines they write: the functions' log groups (FilterLogEvents on the local
 *   CloudWatch Logs), the distinct requestIds of the lines that name the order, and every line of those requests;
 * - DynamoDB, SQS and Step Functions requests: the IAM gates' request log (`DOFS_REQUEST_LOG`, local/iamGate.ts),
 *   one line per request with its role and the order it names. Receives and deletes name no order: orders are posted
 *   one at a time, each waited for until nothing of it is left in flight, so every batch holds one message and the
 *   deletes in an order's window are its own.
 *
 * Not comparable, and printed only: ReceiveMessage requests (the local pollers long-poll 1 s at a time, two per
 * mapping; the model prices Lambda's idle long polls apart, per month, `ASSUMPTIONS.pollersPerMapping`), and the
 * in-flight index's writes (dynalite maintains the index inside; no request shows them). API requests are what the
 * test sends. A GET poll (PER_POLL) is compared by its requests and lines: a found order is answered without a line,
 * so its invocation shows as its GetItem only. The reconciler's run is compared by what it does per run (a Query per
 * in-flight shard, one line).
 *
 * Two local clouds: one at fulfillmentSuccessRate 0.5 (a rejection, then valid orders until one is fulfilled and one
 * is out of stock), one whose fulfillment always fails (an order dead-lettered after `maxReceiveCount` receives).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, type HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalCloudFile } from '../../local/discovery';
import type { RequestLogLine } from '../../local/iamGate';
import { IN_FLIGHT_SHARDS } from '../../runtime/inFlightIndex';
import {
  type Counts,
  FUNCTIONS,
  type FunctionNoun,
  ORDER_COUNTS,
  OUTCOMES,
  type Outcome,
  PER_FAILED_RECEIVE,
  PER_POLL,
  PER_RECONCILE_RUN,
} from '../../scripts/cost/perOrder';
import { type RunningCloud, http, postOrder, startCloud, waitUntil } from '../support/localCloud';

const VALID = { customerId: 'CUST-00042', items: [{ productId: 'SKU-1001', quantity: 2, unitPrice: 19.99 }] };
/** Fails tier 2 (INVALID_CUSTOMER_ID), passes tier 1. */
const REJECTED_BODY = { ...VALID, customerId: 'BAD-1' };
/** Valid orders posted at most, looking for one fulfilled and one out of stock at a rate of 0.5 (each 2^-15 to miss). */
const MAX_VALID_ORDERS = 16;
/**
 * The reconciler re-drives an order in flight past this bound: a day, so that on a slow machine no re-drive (a rare
 * path the model does not count) mixes into an order's counts. Its runs still read the index every 10 s.
 */
const NO_REDRIVE = 'stuckOrderMinutes=1440';
const OWNER = { accessKeyId: 'local', secretAccessKey: 'local' };
const LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'EMF'] as const;
/** A line's kind: its level, EMF (a metric), or OTHER (no known level: a platform line, TRACE, FATAL), which the model has none of. */
type Kind = (typeof LEVELS)[number] | 'OTHER';

/** What one order made the local cloud do, counted in the same units as {@link Counts}. */
interface Measured {
  readonly executions: number;
  readonly stateTransitions: number;
  readonly workflowEvents: Counts['workflowEvents'];
  readonly workflowFunctions: readonly string[];
  readonly workflowServiceTasks: number;
  readonly invocations: Partial<Record<FunctionNoun, number>>;
  readonly logLines: Partial<Record<FunctionNoun, Record<Kind, number>>>;
  readonly writes: Counts['writes'];
  readonly consistentReads: number;
  readonly eventuallyConsistentReads: number;
  /** DynamoDB requests naming the order that the model counts none of (DeleteItem, Query, batches, transactions). */
  readonly otherDynamo: number;
  readonly sqs: Counts['sqs'];
  /** Not compared: ReceiveMessage requests in the order's window, by queue (empty long polls included). */
  readonly receives: Readonly<Record<string, number>>;
  /** Printed: the requests naming the order, by role and operation. */
  readonly byRole: Readonly<Record<string, number>>;
}

/** One compared figure. */
interface Row {
  readonly metric: string;
  readonly measured: number | string;
  readonly modelled: number | string;
}

/** The figures the table prints, by column (an outcome, the GET poll, the reconciler run). */
const table = new Map<string, Row[]>();

interface Cloud {
  readonly running: RunningCloud;
  readonly dir: string;
  readonly requestLog: string;
  readonly found: LocalCloudFile;
  readonly ddb: DynamoDBDocumentClient;
  readonly sfn: SFNClient;
  readonly sqs: SQSClient;
  readonly logs: CloudWatchLogsClient;
}

/**
 * A STANDARD local cloud (its executions keep their histories) with its request log and its discovery file in a
 * directory of its own.
 */
const start = async (args: string[]): Promise<Cloud> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dofs-counts-'));
  const requestLog = path.join(dir, 'requests.jsonl');
  let running: RunningCloud | undefined;
  let found: LocalCloudFile;
  try {
    running = await startCloud(['--config', 'workflowType=STANDARD', '--config', NO_REDRIVE, ...args], {
      DOFS_DATA_DIR: dir,
      DOFS_REQUEST_LOG: requestLog,
    });
    found = JSON.parse(fs.readFileSync(path.join(dir, 'dev', 'local-cloud.json'), 'utf8')) as LocalCloudFile;
  } catch (e) {
    await running?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const client = { region: found.region, credentials: OWNER };
  return {
    running,
    dir,
    requestLog,
    found,
    ddb: DynamoDBDocumentClient.from(new DynamoDBClient({ ...client, endpoint: found.endpoints.dynamodb })),
    sfn: new SFNClient({ ...client, endpoint: found.endpoints.sfn }),
    sqs: new SQSClient({ ...client, endpoint: found.endpoints.sqs, useQueueUrlAsEndpoint: false }),
    logs: new CloudWatchLogsClient({ ...client, endpoint: found.endpoints.logs }),
  };
};

const stop = async (c: Cloud | undefined): Promise<void> => {
  if (!c) return;
  await c.running.stop();
  for (const client of [c.ddb, c.sfn, c.sqs, c.logs]) client.destroy();
  fs.rmSync(c.dir, { recursive: true, force: true });
};

const executionArn = (c: Cloud, orderId: string) =>
  `${c.found.outputs.stateMachineArn.replace(':stateMachine:', ':execution:')}:${orderId}`;

const queueDepth = async (c: Cloud, url: string): Promise<number> => {
  const { Attributes = {} } = await c.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return Object.values(Attributes).reduce((n, v) => n + Number(v), 0);
};

/** The orders queue's maxReceiveCount, from its redrive policy as the local SQS holds it. */
const maxReceiveCountOf = async (c: Cloud): Promise<number> => {
  const { Attributes = {} } = await c.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: c.found.outputs.queueUrl, AttributeNames: ['RedrivePolicy'] }),
  );
  return (JSON.parse(Attributes.RedrivePolicy ?? '{}') as { maxReceiveCount: number }).maxReceiveCount;
};

/**
 * Posts one order and waits until nothing of it is in flight: its item terminal (read as the owner, not through the
 * API, so that no GET poll mixes into its counts), its execution ended, both queues empty (deleted, not merely
 * received). Returns the order and its window.
 */
const runOrder = async (c: Cloud, body: unknown) => {
  const from = Date.now();
  const posted = await postOrder(c.running.url, body);
  if (posted.status !== 202) throw new Error(`POST /orders answered ${posted.status}: ${JSON.stringify(posted.body)}`);
  const orderId = posted.body.orderId as string;
  let item: { status?: string; failureReason?: string } | undefined;
  await waitUntil(
    () => `order ${orderId} terminal (last seen ${JSON.stringify(item)})`,
    async () => {
      item = (await c.ddb.send(new GetCommand({ TableName: c.found.outputs.ordersTableName, Key: { orderId }, ConsistentRead: true })))
        .Item as typeof item;
      return ['REJECTED', 'FULFILLED', 'FAILED'].includes(item?.status ?? '');
    },
  );
  await waitUntil(`execution ${orderId} ended`, async () => {
    const d = await c.sfn.send(new DescribeExecutionCommand({ executionArn: executionArn(c, orderId) }));
    return d.status !== 'RUNNING';
  });
  await waitUntil(
    `both queues empty after order ${orderId}`,
    async () => (await queueDepth(c, c.found.outputs.queueUrl)) + (await queueDepth(c, c.found.outputs.dlqUrl)) === 0,
  );
  const outcome: Outcome =
    item!.status === 'REJECTED'
      ? 'REJECTED'
      : item!.status === 'FULFILLED'
        ? 'FULFILLED'
        : item!.failureReason === 'OUT_OF_STOCK'
          ? 'OUT_OF_STOCK'
          : 'DEAD_LETTERED';
  return { orderId, outcome, from, to: Date.now() };
};
type OrderRun = Awaited<ReturnType<typeof runOrder>>;

/** One GET /orders/{id}: a client's poll, after the order's window (PER_POLL). */
const pollOnce = async (c: Cloud, orderId: string): Promise<void> => {
  const res = await http(`${c.running.url}/orders/${orderId}`);
  if (res.status !== 200) throw new Error(`GET /orders/${orderId} answered ${res.status}: ${JSON.stringify(res.body)}`);
};

const readRequests = (c: Cloud): RequestLogLine[] =>
  fs
    .readFileSync(c.requestLog, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as RequestLogLine);

/** A function's log line as the counts need it. */
interface Line {
  readonly requestId?: string;
  readonly orderId?: string;
  readonly messageId?: string;
  readonly task?: string;
  readonly kind: Kind;
  readonly message?: string;
  readonly timestamp: number;
}

const parseLine = (message: string, timestamp: number): Line => {
  try {
    const j = JSON.parse(message) as Record<string, unknown>;
    const s = (k: string) => (typeof j[k] === 'string' ? j[k] : undefined);
    const level = s('level')?.toUpperCase();
    const kind = j._aws !== undefined ? 'EMF' : (LEVELS as readonly string[]).includes(level ?? '') ? (level as Line['kind']) : 'OTHER';
    return {
      requestId: s('requestId'),
      orderId: s('orderId'),
      messageId: s('messageId'),
      task: s('task'),
      message: s('message'),
      kind,
      timestamp,
    };
  } catch {
    // A platform line (`<time> <requestId> Task timed out ...`).
    return { requestId: message.split(' ')[1], kind: 'OTHER', message, timestamp };
  }
};

/** Every line of each function's log group. */
const readLogs = async (c: Cloud): Promise<Record<FunctionNoun, Line[]>> => {
  const groups = c.found.outputs.operations.logGroups as Record<FunctionNoun, string>;
  const out = {} as Record<FunctionNoun, Line[]>;
  for (const fn of FUNCTIONS) {
    const lines: Line[] = [];
    let nextToken: string | undefined;
    do {
      const page = await c.logs.send(new FilterLogEventsCommand({ logGroupName: groups[fn], nextToken }));
      for (const e of page.events ?? []) lines.push(parseLine(e.message ?? '', e.timestamp ?? 0));
      nextToken = page.nextToken;
    } while (nextToken);
    out[fn] = lines;
  }
  return out;
};

const reconcileLines = (logs: Record<FunctionNoun, Line[]>) => logs['api-handler'].filter((l) => l.task === 'reconcile');

/**
 * The log groups once the orders' lines have all arrived: a function's lines reach its group on a stream of their
 * own, after its answer. Read, wait for the reconciler's next run (its line is the signal that the cloud has gone
 * on), read again; done when the two reads hold the same lines of orders.
 */
const settledLogs = async (c: Cloud): Promise<Record<FunctionNoun, Line[]>> => {
  const ofOrders = (logs: Record<FunctionNoun, Line[]>) =>
    FUNCTIONS.map((fn) => logs[fn].filter((l) => l.orderId !== undefined).length).join();
  let before = await readLogs(c);
  for (;;) {
    const runs = reconcileLines(before).length;
    let after = before;
    await waitUntil(
      'a reconciler run after the log read',
      async () => {
        after = await readLogs(c);
        return reconcileLines(after).length > runs;
      },
      250,
    );
    if (ofOrders(after) === ofOrders(before)) return after;
    before = after;
  }
};

/** A role's function noun, or `workflow` for the state machine's. */
const nounOfRole = (role: string): string => FUNCTIONS.find((f) => role.includes(f)) ?? (role.includes('workflow') ? 'workflow' : role);

const historyOf = async (c: Cloud, orderId: string): Promise<HistoryEvent[]> => {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await c.sfn.send(new GetExecutionHistoryCommand({ executionArn: executionArn(c, orderId), nextToken, maxResults: 1000 }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
};

/** https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html#cloudwatch-log-level: what ERROR and FATAL log. */
const isErrorEvent = (type: string) => type === 'FailStateEntered' || /(Failed|TimedOut|Aborted)$/.test(type);
const isFatalEvent = (type: string) => ['ExecutionFailed', 'ExecutionAborted', 'ExecutionTimedOut'].includes(type);

/** Counts what `run`'s order made the local cloud do, inside its window. */
const measure = async (
  c: Cloud,
  run: OrderRun,
  requests: readonly RequestLogLine[],
  logs: Record<FunctionNoun, Line[]>,
): Promise<Measured> => {
  const { ordersTableName, failedOrdersTableName } = c.found.outputs;
  const queue = (url: string) => url.split('/').pop()!;
  const [ordersQueue, dlq] = [queue(c.found.outputs.queueUrl), queue(c.found.outputs.dlqUrl)];
  const inWindow = requests.filter((r) => r.principal !== 'owner' && r.time >= run.from && r.time <= run.to);
  const mine = inWindow.filter((r) => r.orderId === run.orderId);
  const count = (f: (r: RequestLogLine) => boolean, of: readonly RequestLogLine[] = mine) => of.filter(f).length;
  const isDynamo = (ops: string[]) => (r: RequestLogLine) => r.service === 'dynamodb' && ops.includes(r.operation);

  // Step Functions: every state entered, and each retry (an attempt after a task's first) as the next transition.
  const history = await historyOf(c, run.orderId);
  const types = history.map((e) => e.type ?? '');
  const attempts = types.filter((t) => t === 'LambdaFunctionScheduled' || t === 'TaskScheduled').length;
  const functionArns = history.flatMap((e) =>
    e.lambdaFunctionScheduledEventDetails?.resource ? [e.lambdaFunctionScheduledEventDetails.resource] : [],
  );

  // Lambda: a function's invocations for the order are the requestIds of its lines that name the order.
  const invocations: Measured['invocations'] = {};
  const logLines: Measured['logLines'] = {};
  for (const fn of FUNCTIONS) {
    const ids = new Set(logs[fn].filter((l) => l.orderId === run.orderId && l.requestId).map((l) => l.requestId!));
    if (ids.size === 0) continue;
    invocations[fn] = ids.size;
    const lines = logs[fn].filter((l) => l.requestId !== undefined && ids.has(l.requestId));
    logLines[fn] = Object.fromEntries([...LEVELS, 'OTHER'].map((k) => [k, lines.filter((l) => l.kind === k).length])) as Record<
      Kind,
      number
    >;
    // One message a batch: each invocation of a queue consumer carried this order's message alone.
    for (const id of ids) {
      expect(new Set(lines.filter((l) => l.requestId === id && l.messageId).map((l) => l.messageId)).size).toBeLessThanOrEqual(1);
    }
  }

  const byRole: Record<string, number> = {};
  for (const r of mine)
    byRole[`${nounOfRole(r.principal)} ${r.operation}`] = (byRole[`${nounOfRole(r.principal)} ${r.operation}`] ?? 0) + 1;
  const deletes = (q: string) => count((r) => r.service === 'sqs' && r.resource === q && r.operation.startsWith('DeleteMessage'), inWindow);
  return {
    executions: count((r) => r.service === 'states' && r.operation === 'StartExecution'),
    stateTransitions:
      types.filter((t) => t.endsWith('StateEntered')).length + attempts - types.filter((t) => t === 'TaskStateEntered').length,
    workflowEvents: { ALL: types.length, ERROR: types.filter(isErrorEvent).length, FATAL: types.filter(isFatalEvent).length },
    workflowFunctions: functionArns.map((arn) => FUNCTIONS.find((f) => arn.endsWith(`:${f}`) || arn.includes(`-${f}`)) ?? arn),
    workflowServiceTasks: types.filter((t) => t === 'TaskScheduled').length,
    invocations,
    logLines,
    writes: {
      orders: count((r) => isDynamo(['PutItem', 'UpdateItem'])(r) && r.resource === ordersTableName),
      failedOrders: count((r) => isDynamo(['PutItem', 'UpdateItem'])(r) && r.resource === failedOrdersTableName),
    },
    consistentReads: count((r) => isDynamo(['GetItem'])(r) && r.consistentRead === true),
    eventuallyConsistentReads: count((r) => isDynamo(['GetItem'])(r) && r.consistentRead !== true),
    otherDynamo: count((r) => r.service === 'dynamodb' && !['PutItem', 'UpdateItem', 'GetItem'].includes(r.operation)),
    sqs: {
      sends: count((r) => r.service === 'sqs' && r.operation.startsWith('SendMessage')),
      // Deliveries: each invocation of a consumer carried one message (checked above).
      ordersDelivered: invocations.fulfillment ?? 0,
      ordersDeleted: deletes(ordersQueue),
      dlqDelivered: invocations['dlq-handler'] ?? 0,
      dlqDeleted: deletes(dlq),
    },
    receives: Object.fromEntries(
      [ordersQueue, dlq].map((q) => [
        q,
        count((r) => r.service === 'sqs' && r.operation === 'ReceiveMessage' && r.resource === q, inWindow),
      ]),
    ),
    byRole,
  };
};

/** The model's counts for one order of `outcome`: its own, and for a dead-lettered one its failed receives. */
const modelled = (outcome: Outcome, maxReceiveCount: number) => {
  const base = ORDER_COUNTS[outcome];
  const failed = outcome === 'DEAD_LETTERED' ? maxReceiveCount : 0;
  const plus = (f: (c: Counts) => number | undefined) => (f(base) ?? 0) + failed * (f(PER_FAILED_RECEIVE) ?? 0);
  return { base, plus };
};

/** Function nouns, short enough for a table cell. */
const short = (fns: readonly string[]) => fns.map((f) => f.split('-')[0].slice(0, 5)).join('+');

/** Measured against modelled, figure by figure, for one order. */
const compare = (outcome: Outcome, m: Measured, maxReceiveCount: number): Row[] => {
  const { base, plus } = modelled(outcome, maxReceiveCount);
  const rows: Row[] = [
    { metric: 'executions started', measured: m.executions, modelled: base.executions },
    { metric: 'state transitions (STANDARD)', measured: m.stateTransitions, modelled: base.stateTransitions },
    { metric: 'history events (log level ALL)', measured: m.workflowEvents.ALL, modelled: base.workflowEvents.ALL },
    { metric: 'history events (ERROR)', measured: m.workflowEvents.ERROR, modelled: base.workflowEvents.ERROR },
    { metric: 'history events (FATAL)', measured: m.workflowEvents.FATAL, modelled: base.workflowEvents.FATAL },
    { metric: 'workflow functions', measured: short(m.workflowFunctions), modelled: short(base.workflowFunctions) },
    { metric: 'workflow service tasks', measured: m.workflowServiceTasks, modelled: base.workflowServiceTasks },
    ...FUNCTIONS.map((fn) => ({ metric: `invocations ${fn}`, measured: m.invocations[fn] ?? 0, modelled: plus((c) => c.invocations[fn]) })),
    ...FUNCTIONS.flatMap((fn) =>
      LEVELS.map((k) => ({
        metric: `log lines ${fn} ${k}`,
        measured: m.logLines[fn]?.[k] ?? 0,
        modelled: plus((c) => c.logLines[fn]?.[k]),
      })),
    ),
    ...FUNCTIONS.map((fn) => ({ metric: `log lines ${fn} OTHER`, measured: m.logLines[fn]?.OTHER ?? 0, modelled: 0 })),
    { metric: 'DynamoDB writes, orders', measured: m.writes.orders, modelled: plus((c) => c.writes.orders) },
    { metric: 'DynamoDB writes, failed-orders', measured: m.writes.failedOrders, modelled: plus((c) => c.writes.failedOrders) },
    { metric: 'DynamoDB consistent reads', measured: m.consistentReads, modelled: plus((c) => c.consistentReads) },
    {
      metric: 'DynamoDB eventually consistent reads',
      measured: m.eventuallyConsistentReads,
      modelled: plus((c) => c.eventuallyConsistentReads),
    },
    { metric: 'DynamoDB other requests (DeleteItem, Query, ...)', measured: m.otherDynamo, modelled: 0 },
    { metric: 'SQS sends', measured: m.sqs.sends, modelled: plus((c) => c.sqs.sends) },
    { metric: 'orders queue deliveries', measured: m.sqs.ordersDelivered, modelled: plus((c) => c.sqs.ordersDelivered) },
    { metric: 'orders queue deletes (batches of one)', measured: m.sqs.ordersDeleted, modelled: plus((c) => c.sqs.ordersDeleted) },
    { metric: 'DLQ deliveries', measured: m.sqs.dlqDelivered, modelled: plus((c) => c.sqs.dlqDelivered) },
    { metric: 'DLQ deletes (batches of one)', measured: m.sqs.dlqDeleted, modelled: plus((c) => c.sqs.dlqDeleted) },
  ];
  return rows;
};

/** What one GET poll made the cloud do: the requests naming the order after its window, and api-handler lines. */
const comparePoll = (run: OrderRun, requests: readonly RequestLogLine[], logs: Record<FunctionNoun, Line[]>): Row[] => {
  const after = requests.filter((r) => r.principal !== 'owner' && r.orderId === run.orderId && r.time > run.to);
  const lines = logs['api-handler'].filter((l) => l.orderId === run.orderId && l.timestamp > run.to);
  return [
    {
      metric: 'DynamoDB consistent reads',
      measured: after.filter((r) => r.operation === 'GetItem' && r.consistentRead === true).length,
      modelled: PER_POLL.consistentReads,
    },
    {
      metric: 'DynamoDB eventually consistent reads',
      measured: after.filter((r) => r.operation === 'GetItem' && r.consistentRead !== true).length,
      modelled: PER_POLL.eventuallyConsistentReads,
    },
    {
      metric: 'DynamoDB other requests (DeleteItem, Query, ...)',
      measured: after.filter((r) => r.operation !== 'GetItem').length,
      modelled: 0,
    },
    {
      metric: 'log lines api-handler, any kind',
      measured: lines.length,
      modelled: Object.values(PER_POLL.logLines['api-handler'] ?? {}).reduce((n, x) => n + x, 0),
    },
  ];
};

/** The reconciler's runs so far: Queries per run (one per in-flight shard, facts.ts reconcilerReadOf) and lines per run. */
const compareReconciler = (requests: readonly RequestLogLine[], logs: Record<FunctionNoun, Line[]>): Row[] => {
  const runs = reconcileLines(logs);
  const last = Math.max(...runs.map((l) => l.timestamp));
  const queries = requests.filter(
    (r) => r.service === 'dynamodb' && r.operation === 'Query' && nounOfRole(r.principal) === 'api-handler' && r.time <= last,
  );
  const invocations = new Set(runs.map((l) => l.requestId)).size;
  return [
    { metric: 'invocations api-handler', measured: invocations / runs.length, modelled: PER_RECONCILE_RUN.invocations['api-handler'] ?? 0 },
    {
      metric: 'log lines api-handler INFO',
      measured: runs.filter((l) => l.kind === 'INFO').length / runs.length,
      modelled: PER_RECONCILE_RUN.logLines['api-handler']?.INFO ?? 0,
    },
    { metric: 'DynamoDB Query of the in-flight index', measured: queries.length / runs.length, modelled: IN_FLIGHT_SHARDS },
  ];
};

const differences = (column: string, rows: readonly Row[]) =>
  rows
    .filter((r) => String(r.measured) !== String(r.modelled))
    .map((r) => `${column}: ${r.metric}: measured ${r.measured}, modelled ${r.modelled}`);

/** The table: a row per figure that is not zero everywhere, a column per outcome; `!` marks a difference. */
const printTable = (title: string, byColumn: ReadonlyMap<string, readonly Row[]>, notes: readonly string[]) => {
  const order = [...OUTCOMES, 'GET poll', 'reconciler run'];
  const columns = new Map([...byColumn].sort(([a], [b]) => order.indexOf(a) - order.indexOf(b)));
  const metrics = [...new Set([...columns.values()].flatMap((rows) => rows.map((r) => r.metric)))];
  const cell = (r: Row | undefined) =>
    r === undefined ? '' : `${r.measured}/${r.modelled}${String(r.measured) === String(r.modelled) ? '' : ' !'}`;
  const body = metrics
    .map((metric) => [metric, ...[...columns.values()].map((rows) => cell(rows.find((r) => r.metric === metric)))])
    .filter(([, ...cells]) => cells.some((c) => c !== '' && !/^0\/0$/.test(c)));
  const header = ['measured/modelled per order', ...columns.keys()];
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log([title, line(header), ...body.map(line), ...notes].join('\n'));
};

describe('the cost model counts, per order, what the local cloud does', () => {
  const notes: string[] = [];

  afterAll(() => {
    if (table.size > 0) printTable('per-order counts: local cloud (STANDARD, dev) vs scripts/cost/perOrder.ts', table, notes);
  });

  it('REJECTED, FULFILLED and OUT_OF_STOCK: transitions, invocations, log lines, reads, writes and queue requests', async () => {
    let c: Cloud | undefined;
    try {
      // Given a local cloud that fulfills about half the orders, and logs every request its IAM gates see
      c = await start(['--config', 'fulfillmentSuccessRate=0.5']);
      // When a rejected order, then valid orders until one is fulfilled and one out of stock, run one at a time
      const runs: OrderRun[] = [await runOrder(c, REJECTED_BODY)];
      const seen = () => new Set(runs.map((r) => r.outcome));
      while (!(seen().has('FULFILLED') && seen().has('OUT_OF_STOCK')) && runs.length <= MAX_VALID_ORDERS)
        runs.push(await runOrder(c, VALID));
      for (const r of runs) await pollOnce(c, r.orderId);
      const maxReceiveCount = await maxReceiveCountOf(c);
      const logs = await settledLogs(c);
      const requests = readRequests(c);
      // Every gate took part: dynalite's thread (DynamoDB), the back end's (SQS) and the host's (Step Functions).
      expect(new Set(requests.map((r) => r.service))).toEqual(new Set(['dynamodb', 'sqs', 'states']));

      // Then each order's counts are the model's for its outcome
      const problems: string[] = [];
      for (const run of runs) {
        const m = await measure(c, run, requests, logs);
        const rows = compare(run.outcome, m, maxReceiveCount);
        if (!table.has(run.outcome)) {
          table.set(run.outcome, rows);
          notes.push(
            `${run.outcome}: requests by role: ${JSON.stringify(m.byRole)}; ReceiveMessage in its window (not compared): ${JSON.stringify(m.receives)}`,
          );
        }
        problems.push(...differences(`${run.outcome} ${run.orderId}`, rows));
      }
      // and so are each GET poll's (PER_POLL) and the reconciler's runs (PER_RECONCILE_RUN)
      for (const run of runs) {
        const poll = comparePoll(run, requests, logs);
        if (!table.has('GET poll')) table.set('GET poll', poll);
        problems.push(...differences(`GET poll ${run.orderId}`, poll));
      }
      const reconciler = compareReconciler(requests, logs);
      table.set('reconciler run', reconciler);
      problems.push(...differences('reconciler run', reconciler));
      notes.push(
        `cloud 1: ${runs.length} orders (${runs.map((r) => r.outcome).join(', ')}), each compared; ${reconcileLines(logs).length} reconciler runs`,
      );
      expect(seen()).toEqual(new Set(['REJECTED', 'FULFILLED', 'OUT_OF_STOCK']));
      expect(problems).toEqual([]);
    } finally {
      await stop(c);
    }
  });

  it('DEAD_LETTERED: maxReceiveCount failed fulfillment receives, then the dlq-handler', async () => {
    let c: Cloud | undefined;
    try {
      // Given a local cloud whose fulfillment always fails
      c = await start(['--config', 'faults={"fulfillment":{"errorRate":1}}']);
      // When one valid order runs to its end
      const run = await runOrder(c, VALID);
      const maxReceiveCount = await maxReceiveCountOf(c);
      const logs = await settledLogs(c);
      const requests = readRequests(c);
      // Then it was dead-lettered, and its counts are the model's: its own plus maxReceiveCount × PER_FAILED_RECEIVE
      expect(run.outcome).toBe('DEAD_LETTERED');
      const m = await measure(c, run, requests, logs);
      const rows = compare('DEAD_LETTERED', m, maxReceiveCount);
      table.set('DEAD_LETTERED', rows);
      notes.push(
        `DEAD_LETTERED (maxReceiveCount ${maxReceiveCount}): requests by role: ${JSON.stringify(m.byRole)}; ReceiveMessage in its window (not compared): ${JSON.stringify(m.receives)}`,
      );
      expect(differences(`DEAD_LETTERED ${run.orderId}`, rows)).toEqual([]);
    } finally {
      await stop(c);
    }
  });
});
