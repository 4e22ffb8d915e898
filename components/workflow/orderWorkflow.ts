import type { FulfillmentMessage, WorkflowInput } from '../../runtime/codecs';
import type { StoreOrderHandler } from '../../runtime/storeOrder';
import { IN_FLIGHT_KEY } from '../../runtime/inFlightIndex';
import type { ValidateOrderHandler } from '../../runtime/validateOrder';
import { WorkflowBuilder } from './builder';
import { type StateFactory, fragment } from './factory';
import type { FailState } from './fail';
import { type TableRef, ddb } from './integrations/dynamodb';
import type { LambdaFnOf } from './integrations/lambda';
import type { QueueRef } from './integrations/sqs';
import { contextRef, jsonToString } from './paths';
import type { Target } from './state';
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

/** What a failure route and a `<Stage>Failed` state need: the order and the error placed at `$.failure`. */
type Failed = WorkflowInput & { readonly failure: CaughtError };

type Stage = 'Validation' | 'Storage' | 'Queue';

/**
 * The order workflow (CONTRACT.md, "Workflow semantics"):
 *
 *   ValidateOrder → CheckValidation ─valid─→ StoreOrder → SendToQueue (end)
 *                                  └rejected→ RecordRejection (end)
 *   any Lambda or SQS task, after its retries ─→ Mark<Stage>Failure → Record<Stage>Failure → Unlist<Stage>Failure → <Stage>Failed
 *   RecordRejection, after its retries ─→ ValidationFailed
 *
 * Every order ends with its status in the orders table: REJECTED or PENDING here, FAILED (with a
 * failed-orders record) when a stage fails for good. A rejection is a business outcome: its execution
 * succeeds, so that only system failures count in ExecutionsFailed (and its alarm). Status writes are
 * conditional, so a repeated execution (EXPRESS runs at least once) never moves an order backwards. A
 * terminal write removes the order's in-flight key, so that it leaves the reconciler's index
 * (runtime/inFlightIndex.ts); a FAILED order only once its failed-orders record is written.
 */
