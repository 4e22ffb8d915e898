/**
 * The cost model behind `npm run cost`: pure functions from a design's facts (read from the synthesized stack, or
 * the seed report's), the per-order counts (perOrder.ts) and the prices (prices.ts) to a month's line items.
 */
import { type Counts, type FunctionNoun, FUNCTIONS, OUTCOMES, type Outcome } from './perOrder';
import { PRICES, type Prices, priceOf } from './prices';

/** AWS prices by the month of 730 hours. */
export const SECONDS_PER_MONTH = 730 * 3600;
const GIB = 2 ** 30;

export type Level = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
const RANK: Record<Level, number> = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40 };

/** What the cost of one function depends on. */
export interface FunctionFacts {
  readonly memoryMb: number;
  readonly architecture: 'arm64' | 'x86_64';
  readonly timeoutSeconds: number;
  /** JSON: Lambda filters lines by level (application and system); Text: every line is kept. */
  readonly logFormat: 'JSON' | 'Text';
  readonly applicationLogLevel?: Level;
  readonly systemLogLevel?: Level;
  /** The level the code itself filters at (LOG_LEVEL); none: the code writes every line. */
  readonly codeLogLevel?: Level;
  /** X-Ray active tracing: a function invoked by an event source mapping or a schedule starts its own traces. */
  readonly tracing: boolean;
}

/** An event source mapping's batching. */
export interface Batching {
  readonly batchSize: number;
  readonly windowSeconds: number;
}

/** Bytes per ingested log line by kind (CloudWatch Logs adds 26 bytes of metadata to each event). */
export interface LineBytes {
  /** A JSON application line (runtime/log.ts) or a text one. */
  readonly app: number;
  /** An EMF metric line. */
  readonly emf: number;
  /** A Lambda platform line (JSON platform.start/report, or text START/END/REPORT). */
  readonly platform: number;
  /** A Step Functions execution event, without and with execution data. */
  readonly workflowEvent: number;
  readonly workflowEventWithData: number;
  /** An API Gateway access log line (0: no access log). */
  readonly accessLog: number;
}

/** Everything about one design that its monthly cost depends on. */
export interface DesignFacts {
  readonly label: string;
  readonly workflowType: 'STANDARD' | 'EXPRESS';
  readonly functions: Readonly<Record<FunctionNoun, FunctionFacts>>;
  readonly workflowLogLevel: 'ALL' | 'ERROR' | 'FATAL' | 'OFF';
  readonly workflowLogIncludesData: boolean;
  /** The rendered ASL's size, bytes: part of an EXPRESS execution's memory. */
  readonly definitionBytes: number;
  readonly apiTracing: boolean;
  readonly fulfillmentBatching: Batching;
  readonly dlqBatching: Batching;
  readonly maxReceiveCount: number;
  /** Minutes between reconciler runs; undefined: no reconciler. */
  readonly reconcileEveryMinutes?: number;
  /** How the reconciler finds stuck orders: a Scan of the orders table, or a Query per shard of the in-flight index. */
  readonly reconcilerRead: { readonly kind: 'scan' } | { readonly kind: 'index'; readonly queriesPerRun: number };
  /** Global secondary indexes of the orders table: each in-flight index write is billed once per index. */
  readonly orderTableIndexes: number;
  /** Custom metrics (unique name + dimensions) the design can emit. */
  readonly customMetrics: number;
  readonly alarms: number;
  readonly dashboards: number;
  readonly kmsKeys: number;
  /** DynamoDB tables encrypted with the AWS managed key (KMS requests on our bill). */
  readonly kmsEncryptedTables: number;
  /** Item sizes, bytes, as DynamoDB bills them. */
  readonly orderItemBytes: number;
  readonly failedItemBytes: number;
  readonly messageBytes: number;
  readonly lineBytes: LineBytes;
  readonly counts: {
    readonly perOutcome: Readonly<Record<Outcome, Counts>>;
    readonly perPoll: Counts;
    readonly perFailedReceive: Counts;
    readonly perReconcileRun: Counts;
  };
}

