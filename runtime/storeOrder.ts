import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type StorageResult, type WorkflowInput, makeCodecs } from './codecs';
import { faultsOf, logLevelOf, readEnv, stackOf } from './env';
import { makeFaultInjector } from './faults';
import { decodeOrThrow } from './http';
import { coldStartTracker, errorFields, invocationFields, makeLogger } from './log';
import { makeOrderTables } from './orders';

/** The store-order function's handler type: what the workflow's StoreOrder task is typed by. */
export type StoreOrderHandler = (input: WorkflowInput) => Promise<StorageResult>;

/** Lambda entry point of store-order: ACCEPTED → PENDING with totals, idempotently. */
export const storeOrderFactory = () => {
  const env = readEnv(['ORDERS_TABLE', 'FAILED_ORDERS_TABLE']);
  const codecs = makeCodecs();
  const log = makeLogger('store-order', logLevelOf(), {}, undefined, { Stack: stackOf() });
  const inject = makeFaultInjector(faultsOf());
  const tables = makeOrderTables(DynamoDBDocumentClient.from(new DynamoDBClient({})), env.ORDERS_TABLE, env.FAILED_ORDERS_TABLE);
  const firstCall = coldStartTracker();
  const handler: StoreOrderHandler = async (input, context?: { awsRequestId?: string }) => {
    let invocation = log.with(invocationFields(context, firstCall()));
    try {
      const order = decodeOrThrow(codecs.WorkflowInput, input, 'workflow input is not an order');
      invocation = invocation.with({ orderId: order.orderId });
      await inject('store-order');
      const result = await tables.storePending(order, new Date().toISOString());
      invocation.info('order stored', { ...result });
      return result;
    } catch (e) {
      // Step Functions retries or catches it (the workflow's Retry/Catch); the line keeps its stack.
      invocation.error('storing the order failed with an error', { failureKind: 'system', ...errorFields(e) });
      throw e;
    }
  };
  return handler;
};
