/**
 * A design's facts for the cost model: DOFS's read from the resources its program declares (under Pulumi's mocks,
 * local/mockProgram.ts) and its decoded stack config; the original design's from the seed report.
 */
import type { StackConfig } from '../../config';
import type { Recorded } from '../../local/mockProgram';
import type { Batching, DesignFacts, Durations, FunctionFacts, LineBytes, Level } from './model';
import {
  FUNCTIONS,
  type FunctionNoun,
  ORDER_COUNTS,
  PER_FAILED_RECEIVE,
  PER_POLL,
  PER_RECONCILE_RUN,
  SEED_ORDER_COUNTS,
  SEED_PER_FAILED_RECEIVE,
  SEED_PER_POLL,
  TYPICAL_FAILED_ITEM,
  TYPICAL_MESSAGE_BODY,
  TYPICAL_ORDER_ITEM,
  dynamoItemBytes,
} from './perOrder';

/**
 * Bytes per line of DOFS's logs. A JSON application line (runtime/log.ts: timestamp, level, service, requestId,
 * xray_trace_id, cold_start, orderId, message and a field or two; a queue consumer's also messageId and receiveCount)
 * and an EMF line (its `_aws` block, the same base fields, the dimensions and the count) are about 370 and 470 bytes
 * (tests/cost/model.test.ts measures both with the real logger); a JSON platform line averages about 280; a Step
 * Functions event about 450, or 950 with the execution's data (the order).
 */
export const DOFS_LINE_BYTES: Omit<LineBytes, 'accessLog'> = {
  app: 370,
  emf: 470,
  platform: 280,
  workflowEvent: 450,
  workflowEventWithData: 950,
};

/** Typical values of the `$context` variables an access log line substitutes, for its length. */
const CONTEXT_SAMPLES: Record<string, string> = {
  '$context.requestId': 'c0ffee00-1234-4abc-9def-0123456789ab',
  '$context.identity.sourceIp': '203.0.113.10',
  '$context.httpMethod': 'GET',
  '$context.resourcePath': '/orders/{orderId}',
  '$context.status': '200',
  '$context.responseLatency': '25',
};

/** The length of one access log line the stage's format makes for a typical request; an unset variable prints `-`. */
export const accessLogLineBytes = (format: string): number =>
  Buffer.byteLength(
    format.replace(/\$context\.[A-Za-z.]+/g, (v) => CONTEXT_SAMPLES[v] ?? '-'),
    'utf8',
  );

/**
 * The custom metrics the runtime can emit: each distinct `log.metric('<Name>', n, { <dimensions> })` call in the
 * sources (the logger adds the Stack dimension to every one, which changes no count).
 */
export const emfMetricsIn = (sources: readonly string[]): string[] => {
  const found = new Set<string>();
  for (const source of sources)
    for (const m of source.matchAll(/\.metric\(\s*'([A-Za-z]+)'\s*,\s*[^,]+,\s*(\{[^}]*\})\s*\)/g))
      found.add(`${m[1]} ${m[2].replace(/\s+/g, ' ')}`);
  return [...found].sort();
};

const inputsOf = (resources: readonly Recorded[], type: string) => resources.filter((r) => r.type === type);

const functionFacts = (resources: readonly Recorded[], noun: FunctionNoun): FunctionFacts => {
  const fn = inputsOf(resources, 'aws:lambda/function:Function').find((r) => r.name.endsWith(`-${noun}`));
  if (!fn) throw new Error(`the program declares no ${noun} function`);
  const i = fn.inputs;
  const logging = (i.loggingConfig ?? {}) as { logFormat?: 'JSON' | 'Text'; applicationLogLevel?: Level; systemLogLevel?: Level };
  return {
    memoryMb: Number(i.memorySize ?? 128),
    architecture: ((i.architectures as string[] | undefined)?.[0] ?? 'x86_64') as FunctionFacts['architecture'],
    timeoutSeconds: Number(i.timeout ?? 3),
    logFormat: logging.logFormat ?? 'Text',
    applicationLogLevel: logging.applicationLogLevel,
    systemLogLevel: logging.systemLogLevel,
    codeLogLevel: (i.environment as { variables?: Record<string, string> } | undefined)?.variables?.LOG_LEVEL as Level | undefined,
    tracing: (i.tracingConfig as { mode?: string } | undefined)?.mode === 'Active',
  };
};

const batchingOf = (resources: readonly Recorded[], noun: FunctionNoun): Batching => {
  const mapping = inputsOf(resources, 'aws:lambda/eventSourceMapping:EventSourceMapping').find((r) =>
    String(r.inputs.functionName).endsWith(`-${noun}`),
  );
  if (!mapping) throw new Error(`the program declares no event source mapping for ${noun}`);
  return { batchSize: Number(mapping.inputs.batchSize ?? 10), windowSeconds: Number(mapping.inputs.maximumBatchingWindowInSeconds ?? 0) };
};