/** What a month's work is. */
export interface Workload {
  readonly ordersPerMonth: number;
  readonly pollsPerOrder: number;
  /** Shares of all orders: REJECTED and DEAD_LETTERED; the rest splits by the fulfillment success rate. */
  readonly rejectedShare: number;
  readonly deadLetterShare: number;
  readonly fulfillmentSuccessRate: number;
  /** Orders the orders table holds (what the reconciler scans, and what is stored). */
  readonly storedOrders: number;
}

/** Milliseconds per invocation (queue consumers: per message), by what runs. */
export interface Durations {
  readonly 'api-handler-post': number;
  readonly 'api-handler-get': number;
  readonly validator: number;
  readonly 'store-order': number;
  readonly fulfillment: number;
  readonly 'dlq-handler': number;
  readonly reconciler: number;
}
export const DURATION_KEYS: readonly (keyof Durations)[] = [
  'api-handler-post',
  'api-handler-get',
  'validator',
  'store-order',
  'fulfillment',
  'dlq-handler',
  'reconciler',
];

/** Fixed assumptions of the model, each with its reason. */
export const ASSUMPTIONS = {
  /** Step Functions' own time around a task (invoke or API call) in an EXPRESS execution, ms. */
  taskOverheadMs: 20,
  /** An EXPRESS execution's memory: 50 MB plus its definition and its data (the pricing page's estimate). */
  expressBaseMemoryMb: 50,
  /** Lambda's pollers long-poll each SQS mapping, 20 s a receive, even when the queue is empty. */
  pollersPerMapping: 5,
  longPollSeconds: 20,
  /** DynamoDB caches a table's data key: about one KMS request per table per five minutes. */
  kmsRequestsPerTablePerHour: 12,
  /** X-Ray's default sampling rule: the first request each second and 5% of the rest. */
  xRayReservoirPerSecond: 1,
  xRayRate: 0.05,
  /** CloudWatch Logs' per-event overhead, bytes (PutLogEvents counts each event as its message plus 26 bytes). */
  logEventOverheadBytes: 26,
  /** DynamoDB's per-item storage overhead, bytes. */
  dynamoItemOverheadBytes: 100,
} as const;

/** The share of each outcome. */
export const outcomeMix = (w: Workload): Record<Outcome, number> => {
  const rest = 1 - w.rejectedShare - w.deadLetterShare;
  return {
    REJECTED: w.rejectedShare,
    FULFILLED: rest * w.fulfillmentSuccessRate,
    OUT_OF_STOCK: rest * (1 - w.fulfillmentSuccessRate),
    DEAD_LETTERED: w.deadLetterShare,
  };
};

/** Messages an event source mapping hands to one invocation: the batch size, unless the window closes first. */
export const effectiveBatch = (b: Batching, messagesPerSecond: number): number =>
  Math.min(b.batchSize, Math.max(1, messagesPerSecond * b.windowSeconds));

/**
 * Traces X-Ray records for `requests` a month at the default rule: the reservoir takes the first request of each
 * second that has one (arrivals taken as Poisson), the rate 5% of the others.
 */
export const tracesSampled = (requests: number, seconds = SECONDS_PER_MONTH): number => {
  if (requests <= 0) return 0;
  const reservoir =
    seconds * ASSUMPTIONS.xRayReservoirPerSecond * (1 - Math.exp(-requests / (seconds * ASSUMPTIONS.xRayReservoirPerSecond)));
  return reservoir + ASSUMPTIONS.xRayRate * (requests - reservoir);
};

/** Billed seconds and memory of one EXPRESS execution. */
export const expressBilling = (
  functions: readonly FunctionNoun[],
  serviceTasks: number,
  durations: Durations,
  definitionBytes: number,
): { seconds: number; memoryMb: number } => {
  const ms =
    functions.reduce((n, f) => n + durationOf(f, durations) + ASSUMPTIONS.taskOverheadMs, 0) + serviceTasks * ASSUMPTIONS.taskOverheadMs;
  const memory = ASSUMPTIONS.expressBaseMemoryMb + (definitionBytes + 64 * 1024) / 2 ** 20;
  return { seconds: Math.max(1, Math.ceil(ms / 100)) / 10, memoryMb: Math.ceil(memory / 64) * 64 };
};

