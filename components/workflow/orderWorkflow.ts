import type { FulfillmentMessage, WorkflowInput } from '../../runtime/codecs';
import type { StoreOrderHandler } from '../../runtime/storeOrder';
import type { ValidateOrderHandler } from '../../runtime/validateOrder';
import { WorkflowBuilder } from './builder';
import type { FailState } from './fail';
import { type TableRef, ddb } from './integrations/dynamodb';
import type { LambdaFnOf } from './integrations/lambda';
import type { QueueRef } from './integrations/sqs';
import { contextRef, jsonToString } from './paths';
import type { OutputOf } from './state';
import type { CaughtError } from './task';
import type { Workflow } from './workflow';

/**
 * The resources the order workflow wires together. The functions are typed by their handlers in runtime/:
 * only the validator's reference fits `validator`, only store-order's fits `storeOrder`.
 */
export interface OrderWorkflowResources {
  readonly validator: LambdaFnOf<ValidateOrderHandler>;
  readonly storeOrder: LambdaFnOf<StoreOrderHandler>;
  readonly queue: QueueRef<FulfillmentMessage>;
  readonly ordersTable: TableRef;
  readonly failedOrdersTable: TableRef;
}

/** The payload on a failure route: the order and the error a Catch placed at `$.failure`. */
type Failed = WorkflowInput & { readonly failure: CaughtError };

/**
 * The order workflow (CONTRACT.md, "Workflow semantics"):
 *
 *   ValidateOrder → CheckValidation ─valid─→ StoreOrder → CheckStorage → SendToQueue → QueueSent
 *                                  └rejected→ DescribeRejection → RecordRejection → ValidationFailed
 *   CheckStorage ─already terminal─→ AlreadyFinished
 *   any task, after its retries ─→ Mark<Stage>Failure → Record<Stage>Failure → <Stage>Failed
 *
 * Every order ends with its status in the orders table: REJECTED or PENDING here, FAILED (with a
 * failed-orders record) when a stage fails for good. Status writes are conditional, so a repeated
 * execution (EXPRESS runs at least once) never moves an order backwards.
 */
