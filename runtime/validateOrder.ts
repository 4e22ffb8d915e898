import { type RejectionReason, type ValidationResult, type WorkflowInput, makeCodecs } from './codecs';
import { faultsOf, logLevelOf, stackOf } from './env';
import { makeFaultInjector } from './faults';
import { decodeOrThrow } from './http';
import { coldStartTracker, errorFields, invocationFields, makeLogger } from './log';

/** Tier-2 business rules (CONTRACT.md), as data so that docs and tests can list them. */
export const BUSINESS_RULES = {
  customerIdPattern: '^CUST-[0-9]{4,10}$',
  maxTotalQuantity: 100,
} as const;

/** The validator function's handler type: what the workflow's ValidateOrder task is typed by. */
export type ValidateOrderHandler = (input: WorkflowInput) => Promise<ValidationResult>;

/**
 * Pure core of ValidateOrder: every tier-2 rule is checked and every failure reported, so a client
 * learns all its mistakes from one rejection.
 */
export const validateOrder = (order: WorkflowInput): ValidationResult => {
  const reasons: RejectionReason[] = [];
  if (!new RegExp(BUSINESS_RULES.customerIdPattern).test(order.customerId)) {
    reasons.push({
      code: 'INVALID_CUSTOMER_ID',
      message: `customerId '${order.customerId}' must match ${BUSINESS_RULES.customerIdPattern}`,
    });
  }
  const total = order.items.reduce((sum, item) => sum + item.quantity, 0);
  if (total > BUSINESS_RULES.maxTotalQuantity) {
    reasons.push({
      code: 'QUANTITY_LIMIT',
      message: `the total quantity ${total} is over the limit of ${BUSINESS_RULES.maxTotalQuantity}`,
    });
  }
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const item of order.items) (seen.has(item.productId) ? duplicates : seen).add(item.productId);
  if (duplicates.size > 0) {
    reasons.push({
      code: 'DUPLICATE_PRODUCT',
      message: `productId ${[...duplicates].map((p) => `'${p}'`).join(', ')} appears more than once; list each product once`,
    });
  }
  const summary = reasons.length === 0 ? 'order is valid' : reasons.map((r) => `${r.code}: ${r.message}`).join('; ');
  return { valid: reasons.length === 0, reasons, summary };
};

/** Lambda entry point of the validator: decode the workflow input, apply the rules. */
export const validatorFactory = () => {
  const codecs = makeCodecs();
  const log = makeLogger('validator', logLevelOf(), {}, undefined, { Stack: stackOf() });
  const inject = makeFaultInjector(faultsOf());
  const firstCall = coldStartTracker();
  const handler: ValidateOrderHandler = async (input, context?: { awsRequestId?: string }) => {
    let invocation = log.with(invocationFields(context, firstCall()));
    try {
      const order = decodeOrThrow(codecs.WorkflowInput, input, 'workflow input is not an order');
      invocation = invocation.with({ orderId: order.orderId });
      await inject('validator');
      const result = validateOrder(order);
      if (result.valid) invocation.info('order valid');
      else {
        // A business outcome, not an error: the order ends REJECTED with its reasons.
        invocation.warn('business failure: order rejected', { failureKind: 'business', reasons: result.reasons.map((r) => r.code) });
        invocation.metric('BusinessFailures', 1, { Function: 'validator', Reason: 'REJECTED' });
      }
      return result;
    } catch (e) {
      // Step Functions retries or catches it (the workflow's Retry/Catch); the line keeps its stack.
      invocation.error('validation failed with an error', { failureKind: 'system', ...errorFields(e) });
      throw e;
    }
  };
  return handler;
};