const durationOf = (f: FunctionNoun, d: Durations): number => (f === 'api-handler' ? d['api-handler-post'] : d[f]);

/** One line of a month's bill. */
export interface LineItem {
  readonly service: string;
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  readonly usd: number;
}

/** Counts × orders: the month's totals of every numeric count, and the per-function sums. */
const monthOf = (design: DesignFacts, w: Workload) => {
  const mix = outcomeMix(w);
  const parts: [Counts, number][] = [
    ...OUTCOMES.map((o): [Counts, number] => [design.counts.perOutcome[o], w.ordersPerMonth * mix[o]]),
    [design.counts.perPoll, w.ordersPerMonth * w.pollsPerOrder],
    [design.counts.perFailedReceive, w.ordersPerMonth * mix.DEAD_LETTERED * design.maxReceiveCount],
    [design.counts.perReconcileRun, reconcileRuns(design)],
  ];
  const sum = (f: (c: Counts) => number) => parts.reduce((n, [c, times]) => n + f(c) * times, 0);
  return { mix, parts, sum };
};

export const reconcileRuns = (design: DesignFacts): number =>
  design.reconcileEveryMinutes === undefined ? 0 : SECONDS_PER_MONTH / 60 / design.reconcileEveryMinutes;

/** Lambda invocations and GB-seconds by what runs, for the month. */
export const lambdaUsage = (design: DesignFacts, w: Workload, durations: Durations) => {
  const { mix, sum } = monthOf(design, w);
  const orders = (f: (c: Counts) => number) => OUTCOMES.reduce((n, o) => n + f(design.counts.perOutcome[o]) * w.ordersPerMonth * mix[o], 0);
  const fulfillmentMessages = sum((c) => c.invocations.fulfillment ?? 0);
  const dlqMessages = sum((c) => c.invocations['dlq-handler'] ?? 0);
  const perSecond = (n: number) => n / SECONDS_PER_MONTH;
  const fulfillmentBatch = effectiveBatch(design.fulfillmentBatching, perSecond(fulfillmentMessages));
  const dlqBatch = effectiveBatch(design.dlqBatching, perSecond(dlqMessages));
  const runs: { key: keyof Durations; fn: FunctionNoun; invocations: number; billedMs: number }[] = [
    { key: 'api-handler-post', fn: 'api-handler', invocations: orders((c) => c.invocations['api-handler'] ?? 0), billedMs: 0 },
    {
      key: 'api-handler-get',
      fn: 'api-handler',
      invocations: w.ordersPerMonth * w.pollsPerOrder * (design.counts.perPoll.invocations['api-handler'] ?? 0),
      billedMs: 0,
    },
    { key: 'reconciler', fn: 'api-handler', invocations: reconcileRuns(design), billedMs: 0 },
    { key: 'validator', fn: 'validator', invocations: sum((c) => c.invocations.validator ?? 0), billedMs: 0 },
    { key: 'store-order', fn: 'store-order', invocations: sum((c) => c.invocations['store-order'] ?? 0), billedMs: 0 },
    // A queue consumer's duration is per message; it is invoked once a batch.
    { key: 'fulfillment', fn: 'fulfillment', invocations: fulfillmentMessages / fulfillmentBatch, billedMs: 0 },
    { key: 'dlq-handler', fn: 'dlq-handler', invocations: dlqMessages / dlqBatch, billedMs: 0 },
  ];
  const messages: Partial<Record<keyof Durations, number>> = { fulfillment: fulfillmentMessages, 'dlq-handler': dlqMessages };
  return {
    fulfillmentBatch,
    dlqBatch,
    runs: runs.map((r) => {
      const fn = design.functions[r.fn];
      const ms = Math.ceil(durations[r.key]) * (messages[r.key] ?? r.invocations);
      return { ...r, billedMs: ms, gbSeconds: (ms / 1000) * (fn.memoryMb / 1024), architecture: fn.architecture };
    }),
  };
};