/**
 * How the reconciler reads, from what its role may do: `dynamodb:Scan` is a Scan of the orders table; otherwise a
 * `dynamodb:Query` of an index, one per shard (runtime/inFlightIndex.ts IN_FLIGHT_SHARDS, read from the sources).
 */
export const reconcilerReadOf = (resources: readonly Recorded[], runtimeSources: readonly string[]): DesignFacts['reconcilerRead'] => {
  const actions = inputsOf(resources, 'aws:iam/rolePolicy:RolePolicy').map((p) => String(p.inputs.policy));
  if (actions.some((a) => a.includes('"dynamodb:Scan"'))) return { kind: 'scan' };
  const shards = runtimeSources.map((s) => /IN_FLIGHT_SHARDS\s*=\s*(\d+)/.exec(s)?.[1]).find((n) => n !== undefined);
  return { kind: 'index', queriesPerRun: shards === undefined ? 1 : Number(shards) };
};

/** DOFS as the program declares it for one stack, with its workflow of `workflowType`. */
export const dofsFacts = (
  resources: readonly Recorded[],
  config: StackConfig,
  runtimeSources: readonly string[],
  workflowType: 'STANDARD' | 'EXPRESS',
): DesignFacts => {
  const functions = Object.fromEntries(FUNCTIONS.map((n) => [n, functionFacts(resources, n)])) as Record<FunctionNoun, FunctionFacts>;
  const [machine] = inputsOf(resources, 'aws:sfn/stateMachine:StateMachine');
  const [stage] = inputsOf(resources, 'aws:apigateway/stage:Stage');
  const [schedule] = inputsOf(resources, 'aws:scheduler/schedule:Schedule');
  const queue = inputsOf(resources, 'aws:sqs/queue:Queue').find((q) => q.inputs.redrivePolicy !== undefined);
  const logging = (machine?.inputs.loggingConfiguration ?? {}) as {
    level?: DesignFacts['workflowLogLevel'];
    includeExecutionData?: boolean;
  };
  const every = /^rate\((\d+) minutes?\)$/.exec(String(schedule?.inputs.scheduleExpression ?? ''));
  const format = (stage?.inputs.accessLogSettings as { format?: string } | undefined)?.format;
  const ordersTable = inputsOf(resources, 'aws:dynamodb/table:Table').find(
    (t) => /-orders$/.test(t.name) && !/-failed-orders$/.test(t.name),
  );
  return {
    label: workflowType,
    workflowType,
    functions,
    workflowLogLevel: logging.level ?? 'OFF',
    workflowLogIncludesData: logging.includeExecutionData === true,
    definitionBytes: Buffer.byteLength(String(machine?.inputs.definition ?? ''), 'utf8'),
    apiTracing: stage?.inputs.xrayTracingEnabled === true,
    fulfillmentBatching: batchingOf(resources, 'fulfillment'),
    dlqBatching: batchingOf(resources, 'dlq-handler'),
    maxReceiveCount: queue
      ? Number((JSON.parse(String(queue.inputs.redrivePolicy)) as { maxReceiveCount: number }).maxReceiveCount)
      : config.maxReceiveCount,
    reconcileEveryMinutes: every ? Number(every[1]) : undefined,
    reconcilerRead: reconcilerReadOf(resources, runtimeSources),
    orderTableIndexes: ((ordersTable?.inputs.globalSecondaryIndexes as unknown[] | undefined) ?? []).length,
    customMetrics: emfMetricsIn(runtimeSources).length + inputsOf(resources, 'aws:cloudwatch/logMetricFilter:LogMetricFilter').length,
    alarms: inputsOf(resources, 'aws:cloudwatch/metricAlarm:MetricAlarm').length,
    dashboards: inputsOf(resources, 'aws:cloudwatch/dashboard:Dashboard').length,
    kmsKeys: inputsOf(resources, 'aws:kms/key:Key').length,
    // serverSideEncryption enabled without a key ARN: the AWS managed key aws/dynamodb, whose requests are ours to pay.
    kmsEncryptedTables: inputsOf(resources, 'aws:dynamodb/table:Table').filter((t) => {
      const sse = t.inputs.serverSideEncryption as { enabled?: boolean; kmsKeyArn?: string } | undefined;
      return sse?.enabled === true && sse.kmsKeyArn === undefined;
    }).length,
    orderItemBytes: dynamoItemBytes(TYPICAL_ORDER_ITEM),
    failedItemBytes: dynamoItemBytes(TYPICAL_FAILED_ITEM),
    messageBytes: Buffer.byteLength(TYPICAL_MESSAGE_BODY, 'utf8'),
    lineBytes: { ...DOFS_LINE_BYTES, accessLog: format ? accessLogLineBytes(format) : 0 },
    counts: { perOutcome: ORDER_COUNTS, perPoll: PER_POLL, perFailedReceive: PER_FAILED_RECEIVE, perReconcileRun: PER_RECONCILE_RUN },
  };
};

