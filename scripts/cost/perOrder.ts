/**
 * What one order makes each service do, counted from the code paths: the input of the cost model
 * (scripts/cost/model.ts). Plain numbers, one comment each naming the code that makes the count, so that they can
 * be checked against the local cloud (one order of each outcome) and against the rendered state machine
 * (tests/cost/transitions.test.ts walks it).
 *
 * Outcomes: REJECTED (tier-2 rules), FULFILLED, OUT_OF_STOCK (FAILED by the warehouse) and DEAD_LETTERED (FAILED
 * with PROCESSING_ERROR after `maxReceiveCount` failed receives). What repeats per client poll, per failed receive
 * and per reconciler run is counted once in PER_POLL, PER_FAILED_RECEIVE and PER_RECONCILE_RUN.
 *
 * Not counted: the rare paths (a replayed Idempotency-Key, a retried task, a lost race, a redelivery of a finished
 * order); each costs a few more requests of the kinds below.
 */

export const FUNCTIONS = ['api-handler', 'validator', 'store-order', 'fulfillment', 'dlq-handler'] as const;
export type FunctionNoun = (typeof FUNCTIONS)[number];

export const OUTCOMES = ['REJECTED', 'FULFILLED', 'OUT_OF_STOCK', 'DEAD_LETTERED'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Log lines a function's code writes, by level; EMF lines (metrics) carry no level. */
export interface LogLines {
  readonly DEBUG?: number;
  readonly INFO?: number;
  readonly WARN?: number;
  readonly ERROR?: number;
  readonly EMF?: number;
}

export interface Counts {
  /** REST API requests through API Gateway. */
  readonly apiRequests: number;
  /** Lambda invocations by function; for the queue consumers, messages delivered (the model batches them). */
  readonly invocations: Partial<Record<FunctionNoun, number>>;
  /** Workflow executions started (EXPRESS bills each as a request). */
  readonly executions: number;
  /** States the execution enters, retries included: STANDARD bills each as a state transition. */
  readonly stateTransitions: number;
  /** The functions the execution invokes: their durations make up an EXPRESS execution's. */
  readonly workflowFunctions: readonly FunctionNoun[];
  /** The service-integration tasks (DynamoDB, SQS) the execution runs. */
  readonly workflowServiceTasks: number;
  /** DynamoDB writes (PutItem, UpdateItem), by table; each bills ceil(item size / 1 KB) write units. */
  readonly writes: { readonly orders: number; readonly failedOrders: number };
  /**
   * Writes the orders table's writes make in its in-flight index (runtime/inFlightIndex.ts: a sparse GSI keyed by an
   * in-flight shard and sorted by `updatedAt`): a put when an order enters it, a delete and a put when its
   * `updatedAt` changes while in flight, a delete when it leaves; none for a write of an attribute the index does
   * not project. Billed only where the synthesized orders table declares an index.
   */
  readonly inFlightIndexWrites: number;
  /** Strongly consistent GetItem reads of the orders table: ceil(item size / 4 KB) read units each. */
  readonly consistentReads: number;
  /** Eventually consistent reads: half as many read units. */
  readonly eventuallyConsistentReads: number;
  /** SQS messages: sent to the orders queue, delivered from and deleted from each queue (the model batches them). */
  readonly sqs: {
    readonly sends: number;
    readonly ordersDelivered: number;
    readonly ordersDeleted: number;
    readonly dlqDelivered: number;
    readonly dlqDeleted: number;
  };
  /** Log lines the functions' code writes; the stack's log levels decide which are ingested. */
  readonly logLines: Partial<Record<FunctionNoun, LogLines>>;
  /**
   * Execution history events: at workflow log level ALL every one is logged, at ERROR the error events
   * (FailStateEntered, ExecutionFailed, TaskFailed, ...), at FATAL ExecutionFailed/Aborted/TimedOut.
   * https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html#cloudwatch-log-level
   */
  readonly workflowEvents: { readonly ALL: number; readonly ERROR: number; readonly FATAL: number };
}

const NO_SQS = { sends: 0, ordersDelivered: 0, ordersDeleted: 0, dlqDelivered: 0, dlqDeleted: 0 };

/**
 * DOFS, per order of each outcome, from runtime/*.ts and components/workflow/orderWorkflow.ts.
 * History events per state (ALL): a task 5 (StateEntered, Scheduled, Started, Succeeded, StateExited), a Choice,
 * Pass or Succeed 2, a Fail 1; plus ExecutionStarted and ExecutionSucceeded/ExecutionFailed.
 */
export const ORDER_COUNTS: Readonly<Record<Outcome, Counts>> = {
  REJECTED: {
    // POST /orders (runtime/apiHandler.ts acceptOrder).
    apiRequests: 1,
    // api-handler: the POST; validator: the ValidateOrder task.
    invocations: { 'api-handler': 1, validator: 1 },
    // StartExecution in acceptOrder (deps.startExecution).
    executions: 1,
    // ValidateOrder → CheckValidation → RecordRejection, which ends the execution successfully.
    stateTransitions: 3,
    // ValidateOrder invokes the validator.
    workflowFunctions: ['validator'],
    // RecordRejection (dynamodb:updateItem).
    workflowServiceTasks: 1,
    // orders: PutItem ACCEPTED (orders.ts createAccepted), UpdateItem workflowStarted (markWorkflowStarted),
    // UpdateItem REJECTED (the RecordRejection state).
    writes: { orders: 3, failedOrders: 0 },
    // A put on createAccepted (the key set), a delete when RecordRejection removes the key.
    inFlightIndexWrites: 2,
    consistentReads: 0,
    eventuallyConsistentReads: 0,
    sqs: NO_SQS,
    logLines: {
      // 'order accepted' (info) and OrdersAccepted (EMF), acceptOrder.
      'api-handler': { INFO: 1, EMF: 1 },
      // 'business failure: order rejected' (warn) and BusinessFailures/REJECTED (EMF), validatorFactory.
      validator: { WARN: 1, EMF: 1 },
    },
    // ALL: 1 + 5 (ValidateOrder) + 2 (CheckValidation) + 5 (RecordRejection) + 1 (ExecutionSucceeded);
    // no error events: a rejection ends the execution successfully.
    workflowEvents: { ALL: 14, ERROR: 0, FATAL: 0 },
  },
  FULFILLED: {
    // POST /orders.
    apiRequests: 1,
    // api-handler: the POST; validator, store-order: the tasks; fulfillment: the one delivery of the message.
    invocations: { 'api-handler': 1, validator: 1, 'store-order': 1, fulfillment: 1 },
    executions: 1,
    // ValidateOrder → CheckValidation → StoreOrder → SendToQueue, which ends the execution.
    stateTransitions: 4,
    workflowFunctions: ['validator', 'store-order'],
    // SendToQueue (sqs:sendMessage).
    workflowServiceTasks: 1,
    // orders: PutItem ACCEPTED, UpdateItem workflowStarted (apiHandler.ts); UpdateItem PENDING (orders.ts storePending);
    // UpdateItem FULFILLED (markFulfilled, fulfillment.ts fulfillOne).
    writes: { orders: 4, failedOrders: 0 },
    // createAccepted a put; storePending a delete and a put (updatedAt, the sort key, changes); markFulfilled a delete.
    // markWorkflowStarted writes no projected attribute: none.
    inFlightIndexWrites: 4,
    consistentReads: 0,
    eventuallyConsistentReads: 0,
    // SendToQueue sends one; the event source mapping delivers it once and deletes it (the record did not fail).
    sqs: { sends: 1, ordersDelivered: 1, ordersDeleted: 1, dlqDelivered: 0, dlqDeleted: 0 },
    logLines: {
      'api-handler': { INFO: 1, EMF: 1 },
      // 'order valid' (info).
      validator: { INFO: 1 },
      // 'order stored' (info).
      'store-order': { INFO: 1 },
      // 'order fulfilled' (info) and OrdersFulfilled (EMF), fulfillBatch.
      fulfillment: { INFO: 1, EMF: 1 },
    },
    // ALL: 1 + 5 + 2 + 5 + 5 (SendToQueue) + 1; no error events.
    workflowEvents: { ALL: 19, ERROR: 0, FATAL: 0 },
  },
  OUT_OF_STOCK: {
    apiRequests: 1,
    invocations: { 'api-handler': 1, validator: 1, 'store-order': 1, fulfillment: 1 },
    executions: 1,
    stateTransitions: 4,
    workflowFunctions: ['validator', 'store-order'],
    workflowServiceTasks: 1,
    // orders: as FULFILLED, with UpdateItem FAILED (orders.ts markFailed) for the last; failed-orders: its PutItem.
    writes: { orders: 4, failedOrders: 1 },
    // As FULFILLED: markFailed removes the key (a delete).
    inFlightIndexWrites: 4,
    consistentReads: 0,
    eventuallyConsistentReads: 0,
    sqs: { sends: 1, ordersDelivered: 1, ordersDeleted: 1, dlqDelivered: 0, dlqDeleted: 0 },
    logLines: {
      'api-handler': { INFO: 1, EMF: 1 },
      validator: { INFO: 1 },
      'store-order': { INFO: 1 },
      // 'business failure: out of stock' (warn) and BusinessFailures/OUT_OF_STOCK (EMF), fulfillBatch.
      fulfillment: { WARN: 1, EMF: 1 },
    },
    workflowEvents: { ALL: 19, ERROR: 0, FATAL: 0 },
  },
  DEAD_LETTERED: {
    // Besides these, `maxReceiveCount` × PER_FAILED_RECEIVE: the fulfillment receives that failed.
    apiRequests: 1,
    // dlq-handler: the one delivery from the DLQ.
    invocations: { 'api-handler': 1, validator: 1, 'store-order': 1, 'dlq-handler': 1 },
    executions: 1,
    stateTransitions: 4,
    workflowFunctions: ['validator', 'store-order'],
    workflowServiceTasks: 1,
    // orders: PutItem, UpdateItem workflowStarted, UpdateItem PENDING, UpdateItem FAILED (dlqHandler.ts → markFailed);
    // failed-orders: its PutItem.
    writes: { orders: 4, failedOrders: 1 },
    // As FULFILLED: markFailed removes the key (a delete).
    inFlightIndexWrites: 4,
    consistentReads: 0,
    eventuallyConsistentReads: 0,
    // Sent once; SQS moves it to the DLQ itself (no request of ours); the DLQ mapping delivers and deletes it.
    sqs: { sends: 1, ordersDelivered: 0, ordersDeleted: 0, dlqDelivered: 1, dlqDeleted: 1 },
    logLines: {
      'api-handler': { INFO: 1, EMF: 1 },
      validator: { INFO: 1 },
      'store-order': { INFO: 1 },
      // 'order failed after its retries' (error) and DeadLetteredOrders (EMF), recordDeadLetters.
      'dlq-handler': { ERROR: 1, EMF: 1 },
    },
    workflowEvents: { ALL: 19, ERROR: 0, FATAL: 0 },
  },
};

/** One GET /orders/{orderId} poll (runtime/apiHandler.ts getOrder). */
export const PER_POLL: Counts = {
  apiRequests: 1,
  invocations: { 'api-handler': 1 },
  executions: 0,
  stateTransitions: 0,
  workflowFunctions: [],
  workflowServiceTasks: 0,
  writes: { orders: 0, failedOrders: 0 },
  inFlightIndexWrites: 0,
  // orders.ts get: GetItem with ConsistentRead.
  consistentReads: 1,
  eventuallyConsistentReads: 0,
  sqs: NO_SQS,
  // A found order is answered without a log line.
  logLines: {},
  workflowEvents: { ALL: 0, ERROR: 0, FATAL: 0 },
};

/**
 * One failed fulfillment receive of a DEAD_LETTERED order's message (a system failure: an exception, a timeout,
 * a throttle), `maxReceiveCount` of them per such order. Taken to fail before its write took effect.
 */
export const PER_FAILED_RECEIVE: Counts = {
  apiRequests: 0,
  invocations: { fulfillment: 1 },
  executions: 0,
  stateTransitions: 0,
  workflowFunctions: [],
  workflowServiceTasks: 0,
  writes: { orders: 0, failedOrders: 0 },
  inFlightIndexWrites: 0,
  consistentReads: 0,
  eventuallyConsistentReads: 0,
  // Delivered, reported in batchItemFailures (or the whole batch thrown): not deleted.
  sqs: { sends: 0, ordersDelivered: 1, ordersDeleted: 0, dlqDelivered: 0, dlqDeleted: 0 },
  logLines: {
    // 'system failure: the message will be redelivered' (error) and SystemFailures (EMF), fulfillBatch; alone in its
    // batch, the batch throws FullBatchFailureError and the runtime logs it (error).
    fulfillment: { ERROR: 2, EMF: 1 },
  },
  workflowEvents: { ALL: 0, ERROR: 0, FATAL: 0 },
};

/**
 * One reconciler run that finds nothing stuck (runtime/reconciler.ts, invoked on the api-handler by the schedule).
 * Its read is priced by the model from the stack: a Scan of the whole orders table (by the table's size), or one
 * Query per shard of the in-flight index.
 */
export const PER_RECONCILE_RUN: Counts = {
  apiRequests: 0,
  invocations: { 'api-handler': 1 },
  executions: 0,
  stateTransitions: 0,
  workflowFunctions: [],
  workflowServiceTasks: 0,
  writes: { orders: 0, failedOrders: 0 },
  inFlightIndexWrites: 0,
  consistentReads: 0,
  eventuallyConsistentReads: 0,
  sqs: NO_SQS,
  // 'reconciled' (info).
  logLines: { 'api-handler': { INFO: 1 } },
  workflowEvents: { ALL: 0, ERROR: 0, FATAL: 0 },
};

/**
 * The original design (shared/seed/DOFS-original-report.md) on the same work, from its report: the five functions
 * (API Handler, Validator, Order Storage, Fulfillment, DLQ Handler; nouns as here), the STANDARD state machine
 * ValidateOrder → CheckValidation → StoreOrder → CheckStorage → SendToQueue → QueueSent with the Fail states
 * ValidationFailed, StorageFailed, QueueFailed. Where the report is silent: an order is first written by
 * StoreOrder (a rejected one never), GET reads it eventually consistent, fulfillment updates its status (and puts a
 * failed-orders record when it fails), the DLQ handler puts the failed-orders record. Log lines: two print lines an
 * invocation (Python, text); Lambda's START/END/REPORT lines are added by the model.
 */
export const SEED_ORDER_COUNTS: Readonly<Record<Outcome, Counts>> = {
  REJECTED: {
    apiRequests: 1,
    invocations: { 'api-handler': 1, validator: 1 },
    executions: 1,
    // ValidateOrder → CheckValidation → ValidationFailed.
    stateTransitions: 3,
    workflowFunctions: ['validator'],
    workflowServiceTasks: 0,
    writes: { orders: 0, failedOrders: 0 },
    inFlightIndexWrites: 0,
    consistentReads: 0,
    eventuallyConsistentReads: 0,
    sqs: NO_SQS,
    logLines: { 'api-handler': { INFO: 2 }, validator: { INFO: 2 } },
    workflowEvents: { ALL: 10, ERROR: 2, FATAL: 1 },
  },
  FULFILLED: {
    apiRequests: 1,
    invocations: { 'api-handler': 1, validator: 1, 'store-order': 1, fulfillment: 1 },
    executions: 1,
    // ValidateOrder → CheckValidation → StoreOrder → CheckStorage → SendToQueue → QueueSent ("about six", issue 17).
    stateTransitions: 6,
    workflowFunctions: ['validator', 'store-order'],
    workflowServiceTasks: 1,
    // PutItem (Order Storage), UpdateItem FULFILLED (Fulfillment).
    writes: { orders: 2, failedOrders: 0 },
    inFlightIndexWrites: 0,
    consistentReads: 0,
    eventuallyConsistentReads: 0,
    sqs: { sends: 1, ordersDelivered: 1, ordersDeleted: 1, dlqDelivered: 0, dlqDeleted: 0 },
    logLines: { 'api-handler': { INFO: 2 }, validator: { INFO: 2 }, 'store-order': { INFO: 2 }, fulfillment: { INFO: 2 } },
    workflowEvents: { ALL: 23, ERROR: 0, FATAL: 0 },
  },
  OUT_OF_STOCK: {
    apiRequests: 1,
    invocations: { 'api-handler': 1, validator: 1, 'store-order': 1, fulfillment: 1 },
    executions: 1,
    stateTransitions: 6,
    workflowFunctions: ['validator', 'store-order'],
    workflowServiceTasks: 1,
    // PutItem, UpdateItem FAILED; the failed-orders PutItem ("Failed order processing").
    writes: { orders: 2, failedOrders: 1 },
    inFlightIndexWrites: 0,
    consistentReads: 0,
    eventuallyConsistentReads: 0,
    sqs: { sends: 1, ordersDelivered: 1, ordersDeleted: 1, dlqDelivered: 0, dlqDeleted: 0 },
    logLines: { 'api-handler': { INFO: 2 }, validator: { INFO: 2 }, 'store-order': { INFO: 2 }, fulfillment: { INFO: 2 } },
    workflowEvents: { ALL: 23, ERROR: 0, FATAL: 0 },
  },
  DEAD_LETTERED: {
    apiRequests: 1,
    invocations: { 'api-handler': 1, validator: 1, 'store-order': 1, 'dlq-handler': 1 },
    executions: 1,
    stateTransitions: 6,
    workflowFunctions: ['validator', 'store-order'],
    workflowServiceTasks: 1,
    // PutItem; the DLQ handler's failed-orders PutItem ("Failed order table population").
    writes: { orders: 1, failedOrders: 1 },
    inFlightIndexWrites: 0,
    consistentReads: 0,
    eventuallyConsistentReads: 0,
    sqs: { sends: 1, ordersDelivered: 0, ordersDeleted: 0, dlqDelivered: 1, dlqDeleted: 1 },
    logLines: { 'api-handler': { INFO: 2 }, validator: { INFO: 2 }, 'store-order': { INFO: 2 }, 'dlq-handler': { INFO: 2 } },
    workflowEvents: { ALL: 23, ERROR: 0, FATAL: 0 },
  },
};

/** The seed's GET poll: one eventually consistent GetItem (the SDK's default). */
export const SEED_PER_POLL: Counts = {
  ...PER_POLL,
  consistentReads: 0,
  eventuallyConsistentReads: 1,
  logLines: { 'api-handler': { INFO: 2 } },
};

/** The seed's failed fulfillment receive: an invocation that raises (Python's traceback, one line an invocation here). */
export const SEED_PER_FAILED_RECEIVE: Counts = { ...PER_FAILED_RECEIVE, logLines: { fulfillment: { ERROR: 2 } } };

/**
 * A typical order as the orders table holds it once PENDING: two lines, as the contract's example. Its size
 * decides the read and write units per request (runtime/orders.ts OrderRecord).
 */
export const TYPICAL_ORDER_ITEM = {
  orderId: 'c81900b5-173d-5bed-a739-c9ef0297d4de',
  status: 'PENDING',
  customerId: 'CUST-00042',
  items: [
    { productId: 'SKU-1001', quantity: 2, unitPrice: 19.99 },
    { productId: 'SKU-1002', quantity: 1, unitPrice: 5.5 },
  ],
  createdAt: '2026-11-25T10:00:00.000Z',
  updatedAt: '2026-11-25T10:00:01.000Z',
  requestHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  workflowStarted: true,
  totalQuantity: 3,
} as const;

/** A typical failed-orders record (runtime/orders.ts FailedOrderRecord). */
export const TYPICAL_FAILED_ITEM = {
  orderId: 'c81900b5-173d-5bed-a739-c9ef0297d4de',
  customerId: 'CUST-00042',
  failureReason: 'OUT_OF_STOCK',
  stage: 'FULFILLMENT',
  items: '[{"productId":"SKU-1001","quantity":2,"unitPrice":19.99},{"productId":"SKU-1002","quantity":1,"unitPrice":5.5}]',
  failedAt: '2026-11-25T10:00:02.000Z',
} as const;

/** The fulfillment message SendToQueue sends (runtime/codecs.ts FulfillmentMessage), as JSON. */
export const TYPICAL_MESSAGE_BODY = JSON.stringify({
  orderId: TYPICAL_ORDER_ITEM.orderId,
  customerId: TYPICAL_ORDER_ITEM.customerId,
  items: TYPICAL_ORDER_ITEM.items,
});

/**
 * An item's size as DynamoDB bills it: attribute names plus values (strings in UTF-8 bytes, numbers about one byte
 * per two significant digits plus one, booleans one byte, a list or map 3 bytes plus 1 per element).
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
 */
export const dynamoItemBytes = (item: Readonly<Record<string, unknown>>): number =>
  Object.entries(item).reduce((n, [name, value]) => n + Buffer.byteLength(name, 'utf8') + valueBytes(value), 0);

const valueBytes = (v: unknown): number => {
  if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
  if (typeof v === 'number') return Math.ceil(String(Math.abs(v)).replace(/[.-]|^0+|e.*$/g, '').length / 2) + 1;
  if (typeof v === 'boolean' || v === null) return 1;
  if (Array.isArray(v)) return 3 + v.reduce((n: number, x) => n + 1 + valueBytes(x), 0);
  if (typeof v === 'object') return 3 + Object.entries(v).reduce((n, [k, x]) => n + 1 + Buffer.byteLength(k, 'utf8') + valueBytes(x), 0);
  return 0;
};
