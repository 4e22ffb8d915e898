/**
 * Compile-time tests. Every `@ts-expect-error` below must stay an error: `npm test` type-checks this file
 * with `tsc --noEmit`, which fails on an unused `@ts-expect-error`. The miswirings live in functions
 * that jest never calls; the jest tests run the correct counterparts.
 */
/* eslint-disable jest/no-export -- the miswirings are exported so that tsc's noUnusedLocals keeps them */
import {
  type CaughtError,
  type QueueRef,
  type StateFactory,
  WorkflowBuilder,
  fragment,
  lambdaFn,
  orderWorkflow,
} from '../../components/workflow';
import type { FulfillmentQueue } from '../../components/fulfillmentQueue';
import type { Orchestrator } from '../../components/orchestrator';
import type { OrderStore } from '../../components/orderStore';
import type { WorkflowInput, ValidationResult, FulfillmentMessage } from '../../runtime/codecs';
import { fakeResources } from './fixtures';

type Order = { orderId: string; total: number; express: boolean; tier: 'GOLD' | 'SILVER' };
const validator = lambdaFn<(o: Order) => Promise<ValidationResult>>('arn:validator');
const needsValidation = lambdaFn<(o: Order & { validation: ValidationResult }) => Promise<{ stored: boolean }>>('arn:store');
const wantsNumber = lambdaFn<(o: { orderId: number }) => Promise<void>>('arn:number');
const queue: QueueRef<FulfillmentMessage> = { url: 'https://queue', arn: 'arn:aws:sqs:eu-west-1:1:q' };

/** A fragment that needs the error a Catch wrote at `$.failure`. */
const failWithCause = fragment((from: StateFactory<Order & { failure: CaughtError }>) =>
  from.fail('FailWithCause', { causePath: '$.failure.Cause' }),
);

export function miswirings(): void {
  const wf = new WorkflowBuilder<Order>();
  const validate = wf.start().lambda('Validate', { fn: validator, resultPath: '$.validation' });
  const validateReplacing = wf.start().lambda('ValidateReplacing', { fn: validator });

  // A task whose input does not fit: the result replaced the payload, so `orderId` etc. are gone.
  // @ts-expect-error ValidationResult is not assignable to Order & { validation }
  validateReplacing.next().lambda('Store', { fn: needsValidation });

  // A task that needs a field of another type (orderId: number, but the payload has a string).
  // @ts-expect-error string is not assignable to number
  validate.next().lambda('Number', { fn: wantsNumber });

  // The first state must accept the execution input.
  // @ts-expect-error Order lacks `validation`
  wf.start().lambda('StoreFirst', { fn: needsValidation });
  const storeFirst = new WorkflowBuilder<Order & { validation: ValidationResult }>().start().lambda('StoreFirst', { fn: needsValidation });
  // @ts-expect-error the workflow's start state must accept Order, which lacks `validation`
  wf.build(storeFirst);

  const choice = validate.next().choice('Check');
  // @ts-expect-error Choice rules can only name fields that exist
  choice.when((c) => c.booleanEquals('$.validation.missing', true));
  // @ts-expect-error BooleanEquals on a string field
  choice.when((c) => c.booleanEquals('$.orderId', true));
  // @ts-expect-error StringEquals on a number field
  choice.when((c) => c.stringEquals('$.total', '5'));
  // @ts-expect-error NumericEquals on a boolean field
  choice.when((c) => c.numericEquals('$.express', 1));
  // @ts-expect-error 'BRONZE' is not a value of the tier union
  choice.when((c) => c.stringEquals('$.tier', 'BRONZE'));

  // Terminal states have no next().
  const done = wf.start().succeed('Done');
  // @ts-expect-error Property 'next' does not exist on SucceedState
  done.next();
  const failed = wf.start().fail('Failed', { error: 'X' });
  // @ts-expect-error Property 'next' does not exist on FailState
  failed.next();

  // Retry/Catch name errors from the shared list; States.ALL stands alone.
  // @ts-expect-error not an error name the runtime or States declares
  wf.start().lambda('Unknown', { fn: validator, retry: [{ errors: ['NoSuchError'] }] });
  // @ts-expect-error States.ALL mixed with other names
  validate.catch(done, { errors: ['States.ALL', 'TransientError'] });

  // A catch target must accept the payload with the error written at resultPath.
  // @ts-expect-error the error goes to $.other, so $.failure is missing
  validate.catch(failWithCause, { resultPath: '$.other' });

  // Fail paths must point at strings.
  // @ts-expect-error $.total is a number
  wf.start().fail('BadCause', { causePath: '$.total' });

  // The queue's message type is checked against the body template.
  wf.start().sqsSendMessage('Send', {
    queue,
    // @ts-expect-error customerId and items are missing; total is not a field of the message
    messageBody: ($) => ({ orderId: $('$.orderId'), total: $('$.total') }),
  });
  wf.start().sqsSendMessage('SendWrongType', {
    queue,
    // @ts-expect-error orderId must be a string, $.total is a number
    messageBody: ($) => ({ orderId: $('$.total'), customerId: 'c', items: [] }),
  });

  // Path references in templates must exist.
  // @ts-expect-error $.nope is not a path of Order
  wf.start().pass('Bad', { parameters: ($) => ({ x: $('$.nope') }) });
}

