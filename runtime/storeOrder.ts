import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type StorageResult, type WorkflowInput, makeCodecs } from './codecs';
import { faultsOf, logLevelOf, readEnv, stackOf } from './env';
import { makeFaultInjector } from './faults';
import { decodeOrThrow } from './http';
import { makeLogger } from './log';
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
  const handler: StoreOrderHandler = async (input, context?: { awsRequestId?: string }) => {
    const order = decodeOrThrow(codecs.WorkflowInput, input, 'workflow input is not an order');
    await inject('store-order');
    const result = await tables.storePending(order, new Date().toISOString());
    log.with({ requestId: context?.awsRequestId, orderId: order.orderId }).info('order stored', { ...result });
    return result;
  };
  return handler;
};
