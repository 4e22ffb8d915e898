/**
 * The cost model's arithmetic (scripts/cost/model.ts), pinned on cases computed by hand, and the facts it takes
 * from the code (line sizes, item sizes, metrics) checked against the code itself.
 */
import * as fs from 'fs';
import * as path from 'path';
import { invocationFields, makeLogger } from '../../runtime/log';
import { DOFS_LINE_BYTES, accessLogLineBytes, emfMetricsIn, reconcilerReadOf } from '../../scripts/cost/facts';
import {
  type DesignFacts,
  type Durations,
  type FunctionFacts,
  SECONDS_PER_MONTH,
  type Workload,
  effectiveBatch,
  expressBilling,
  monthlyCost,
  totalOf,
  tracesSampled,
} from '../../scripts/cost/model';
import { type Counts, FUNCTIONS, type FunctionNoun, TYPICAL_ORDER_ITEM, dynamoItemBytes } from '../../scripts/cost/perOrder';
import { PRICES, type Prices, priceOf } from '../../scripts/cost/prices';

const ROOT = path.join(__dirname, '..', '..');

describe('prices', () => {
  it('price a tiered quantity tier by tier', () => {
    // Given tiers of $1 up to 10, $0.50 up to 30, $0.10 beyond
    const tiered = {
      unit: 'u',
      region: 'r',
      lookedUp: 'd',
      source: 's',
      tiers: [
        { upTo: 10, usd: 1 },
        { upTo: 30, usd: 0.5 },
        { upTo: Infinity, usd: 0.1 },
      ],
    };
    // Then 5 → 5 × 1; 25 → 10 × 1 + 15 × 0.5 = 17.5; 40 → 10 + 20 × 0.5 + 10 × 0.1 = 21
    expect([5, 25, 40].map((q) => priceOf(tiered, q))).toEqual([5, 17.5, 21]);
  });

  it('each name its region, the day it was looked up and a source URL', () => {
    for (const [name, p] of Object.entries(PRICES)) {
      expect({ name, region: p.region }).toEqual({ name, region: 'eu-west-1' });
      expect(p.lookedUp).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(p.source).toMatch(/https:\/\/aws\.amazon\.com\//);
    }
  });
});

describe('the model pieces', () => {
  it('samples X-Ray traces as the default rule does: a reservoir of one a second, then 5%', () => {
    const S = SECONDS_PER_MONTH;
    // A request a second on average: the reservoir takes S × (1 − e^−1) = 0.63212 S, the rate 5% of the rest.
    expect(tracesSampled(S) / S).toBeCloseTo(1 - Math.exp(-1) + 0.05 * Math.exp(-1), 6);
    // Ten requests a month: all in the reservoir.
    expect(tracesSampled(10)).toBeCloseTo(10, 3);
    // A hundred a second: S from the reservoir, 5% of the other 99 S.
    expect(tracesSampled(100 * S) / S).toBeCloseTo(1 + 0.05 * 99, 6);
  });

  it('batches a queue up to the batch size, as far as the window fills it', () => {
    expect(effectiveBatch({ batchSize: 10, windowSeconds: 1 }, 0.386)).toBe(1);
    expect(effectiveBatch({ batchSize: 10, windowSeconds: 1 }, 5)).toBe(5);
    expect(effectiveBatch({ batchSize: 10, windowSeconds: 1 }, 50)).toBe(10);
    expect(effectiveBatch({ batchSize: 10, windowSeconds: 0 }, 50)).toBe(1);
  });

  it('bills an EXPRESS execution by 100 ms and 64 MB', () => {
    const d: Durations = {
      'api-handler-post': 1,
      'api-handler-get': 1,
      validator: 5,
      'store-order': 20,
      fulfillment: 1,
      'dlq-handler': 1,
      reconciler: 1,
    };
    // 5 + 20 (validator) + 20 + 20 (store-order) + 20 (one service task) = 85 ms → 100 ms; 50 MB + 10 KB + 64 KB → 64 MB.
    expect(expressBilling(['validator', 'store-order'], 1, d, 10_000)).toEqual({ seconds: 0.1, memoryMb: 64 });
    // 100 + 20 + 100 + 20 + 20 = 260 ms → 300 ms.
    expect(expressBilling(['validator', 'store-order'], 1, { ...d, validator: 100, 'store-order': 100 }, 10_000).seconds).toBeCloseTo(
      0.3,
      9,
    );
  });

  it('sizes a DynamoDB item by its names and values', () => {
    // id+ab 4; n + 12.5 (3 digits → 2 + 1) 4; ok + true 3; l + [3 + (1 + 'x') + (1 + 1 → 2)] 1 + 8 = 9: 20.
    expect(dynamoItemBytes({ id: 'ab', n: 12.5, ok: true, l: ['x', 1] })).toBe(20);
    // The typical order is one write unit (1 KB) and one read unit.
    expect(dynamoItemBytes(TYPICAL_ORDER_ITEM)).toBeLessThanOrEqual(1024);
  });
});

describe('a month on a hand-computed design', () => {
  const zero: Counts = {
    apiRequests: 0,
    invocations: {},
    executions: 0,
    stateTransitions: 0,
    workflowFunctions: [],
    workflowServiceTasks: 0,
    writes: { orders: 0, failedOrders: 0 },
    inFlightIndexWrites: 0,
    consistentReads: 0,
    eventuallyConsistentReads: 0,
    sqs: { sends: 0, ordersDelivered: 0, ordersDeleted: 0, dlqDelivered: 0, dlqDeleted: 0 },
    logLines: {},
    workflowEvents: { ALL: 0, ERROR: 0, FATAL: 0 },
  };
  // Every outcome the same: a POST, the validator, one fulfillment message, 6 transitions, 2 order writes + 1 failed write.
  const order: Counts = {
    ...zero,
    apiRequests: 1,
    invocations: { 'api-handler': 1, validator: 1, fulfillment: 1 },
    executions: 1,
    stateTransitions: 6,
    workflowFunctions: ['validator'],
    workflowServiceTasks: 1,
    writes: { orders: 2, failedOrders: 1 },
    sqs: { sends: 1, ordersDelivered: 1, ordersDeleted: 1, dlqDelivered: 0, dlqDeleted: 0 },
    // INFO and EMF kept (code and Lambda at INFO), DEBUG dropped by the code.
    logLines: { 'api-handler': { INFO: 1, DEBUG: 1, EMF: 1 } },
  };
  const poll: Counts = { ...zero, apiRequests: 1, invocations: { 'api-handler': 1 }, consistentReads: 1 };
  const fn: FunctionFacts = {
    memoryMb: 1024,
    architecture: 'arm64',
    timeoutSeconds: 10,
    logFormat: 'JSON',
    applicationLogLevel: 'INFO',
    systemLogLevel: 'WARN',
    codeLogLevel: 'INFO',
    tracing: false,
  };
  const design = (workflowType: 'STANDARD' | 'EXPRESS'): DesignFacts => ({
    label: workflowType,
    workflowType,
    functions: Object.fromEntries(FUNCTIONS.map((n) => [n, fn])) as Record<FunctionNoun, FunctionFacts>,
    workflowLogLevel: 'OFF',
    workflowLogIncludesData: false,
    definitionBytes: 0,
    apiTracing: false,
    fulfillmentBatching: { batchSize: 10, windowSeconds: 0 },
    dlqBatching: { batchSize: 10, windowSeconds: 0 },
    maxReceiveCount: 3,
    reconcileEveryMinutes: undefined,
    reconcilerRead: { kind: 'scan' },
    orderTableIndexes: 0,
    customMetrics: 2,
    alarms: 3,
    dashboards: 1,
    kmsKeys: 1,
    kmsEncryptedTables: 0,
    // 1,500 bytes: 2 write units, 1 read unit.
    orderItemBytes: 1500,
    failedItemBytes: 500,
    messageBytes: 100,
    // 74 + 26 bytes of CloudWatch overhead: 100 bytes a line.
    lineBytes: { app: 74, emf: 74, platform: 74, workflowEvent: 0, workflowEventWithData: 0, accessLog: 0 },
    counts: {
      perOutcome: { REJECTED: order, FULFILLED: order, OUT_OF_STOCK: order, DEAD_LETTERED: order },
      perPoll: poll,
      perFailedReceive: zero,
      perReconcileRun: zero,
    },
  });
  const flat = (usd: number) => ({ usd, unit: 'u', region: 'eu-west-1', lookedUp: '2026-12-04', source: 'https://aws.amazon.com/' });
  const prices: Prices = {
    ...PRICES,
    apiGatewayRestRequest: flat(0.001),
    stepFunctionsStandardTransition: flat(0.0001),
    stepFunctionsExpressRequest: flat(0.001),
    // $3,600 a GB-hour: $1 a GB-second.
    stepFunctionsExpressDuration: flat(3600),
    lambdaRequest: flat(0.0001),
    lambdaArmDuration: flat(0.001),
    sqsStandardRequest: flat(0.0001),
    dynamoDbWriteRequestUnit: flat(0.001),
    dynamoDbReadRequestUnit: flat(0.001),
    dynamoDbStorage: flat(1),
    // $1 a million bytes.
    cloudWatchLogsIngestion: flat(2 ** 30 / 1e6),
    cloudWatchCustomMetric: flat(0.3),
    cloudWatchAlarm: flat(0.1),
    cloudWatchDashboard: flat(3),
    xRayTraceRecorded: flat(1),
    kmsKey: flat(1),
    kmsRequest: flat(1),
    schedulerInvocation: flat(1),
  };
  const workload: Workload = {
    ordersPerMonth: 1000,
    pollsPerOrder: 2,
    rejectedShare: 0,
    deadLetterShare: 0,
    fulfillmentSuccessRate: 1,
    storedOrders: 0,
  };
  const durations: Durations = {
    'api-handler-post': 100,
    'api-handler-get': 10,
    validator: 50,
    'store-order': 100,
    fulfillment: 100,
    'dlq-handler': 100,
    reconciler: 0,
  };

  /*
   * By hand, 1,000 orders, 2 polls each:
   *   API Gateway    1,000 POST + 2,000 GET = 3,000 requests × $0.001                                   = $3.00
   *   STANDARD       1,000 × 6 = 6,000 transitions × $0.0001                                            = $0.60
   *   EXPRESS        1,000 requests × $0.001 = $1.00; each 50 + 20 (validator) + 20 (service) = 90 ms
   *                  → 0.1 s × 64 MB = 0.00625 GB-s; × 1,000 = 6.25 GB-s × $1                          = $7.25
   *   Lambda         invocations 1,000 POST + 2,000 GET + 1,000 validator + 1,000 fulfillment (no window:
   *                  one message a batch) = 5,000 × $0.0001 = $0.50;
   *                  GB-s (1 GB): 1,000 × 0.1 + 2,000 × 0.01 + 1,000 × 0.05 + 1,000 × 0.1 = 270 × $0.001 = $0.27
   *   SQS            1,000 sends = $0.10; 1,000 receives + 1,000 deletes = $0.20;
   *                  empty long polls 2 mappings × 5 pollers × 2,628,000 s / 20 s = 1,314,000 × $0.0001 = $131.40
   *   DynamoDB       writes 2,000 × 2 WRU + 1,000 × 1 WRU = 5,000 × $0.001 = $5.00;
   *                  reads 2,000 polls × 1 RRU × $0.001 = $2.00; no table scanned, nothing stored (0 orders)
   *   CloudWatch     logs 1,000 × 2 lines (INFO, EMF) × 100 bytes = 200,000 bytes × $1/1e6 = $0.20;
   *                  2 metrics × $0.30 = $0.60; 3 alarms × $0.10 = $0.30; 1 dashboard × $3 = $3.00
   *   KMS            1 key × $1                                                                           = $1.00
   *   STANDARD total 3.00 + 0.60 + 0.50 + 0.27 + 0.10 + 0.20 + 131.40 + 5.00 + 2.00 + 0.20 + 0.60 + 0.30 + 3.00 + 1.00 = $148.17
   *   EXPRESS total  148.17 − 0.60 + 7.25                                                                 = $154.82
   */
  it('gives the hand-computed dollars, line by line', () => {
    const bill = monthlyCost(design('STANDARD'), workload, durations, prices);
    const usd = (service: string, item: string) => bill.find((i) => i.service === service && i.item === item)?.usd;
    expect(usd('API Gateway', 'REST requests')).toBeCloseTo(3.0, 9);
    expect(usd('Step Functions', 'STANDARD state transitions')).toBeCloseTo(0.6, 9);
    expect(usd('Lambda', 'requests')).toBeCloseTo(0.5, 9);
    expect(usd('Lambda', 'duration')).toBeCloseTo(0.27, 9);
    expect(usd('SQS', 'SendMessage')).toBeCloseTo(0.1, 9);
    expect(usd('SQS', 'receives + batch deletes')).toBeCloseTo(0.2, 9);
    expect(usd('SQS', 'empty long polls (2 mappings)')).toBeCloseTo(131.4, 9);
    expect(usd('DynamoDB', 'write request units')).toBeCloseTo(5.0, 9);
    expect(usd('DynamoDB', 'read request units (GET polls)')).toBeCloseTo(2.0, 9);
    expect(usd('CloudWatch', 'Logs ingestion: functions')).toBeCloseTo(0.2, 9);
    expect(usd('CloudWatch', 'custom metrics (EMF, metric filter)')).toBeCloseTo(0.6, 9);
    expect(usd('CloudWatch', 'alarms')).toBeCloseTo(0.3, 9);
    expect(usd('CloudWatch', 'dashboards')).toBeCloseTo(3.0, 9);
    expect(usd('KMS', 'customer managed keys')).toBeCloseTo(1.0, 9);
    expect(totalOf(bill)).toBeCloseTo(148.17, 9);
  });

  it('gives the hand-computed dollars under EXPRESS', () => {
    const bill = monthlyCost(design('EXPRESS'), workload, durations, prices);
    expect(bill.find((i) => i.item === 'EXPRESS requests')?.usd).toBeCloseTo(1.0, 9);
    expect(bill.find((i) => i.item === 'EXPRESS duration')?.quantity).toBeCloseTo(6.25, 9);
    expect(bill.find((i) => i.item === 'STANDARD state transitions')).toBeUndefined();
    expect(totalOf(bill)).toBeCloseTo(154.82, 9);
  });

  it('mixes the outcomes by the shares and prices the failed receives of dead-lettered orders', () => {
    // Given a tenth dead-lettered and only those failing receives, each one fulfillment invocation
    const dead: Counts = { ...zero, invocations: { fulfillment: 1 } };
    const d = design('STANDARD');
    const withDead: DesignFacts = {
      ...d,
      counts: {
        ...d.counts,
        perOutcome: { REJECTED: zero, FULFILLED: zero, OUT_OF_STOCK: zero, DEAD_LETTERED: zero },
        perPoll: zero,
        perFailedReceive: dead,
      },
    };
    const bill = monthlyCost(withDead, { ...workload, deadLetterShare: 0.1 }, durations, prices);
    // Then 1,000 × 0.1 × maxReceiveCount 3 = 300 invocations × $0.0001 = $0.03
    expect(bill.find((i) => i.service === 'Lambda' && i.item === 'requests')?.quantity).toBeCloseTo(300, 9);
  });
});

describe('what the model reads from the code', () => {
  it('sizes application and EMF lines as the real logger writes them', () => {
    const lines: string[] = [];
    const trace = 'Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1';
    const base = makeLogger('validator', 'INFO', {}, (l) => lines.push(l), { Stack: 'prod' })
      .with(invocationFields({ awsRequestId: 'c0ffee00-1234-4abc-9def-0123456789ab' }, false, trace))
      .with({ orderId: 'c81900b5-173d-5bed-a739-c9ef0297d4de' });
    const consumer = base.with({ messageId: '059f36b4-87a3-44ab-83d2-661975830a7d', receiveCount: 1 });
    base.info('order valid');
    consumer.warn('business failure: out of stock', { outcome: 'OUT_OF_STOCK', failureKind: 'business' });
    base.metric('BusinessFailures', 1, { Function: 'validator', Reason: 'REJECTED' });
    consumer.metric('OrdersFulfilled', 1, { Function: 'fulfillment' });
    // The estimates lie between a short line (a task's) and a long one (a queue consumer's).
    const [app1, app2, emf1, emf2] = lines.map((l) => Buffer.byteLength(l, 'utf8'));
    expect(DOFS_LINE_BYTES.app).toBeGreaterThanOrEqual(app1);
    expect(DOFS_LINE_BYTES.app).toBeLessThanOrEqual(app2);
    expect(DOFS_LINE_BYTES.emf).toBeGreaterThanOrEqual(emf1);
    expect(DOFS_LINE_BYTES.emf).toBeLessThanOrEqual(emf2);
  });

  it('counts every metric call of the runtime, once per name and dimensions', () => {
    expect(
      emfMetricsIn([
        "log.metric('A', 1, { Function: 'x' }); log.metric('A', 1, { Function: 'x' });",
        "log.metric('A', 1, { Function: 'y', Reason: 'R' }); invocation.metric('B', n, { Function: 'x' })",
      ]),
    ).toEqual(["A { Function: 'x' }", "A { Function: 'y', Reason: 'R' }", "B { Function: 'x' }"]);
    // Every `.metric(` call in runtime/ has the shape the count reads: none escapes it.
    const dir = path.join(ROOT, 'runtime');
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'log.ts')) {
      const source = fs.readFileSync(path.join(dir, file), 'utf8');
      const calls = source.match(/\.metric\(/g)?.length ?? 0;
      const read = [...source.matchAll(/\.metric\(\s*'([A-Za-z]+)'\s*,\s*[^,]+,\s*(\{[^}]*\})\s*\)/g)].length;
      expect({ file, read }).toEqual({ file, read: calls });
    }
  });

  it('sizes an access log line from the stage format, and tells a Scan from an index Query', () => {
    expect(accessLogLineBytes('{"id":"$context.requestId","s":"$context.status","e":"$context.error.message"}')).toBe(
      '{"id":"c0ffee00-1234-4abc-9def-0123456789ab","s":"200","e":"-"}'.length,
    );
    const policy = (action: string) => ({
      type: 'aws:iam/rolePolicy:RolePolicy',
      name: 'p',
      inputs: { policy: JSON.stringify({ Statement: [{ Action: [action] }] }) },
    });
    expect(reconcilerReadOf([policy('dynamodb:Scan')], [])).toEqual({ kind: 'scan' });
    expect(reconcilerReadOf([policy('dynamodb:Query')], ['export const IN_FLIGHT_SHARDS = 16;'])).toEqual({
      kind: 'index',
      queriesPerRun: 16,
    });
  });
});