export const orderWorkflow = (r: OrderWorkflowResources, timeoutSeconds = 300): Workflow<WorkflowInput> => {
  const wf = new WorkflowBuilder<WorkflowInput>({ comment: 'DOFS order workflow', timeoutSeconds });
  const orderKey = (orderId: Parameters<typeof ddb.s>[0]) => ({ orderId: ddb.s(orderId) });
  const names = { '#status': 'status', '#inFlight': IN_FLIGHT_KEY } as const;

  /** `<Stage>Failed`: ends the execution with the `Error`/`Cause` found at `$.failure`. */
  const failed = (stage: Stage, comment: string) =>
    fragment((from: StateFactory<Failed>) =>
      from.fail(`${stage}Failed`, { errorPath: '$.failure.Error', causePath: '$.failure.Cause', comment }),
    );

  /**
   * A stage's failure route, entered by its Catch: mark the order FAILED, record it in failed-orders, take it out of
   * the in-flight index, end in `fail`. The order keeps its in-flight key until its record is written: if the
   * execution ends between the writes (its timeout, a StopExecution) or the record's write fails for good, the
   * reconciler finds the FAILED order in the index and completes the pair (runtime/reconciler.ts); removing the key
   * with the FAILED write left such an order without a record for ever (tests/model/counterexamples.md, fixed).
   */
  const failureRoute = (stage: Stage, fail: Target<Failed, FailState<Failed>>) =>
    fragment((from: StateFactory<Failed>) => {
      const mark = from.dynamoUpdateItem(`Mark${stage}Failure`, {
        table: r.ordersTable,
        key: ($) => orderKey($('$.orderId')),
        updateExpression:
          'SET #status = :failed, failureReason = :reason, failureStage = if_not_exists(failureStage, :stage), updatedAt = :now',
        // A repeated execution may mark again; an order that finished otherwise is left alone.
        conditionExpression: '#status IN (:accepted, :pending) OR (#status = :failed AND failureReason = :reason)',
        expressionAttributeNames: { '#status': 'status' },
        expressionAttributeValues: () => ({
          ':failed': ddb.s('FAILED'),
          ':accepted': ddb.s('ACCEPTED'),
          ':pending': ddb.s('PENDING'),
          ':reason': ddb.s('PROCESSING_ERROR'),
          ':stage': ddb.s(stage.toUpperCase()),
          ':now': ddb.s(contextRef.stateEnteredTime),
        }),
        resultPath: null,
      });
      const record = mark.next().dynamoPutItem(`Record${stage}Failure`, {
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
      const unlist = record.next().dynamoUpdateItem(`Unlist${stage}Failure`, {
        table: r.ordersTable,
        key: ($) => orderKey($('$.orderId')),
        updateExpression: 'REMOVE #inFlight',
        conditionExpression: '#status = :failed',
        expressionAttributeNames: names,
        expressionAttributeValues: () => ({ ':failed': ddb.s('FAILED') }),
        resultPath: null,
      });
      const end = unlist.next(fail);
      // The order finished otherwise (its condition failed), or the write failed for good: the order is not this
      // route's to end (the reconciler re-drives one left in flight).
      mark.catch(end, { resultPath: '$.recordError' });
      // Recorded already (a repeated execution): take it out of the index. Any other failure leaves it in the index
      // for the reconciler to complete.
      record.catch(unlist, { errors: ['DynamoDB.ConditionalCheckFailedException'], resultPath: '$.recordError' });
      record.catch(end, { resultPath: '$.recordError' });
      unlist.catch(end, { resultPath: '$.recordError' });
      return mark;
    });

  // ValidateOrder → CheckValidation
  const validateOrder = wf.start().lambda('ValidateOrder', { fn: r.validator, resultPath: '$.validation' });
  const checkValidation = validateOrder.next().choice('CheckValidation');

  // Rejected: REJECTED with its reasons, and the execution succeeds (a business outcome, not a failure).
  const recordRejection = checkValidation
    .when((c) => c.booleanEquals('$.validation.valid', false))
    .dynamoUpdateItem('RecordRejection', {
      table: r.ordersTable,
      key: ($) => orderKey($('$.orderId')),
      updateExpression: 'SET #status = :rejected, reasons = :reasons, updatedAt = :now REMOVE #inFlight',
      conditionExpression: '#status IN (:accepted, :rejected)',
      expressionAttributeNames: names,
      expressionAttributeValues: ($) => ({
        ':rejected': ddb.s('REJECTED'),
        ':accepted': ddb.s('ACCEPTED'),
        ':reasons': ddb.s(jsonToString($('$.validation.reasons'))),
        ':now': ddb.s(contextRef.stateEnteredTime),
      }),
      resultPath: null,
    });
  // RecordRejection ends the execution, successfully: no Succeed state after it (a state entered is a transition billed).

  // ValidationFailed is a system failure, entered with the caught error at $.failure: from RecordRejection
  // failing for good (its retries exhausted, or its condition failed), which writes nothing more, so that an
  // order left ACCEPTED is the reconciler's to re-drive; or from ValidateOrder's failure route. Made by the
  // first catch, joined by the second.
  let validationFailed!: FailState<Failed>;
  recordRejection.catch(
    (from) => (validationFailed = failed('Validation', 'ValidateOrder or RecordRejection failed for good: a system failure.')(from)),
    { resultPath: '$.failure' },
  );
  validateOrder.catch(failureRoute('Validation', validationFailed), { resultPath: '$.failure' });

  // Valid: StoreOrder → SendToQueue, which ends the execution. No Choice on StoreOrder's outcome: a repeated
  // execution (EXPRESS runs at least once) that finds the order finished (ALREADY_TERMINAL) sends its message
  // again, and fulfillment leaves a finished order as it is, as it does for any redelivery; every order saves
  // the transition the Choice cost. Nor a Succeed state after SendToQueue.
  checkValidation
    .otherwise()
    .lambda('StoreOrder', { fn: r.storeOrder, resultPath: '$.storage' })
    .catch(failureRoute('Storage', failed('Storage', 'StoreOrder failed after its retries.')), { resultPath: '$.failure' })
    .next()
    .sqsSendMessage('SendToQueue', {
      queue: r.queue,
      messageBody: ($) => ({ orderId: $('$.orderId'), customerId: $('$.customerId'), items: $('$.items') }),
      resultPath: '$.message',
    })
    .catch(failureRoute('Queue', failed('Queue', 'SendToQueue failed after its retries.')), { resultPath: '$.failure' });

  return wf.build(validateOrder);
};