/** Log bytes ingested a month, by source. */
export const logUsage = (design: DesignFacts, w: Workload, durations: Durations) => {
  const { parts } = monthOf(design, w);
  const lambda = lambdaUsage(design, w, durations);
  const overhead = ASSUMPTIONS.logEventOverheadBytes;
  const kept = (f: FunctionFacts, level: Level) =>
    (f.codeLogLevel === undefined || RANK[level] >= RANK[f.codeLogLevel]) &&
    (f.logFormat === 'Text' || RANK[level] >= RANK[f.applicationLogLevel ?? 'INFO']);
  let appLines = 0;
  let emfLines = 0;
  for (const [c, times] of parts) {
    for (const fn of FUNCTIONS) {
      const lines = c.logLines[fn];
      const f = design.functions[fn];
      if (!lines) continue;
      for (const level of ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const) if (kept(f, level)) appLines += (lines[level] ?? 0) * times;
      // An EMF line has no level: Lambda takes it as INFO (its application filter); the code writes it at any LOG_LEVEL.
      if (f.logFormat === 'Text' || RANK.INFO >= RANK[f.applicationLogLevel ?? 'INFO']) emfLines += (lines.EMF ?? 0) * times;
    }
  }
  // Platform lines: JSON platform.start and platform.report are INFO (kept if the system level allows); text START/END/REPORT always.
  const platformLines = lambda.runs.reduce((n, r) => {
    const f = design.functions[r.fn];
    const perInvocation = f.logFormat === 'Text' ? 3 : RANK.INFO >= RANK[f.systemLogLevel ?? 'INFO'] ? 2 : 0;
    return n + perInvocation * r.invocations;
  }, 0);
  const eventsPerExecution = (c: Counts) => (design.workflowLogLevel === 'OFF' ? 0 : c.workflowEvents[design.workflowLogLevel]);
  const workflowEvents = parts.reduce((n, [c, times]) => n + eventsPerExecution(c) * times, 0);
  const apiRequests = parts.reduce((n, [c, times]) => n + c.apiRequests * times, 0);
  const b = design.lineBytes;
  const eventBytes = design.workflowLogIncludesData ? b.workflowEventWithData : b.workflowEvent;
  return {
    appLines,
    emfLines,
    platformLines,
    workflowEvents,
    accessLines: b.accessLog > 0 ? apiRequests : 0,
    bytes: {
      functions: appLines * (b.app + overhead) + emfLines * (b.emf + overhead) + platformLines * (b.platform + overhead),
      workflow: workflowEvents * (eventBytes + overhead),
      access: b.accessLog > 0 ? apiRequests * (b.accessLog + overhead) : 0,
    },
  };
};