export const orderWorkflow = (r: OrderWorkflowResources, timeoutSeconds = 300): Workflow<WorkflowInput> => {
  const wf = new WorkflowBuilder<WorkflowInput>({ comment: 'DOFS order workflow', timeoutSeconds });
  const orderKey = (orderId: Parameters<typeof ddb.s>[0]) => ({ orderId: ddb.s(orderId) });
  const statusName = { '#status': 'status' } as const;

  /** A stage's failure route: mark the order FAILED, record it in failed-orders, end in `fail`. */
  const failureRoute = (stage: 'Validation' | 'Storage' | 'Queue', fail: FailState<Failed>) => {
    const mark = wf.given<Failed>().dynamoUpdateItem(`Mark${stage}Failure`, {
      table: r.ordersTable,
      key: ($) => orderKey($('$.orderId')),
      updateExpression: 'SET #status = :failed, failureReason = :reason, updatedAt = :now',
      // A repeated execution may mark again; an order that finished otherwise is left alone.
      conditionExpression: '#status IN (:accepted, :pending) OR (#status = :failed AND failureReason = :reason)',
      expressionAttributeNames: statusName,
      expressionAttributeValues: () => ({
        ':failed': ddb.s('FAILED'),
        ':accepted': ddb.s('ACCEPTED'),
        ':pending': ddb.s('PENDING'),
        ':reason': ddb.s('PROCESSING_ERROR'),
        ':now': ddb.s(contextRef.stateEnteredTime),
      }),
      resultPath: null,
    });
    const record = wf.given<Failed>().dynamoPutItem(`Record${stage}Failure`, {
      table: r.failedOrdersTable,
      item: ($) => ({
        orderId: ddb.s($('$.orderId')),
        customerId: ddb.s($('$.customerId')),
        failureReason: ddb.s('PROCESSING_ERROR'),
        stage: ddb.s(stage.toUpperCase()),
        error: ddb.s($('$.failure.Error')),
        cause: ddb.s($('$.failure.Cause')),
        items: ddb.s(jsonToString($('$.items'))),
        failedAt: ddb.s(contextRef.stateEnteredTime),
      }),
      conditionExpression: 'attribute_not_exists(orderId)',
      resultPath: null,
    });
    mark.next(record).next(fail);
    // A failed condition means the order finished otherwise, or was recorded already: nothing to add.
    mark.catch(fail, { resultPath: '$.recordError' });
    record.catch(fail, { resultPath: '$.recordError' });
    return mark;
  };
  const failedAt = (stage: 'Validation' | 'Storage' | 'Queue', comment: string) =>
    wf.given<Failed>().fail(`${stage}Failed`, { errorPath: '$.failure.Error', causePath: '$.failure.Cause', comment });

  // ValidateOrder → CheckValidation
  const validateOrder = wf.lambda('ValidateOrder', { fn: r.validator, resultPath: '$.validation' });
  type Validated = OutputOf<typeof validateOrder>;
  const checkValidation = wf.given<Validated>().choice('CheckValidation');

  // Rejected: REJECTED with reasons, then ValidationFailed whose Cause lists them.
  const validationFailed = failedAt('Validation', 'The order broke a business rule, or validation failed for good.');
  const describeRejection = wf.given<Validated>().pass('DescribeRejection', {
    parameters: ($) => ({ Error: 'OrderRejected', Cause: $('$.validation.summary') }),
    resultPath: '$.failure',
  });
  const recordRejection = wf.given<OutputOf<typeof describeRejection>>().dynamoUpdateItem('RecordRejection', {
    table: r.ordersTable,
    key: ($) => orderKey($('$.orderId')),
    updateExpression: 'SET #status = :rejected, reasons = :reasons, updatedAt = :now',
    conditionExpression: '#status IN (:accepted, :rejected)',
    expressionAttributeNames: statusName,
    expressionAttributeValues: ($) => ({
      ':rejected': ddb.s('REJECTED'),
      ':accepted': ddb.s('ACCEPTED'),
      ':reasons': ddb.s(jsonToString($('$.validation.reasons'))),
      ':now': ddb.s(contextRef.stateEnteredTime),
    }),
    resultPath: null,
  });
  recordRejection.catch(validationFailed, { resultPath: '$.recordError' });

  // StoreOrder → CheckStorage → SendToQueue → QueueSent
  const storeOrder = wf.lambda('StoreOrder', { fn: r.storeOrder, resultPath: '$.storage' });
  type Stored = OutputOf<typeof storeOrder>;
  const checkStorage = wf.given<Stored>().choice('CheckStorage');
  const alreadyFinished = wf.given<Stored>().succeed('AlreadyFinished', 'A repeated execution found the order finished.');
  const sendToQueue = wf.given<Stored>().sqsSendMessage('SendToQueue', {
    queue: r.queue,
    messageBody: ($) => ({ orderId: $('$.orderId'), customerId: $('$.customerId'), items: $('$.items') }),
    resultPath: '$.message',
  });
  const queueSent = wf.given<OutputOf<typeof sendToQueue>>().succeed('QueueSent');

  validateOrder
    .catch(failureRoute('Validation', validationFailed), { resultPath: '$.failure' })
    .next(checkValidation)
    .when((c) => c.booleanEquals('$.validation.valid', false), describeRejection)
    .otherwise(storeOrder);
  describeRejection.next(recordRejection).next(validationFailed);

  storeOrder
    .catch(failureRoute('Storage', failedAt('Storage', 'StoreOrder failed after its retries.')), { resultPath: '$.failure' })
    .next(checkStorage)
    .when((c) => c.stringEquals('$.storage.outcome', 'ALREADY_TERMINAL'), alreadyFinished)
    .otherwise(sendToQueue);

  sendToQueue
    .catch(failureRoute('Queue', failedAt('Queue', 'SendToQueue failed after its retries.')), { resultPath: '$.failure' })
    .next(queueSent);

  return wf.build(validateOrder);
};