/**
 * A handler whose output no longer fits the next state's input: the validator used to return a
 * ValidationResult; now it returns `{ ok }`. The states after it are typed from its output, so each one
 * that reads what is gone fails to compile where it reads it.
 */
export function handlerOutputChanged(): void {
  const changedValidator = lambdaFn<(o: Order) => Promise<{ ok: boolean }>>('arn:validator');
  const wf = new WorkflowBuilder<Order>();
  const validate = wf.start().lambda('Validate', { fn: changedValidator, resultPath: '$.validation' });
  // @ts-expect-error the next task's handler needs `validation: ValidationResult`, the payload has `validation: { ok }`
  validate.next().lambda('Store', { fn: needsValidation });
  const check = validate.next().choice('Check');
  // @ts-expect-error the next Choice reads `$.validation.valid`, which no longer exists
  check.when((c) => c.booleanEquals('$.validation.valid', false));
}

/**
 * The Orchestrator's call of `orderWorkflow`, with the validator and store-order functions swapped. Each
 * function's `ref` is typed by the handler its factory returns (runtime/validateOrder.ts, runtime/storeOrder.ts).
 */
export function swappedFunctions(
  functions: Pick<Orchestrator, 'validator' | 'storeOrder'>,
  queue: FulfillmentQueue,
  store: OrderStore,
): void {
  orderWorkflow({
    // @ts-expect-error store-order's handler returns a StorageResult, not the ValidationResult CheckValidation reads
    validator: functions.storeOrder.ref,
    // @ts-expect-error the validator's handler returns a ValidationResult, not the StorageResult the StoreOrder slot is typed by
    storeOrder: functions.validator.ref,
    queue: queue.queueRef,
    ordersTable: store.ordersRef,
    failedOrdersTable: store.failedOrdersRef,
  });
  orderWorkflow({
    ...fakeResources,
    // @ts-expect-error a bare ARN claims no handler type: only a function's `ref` (or `lambdaFn<H>()`) is a LambdaFn
    validator: { arn: 'arn:aws:lambda:eu-west-1:1:function:anything' },
  });
}

describe('typed wiring', () => {
  it('accepts the correct counterparts of the miswirings above', () => {
    const wf = new WorkflowBuilder<Order>();
    const validate = wf.start().lambda('Validate', { fn: validator, resultPath: '$.validation' });
    const choice = validate.catch(failWithCause, { resultPath: '$.failure' }).next().choice('Check');
    choice.when((c) => c.stringEquals('$.tier', 'GOLD')).lambda('Store', { fn: needsValidation, resultPath: '$.storage' });
    choice.otherwise().sqsSendMessage('Send', {
      queue,
      messageBody: ($) => ({ orderId: $('$.orderId'), customerId: 'c', items: [] }),
    });
    expect(wf.validate(validate)).toEqual([]);
  });

  it('types the order workflow from the handlers: its start accepts a WorkflowInput', () => {
    const wf = orderWorkflow(fakeResources);
    const input: WorkflowInput = { orderId: 'o', customerId: 'CUST-0001', items: [], acceptedAt: 'now' };
    expect(wf.start.name).toBe('ValidateOrder');
    expect(input.orderId).toBe('o');
  });
});