/** The month's bill of one design, line by line. */
export const monthlyCost = (design: DesignFacts, w: Workload, durations: Durations, prices: Prices = PRICES): LineItem[] => {
  const { mix, parts, sum } = monthOf(design, w);
  const items: LineItem[] = [];
  const add = (service: string, item: string, quantity: number, unit: string, usd: number) =>
    items.push({ service, item, quantity, unit, usd });

  // API Gateway: the POST and the polls.
  const apiRequests = sum((c) => c.apiRequests);
  add('API Gateway', 'REST requests', apiRequests, 'requests', priceOf(prices.apiGatewayRestRequest, apiRequests));

  // Step Functions.
  const executions = sum((c) => c.executions);
  if (design.workflowType === 'STANDARD') {
    const transitions = sum((c) => c.stateTransitions);
    add(
      'Step Functions',
      'STANDARD state transitions',
      transitions,
      'transitions',
      priceOf(prices.stepFunctionsStandardTransition, transitions),
    );
  } else {
    add('Step Functions', 'EXPRESS requests', executions, 'executions', priceOf(prices.stepFunctionsExpressRequest, executions));
    const gbSeconds = parts.reduce((n, [c, times]) => {
      if (c.executions === 0) return n;
      const billed = expressBilling(c.workflowFunctions, c.workflowServiceTasks, durations, design.definitionBytes);
      return n + c.executions * times * billed.seconds * (billed.memoryMb / 1024);
    }, 0);
    add('Step Functions', 'EXPRESS duration', gbSeconds, 'GB-s', priceOf(prices.stepFunctionsExpressDuration, gbSeconds / 3600));
  }

  // Lambda.
  const lambda = lambdaUsage(design, w, durations);
  const invocations = lambda.runs.reduce((n, r) => n + r.invocations, 0);
  add('Lambda', 'requests', invocations, 'invocations', priceOf(prices.lambdaRequest, invocations));
  for (const arch of ['arm64', 'x86_64'] as const) {
    const gbSeconds = lambda.runs.filter((r) => r.architecture === arch).reduce((n, r) => n + r.gbSeconds, 0);
    if (gbSeconds > 0)
      add(
        'Lambda',
        'duration',
        gbSeconds,
        `GB-s ${arch}`,
        priceOf(arch === 'arm64' ? prices.lambdaArmDuration : prices.lambdaX86Duration, gbSeconds),
      );
  }

  // SQS: each send is one request per 64 KiB chunk; receives and deletes go by the mapping's batch; idle long polls.
  const chunks = Math.max(1, Math.ceil(design.messageBytes / 65536));
  const sends = sum((c) => c.sqs.sends) * chunks;
  const receives = sum((c) => c.sqs.ordersDelivered) / lambda.fulfillmentBatch + sum((c) => c.sqs.dlqDelivered) / lambda.dlqBatch;
  const deletes = sum((c) => c.sqs.ordersDeleted) / lambda.fulfillmentBatch + sum((c) => c.sqs.dlqDeleted) / lambda.dlqBatch;
  const idle = 2 * ASSUMPTIONS.pollersPerMapping * (SECONDS_PER_MONTH / ASSUMPTIONS.longPollSeconds);
  add('SQS', 'SendMessage', sends, 'requests', priceOf(prices.sqsStandardRequest, sends));
  add('SQS', 'receives + batch deletes', receives + deletes, 'requests', priceOf(prices.sqsStandardRequest, receives + deletes));
  add('SQS', 'empty long polls (2 mappings)', idle, 'requests', priceOf(prices.sqsStandardRequest, idle));

  // DynamoDB on demand.
  const wruOrder = Math.ceil(design.orderItemBytes / 1024);
  const wruFailed = Math.ceil(design.failedItemBytes / 1024);
  const writeUnits = sum((c) => c.writes.orders) * wruOrder + sum((c) => c.writes.failedOrders) * wruFailed;
  const rruOrder = Math.ceil(design.orderItemBytes / 4096);
  const readUnits = sum((c) => c.consistentReads) * rruOrder + (sum((c) => c.eventuallyConsistentReads) * rruOrder) / 2;
  add('DynamoDB', 'write request units', writeUnits, 'WRU', priceOf(prices.dynamoDbWriteRequestUnit, writeUnits));
  add('DynamoDB', 'read request units (GET polls)', readUnits, 'RRU', priceOf(prices.dynamoDbReadRequestUnit, readUnits));
  if (design.orderTableIndexes > 0) {
    // An index entry (keys and a few projected attributes) is under 1 KB: one write unit a write.
    const indexUnits = sum((c) => c.inFlightIndexWrites) * design.orderTableIndexes;
    add('DynamoDB', 'in-flight index writes', indexUnits, 'WRU', priceOf(prices.dynamoDbWriteRequestUnit, indexUnits));
  }
  if (design.reconcileEveryMinutes !== undefined && design.reconcilerRead.kind === 'scan') {
    // A consistent Scan bills the items it reads, 4 KB a unit: the whole table, every run.
    const scanUnits = reconcileRuns(design) * Math.ceil((w.storedOrders * design.orderItemBytes) / 4096);
    add('DynamoDB', 'reconciler Scan of the orders table', scanUnits, 'RRU', priceOf(prices.dynamoDbReadRequestUnit, scanUnits));
  } else if (design.reconcileEveryMinutes !== undefined && design.reconcilerRead.kind === 'index') {
    // An eventually consistent Query of an (almost) empty shard bills its minimum, half a unit.
    const queryUnits = reconcileRuns(design) * design.reconcilerRead.queriesPerRun * 0.5;
    add('DynamoDB', 'reconciler Query of the in-flight index', queryUnits, 'RRU', priceOf(prices.dynamoDbReadRequestUnit, queryUnits));
  }
  const failedShare = mix.OUT_OF_STOCK + mix.DEAD_LETTERED;
  const storedGb =
    (w.storedOrders * (design.orderItemBytes + ASSUMPTIONS.dynamoItemOverheadBytes) +
      w.storedOrders * failedShare * (design.failedItemBytes + ASSUMPTIONS.dynamoItemOverheadBytes)) /
    GIB;
  add('DynamoDB', 'storage (both tables)', storedGb, 'GB-month', priceOf(prices.dynamoDbStorage, storedGb));

  // CloudWatch.
  const logs = logUsage(design, w, durations);
  const gb = (bytes: number) => bytes / GIB;
  add(
    'CloudWatch',
    'Logs ingestion: functions',
    gb(logs.bytes.functions),
    'GB',
    priceOf(prices.cloudWatchLogsIngestion, gb(logs.bytes.functions)),
  );
  add(
    'CloudWatch',
    'Logs ingestion: workflow',
    gb(logs.bytes.workflow),
    'GB',
    priceOf(prices.cloudWatchLogsIngestion, gb(logs.bytes.workflow)),
  );
  add(
    'CloudWatch',
    'Logs ingestion: API access log',
    gb(logs.bytes.access),
    'GB',
    priceOf(prices.cloudWatchLogsIngestion, gb(logs.bytes.access)),
  );
  add(
    'CloudWatch',
    'custom metrics (EMF, metric filter)',
    design.customMetrics,
    'metrics',
    priceOf(prices.cloudWatchCustomMetric, design.customMetrics),
  );
  add('CloudWatch', 'alarms', design.alarms, 'alarms', priceOf(prices.cloudWatchAlarm, design.alarms));
  add('CloudWatch', 'dashboards', design.dashboards, 'dashboards', priceOf(prices.cloudWatchDashboard, design.dashboards));

  // X-Ray: a trace starts at the API (POST, GET) and at each function an event source mapping or the schedule invokes.
  const apiTraces = design.apiTracing ? tracesSampled(apiRequests) : 0;
  const rootTraces = lambda.runs
    .filter((r) => (r.key === 'fulfillment' || r.key === 'dlq-handler' || r.key === 'reconciler') && design.functions[r.fn].tracing)
    .reduce((n, r) => n + tracesSampled(r.invocations), 0);
  add('X-Ray', 'traces recorded', apiTraces + rootTraces, 'traces', priceOf(prices.xRayTraceRecorded, apiTraces + rootTraces));

  // KMS: the alarm topic's key; DynamoDB's requests on the AWS managed key.
  add('KMS', 'customer managed keys', design.kmsKeys, 'keys', priceOf(prices.kmsKey, design.kmsKeys));
  const kmsRequests = design.kmsEncryptedTables * ASSUMPTIONS.kmsRequestsPerTablePerHour * (SECONDS_PER_MONTH / 3600);
  add('KMS', 'requests (DynamoDB table keys)', kmsRequests, 'requests', priceOf(prices.kmsRequest, kmsRequests));

  // EventBridge Scheduler: the reconciler's runs.
  const runs = reconcileRuns(design);
  add('EventBridge', 'Scheduler invocations (reconciler)', runs, 'invocations', priceOf(prices.schedulerInvocation, runs));
  return items;
};

/** The sum of a bill. */
export const totalOf = (items: readonly LineItem[]): number => items.reduce((n, i) => n + i.usd, 0);

/** A design's per-order transitions, for the report: what each outcome's execution enters. */
export const transitionsByOutcome = (design: DesignFacts): Record<Outcome, number> =>
  Object.fromEntries(OUTCOMES.map((o) => [o, design.counts.perOutcome[o].stateTransitions])) as Record<Outcome, number>;