/**
 * The original design (shared/seed/DOFS-original-report.md). The report names five Python 3.11 Lambdas, a STANDARD
 * workflow, SQS with a DLQ, two DynamoDB tables and "CloudWatch Logs"; it lists X-Ray, dashboards and alerting as
 * future work. Where it is silent, Terraform's defaults: 128 MB, x86_64, 3 s timeout, text logs (every line kept,
 * with START/END/REPORT), no state machine logging, no access log, an SQS mapping of 10 messages without a batching
 * window, default encryption (AWS owned keys); maxReceiveCount 3 as DOFS.
 */
export const seedFacts = (): DesignFacts => {
  const fn: FunctionFacts = { memoryMb: 128, architecture: 'x86_64', timeoutSeconds: 3, logFormat: 'Text', tracing: false };
  return {
    label: 'seed (STANDARD)',
    workflowType: 'STANDARD',
    functions: Object.fromEntries(FUNCTIONS.map((n) => [n, fn])) as Record<FunctionNoun, FunctionFacts>,
    workflowLogLevel: 'OFF',
    workflowLogIncludesData: false,
    definitionBytes: 3000,
    apiTracing: false,
    fulfillmentBatching: { batchSize: 10, windowSeconds: 0 },
    dlqBatching: { batchSize: 10, windowSeconds: 0 },
    maxReceiveCount: 3,
    reconcileEveryMinutes: undefined,
    reconcilerRead: { kind: 'scan' },
    orderTableIndexes: 0,
    customMetrics: 0,
    alarms: 0,
    dashboards: 0,
    kmsKeys: 0,
    kmsEncryptedTables: 0,
    orderItemBytes: dynamoItemBytes(TYPICAL_ORDER_ITEM),
    failedItemBytes: dynamoItemBytes(TYPICAL_FAILED_ITEM),
    messageBytes: Buffer.byteLength(TYPICAL_MESSAGE_BODY, 'utf8'),
    // Python print lines of ~150 bytes; START/END/REPORT average ~110.
    lineBytes: { app: 150, emf: 0, platform: 110, workflowEvent: 450, workflowEventWithData: 950, accessLog: 0 },
    counts: {
      perOutcome: SEED_ORDER_COUNTS,
      perPoll: SEED_PER_POLL,
      perFailedReceive: SEED_PER_FAILED_RECEIVE,
      perReconcileRun: PER_RECONCILE_RUN,
    },
  };
};

/**
 * Default durations, ms, warm, per invocation (queue consumers: per message). DOFS (Node.js 22 on arm64, SDK calls
 * in the region at ~5-15 ms each): the POST makes three calls (PutItem, StartExecution, UpdateItem) → 50; a GET one
 * GetItem → 15; the validator only checks rules → 5; store-order one UpdateItem → 20; fulfillment one or two writes
 * → 25; the dlq-handler two → 30. The reconciler: a Scan reads the whole orders table in 1 MB pages (~40 ms each),
 * bounded by the function's timeout; a Query per index shard takes ~10 ms.
 */
export const dofsDurations = (
  storedOrders: number,
  orderItemBytes: number,
  timeoutSeconds: number,
  read: DesignFacts['reconcilerRead'],
): Durations => ({
  'api-handler-post': 50,
  'api-handler-get': 15,
  validator: 5,
  'store-order': 20,
  fulfillment: 25,
  'dlq-handler': 30,
  reconciler: Math.min(
    timeoutSeconds * 1000,
    read.kind === 'scan' ? 100 + 40 * Math.ceil((storedOrders * orderItemBytes) / 2 ** 20) : 50 + 10 * read.queriesPerRun,
  ),
});

/**
 * The seed's durations, from its report ("Response Times": API ~200 ms, validation ~500 ms, storage ~300 ms); the
 * GET and the queue consumers, which it does not time, as its storage (one DynamoDB call from Python): 300 ms, the GET
 * as its API: 200 ms.
 */
export const SEED_DURATIONS: Durations = {
  'api-handler-post': 200,
  'api-handler-get': 200,
  validator: 500,
  'store-order': 300,
  fulfillment: 300,
  'dlq-handler': 300,
  reconciler: 0,
};
