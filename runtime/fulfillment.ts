import { createHash } from 'crypto';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type FulfillmentMessage, makeCodecs } from './codecs';
import { configError, fullBatchFailureError } from './errors';
import { faultsOf, logLevelOf, readEnv, stackOf } from './env';
import { makeFaultInjector } from './faults';
import { decodeOrThrow } from './http';
import { type Logger, coldStartTracker, errorFields, invocationFields, makeLogger } from './log';
import { type OrderTables, makeOrderTables } from './orders';

/** A stable number in [0, 1) for an order id: the same order always has the same business outcome. */
export const outcomeScore = (orderId: string): number =>
  parseInt(createHash('sha256').update(orderId).digest('hex').slice(0, 8), 16) / 0x1_0000_0000;

/** CONTRACT.md: fulfilled iff the score falls below the success rate. */
export const isFulfilled = (orderId: string, successRate: number): boolean => outcomeScore(orderId) < successRate;

export interface FulfillmentDeps {
  readonly tables: Pick<OrderTables, 'markFulfilled' | 'markFailed' | 'statusOf' | 'recordMessage'>;
  readonly successRate: number;
  readonly now: () => string;
  readonly log: Logger;
  /** Fault injection (errors), per record; timeouts are injected per invocation, by the adapter. */
  readonly inject: (where: string) => Promise<void>;
}

/** What happened to one message. */
export type RecordOutcome = 'FULFILLED' | 'OUT_OF_STOCK' | 'ALREADY_FINISHED' | 'UNKNOWN_ORDER';

/**
 * When an update changed nothing: the order finished before (a redelivery), or no order has this id, which is
 * recorded as a message of its own (CONTRACT.md: no message is dropped without a record).
 */
const unchanged = async (message: FulfillmentMessage, messageId: string, deps: FulfillmentDeps): Promise<RecordOutcome> => {
  if ((await deps.tables.statusOf(message.orderId)) !== undefined) return 'ALREADY_FINISHED';
  await deps.tables.recordMessage({
    orderId: `unknown-order#${messageId}`,
    namedOrderId: message.orderId,
    customerId: message.customerId,
    failureReason: 'UNKNOWN_ORDER',
    stage: 'FULFILLMENT',
    error: 'UnknownOrder',
    cause: `the message names order ${message.orderId}, which the orders table does not hold`,
    items: JSON.stringify(message.items),
    failedAt: deps.now(),
  });
  return 'UNKNOWN_ORDER';
};

/** Processes one message. Business failure is final; a thrown error is a system failure (redelivered). */
export const fulfillOne = async (message: FulfillmentMessage, deps: FulfillmentDeps, messageId = 'direct'): Promise<RecordOutcome> => {
  await deps.inject('fulfillment');
  const now = deps.now();
  if (isFulfilled(message.orderId, deps.successRate)) {
    return (await deps.tables.markFulfilled(message.orderId, now)) ? 'FULFILLED' : unchanged(message, messageId, deps);
  }
  const changed = await deps.tables.markFailed(
    {
      orderId: message.orderId,
      customerId: message.customerId,
      failureReason: 'OUT_OF_STOCK',
      stage: 'FULFILLMENT',
      items: JSON.stringify(message.items),
      failedAt: now,
    },
    ['PENDING'],
  );
  return changed ? 'OUT_OF_STOCK' : unchanged(message, messageId, deps);
};

/**
 * A batch with partial failures: each record that throws is reported in `batchItemFailures`, so SQS
 * redelivers only those; the others are deleted. When every record failed, the batch throws
 * (FullBatchFailureError), so that the invocation counts as a Lambda error.
 */
export const fulfillBatch =
  (records: readonly SQSRecord[], decode: (body: unknown) => FulfillmentMessage) =>
  async (deps: FulfillmentDeps): Promise<SQSBatchResponse> => {
    const failures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of records) {
      let log = deps.log.with({ messageId: record.messageId, receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? 1) });
      try {
        let body: unknown;
        try {
          body = JSON.parse(record.body);
        } catch {
          body = record.body;
        }
        const message = decode(body);
        log = log.with({ orderId: message.orderId });
        const outcome = await fulfillOne(message, { ...deps, log }, record.messageId);
        if (outcome === 'OUT_OF_STOCK') {
          log.warn('business failure: out of stock', { outcome, failureKind: 'business' });
          log.metric('BusinessFailures', 1, { Function: 'fulfillment', Reason: 'OUT_OF_STOCK' });
        } else if (outcome === 'UNKNOWN_ORDER') {
          log.error('the message names no known order; recorded in the failed-orders table', { outcome, failureKind: 'system' });
          log.metric('UnknownOrderMessages', 1, { Function: 'fulfillment' });
        } else {
          log.info(outcome === 'FULFILLED' ? 'order fulfilled' : 'order already finished; redelivery ignored', { outcome });
          if (outcome === 'FULFILLED') log.metric('OrdersFulfilled', 1, { Function: 'fulfillment' });
        }
      } catch (e) {
        log.error('system failure: the message will be redelivered', { failureKind: 'system', ...errorFields(e) });
        log.metric('SystemFailures', 1, { Function: 'fulfillment' });
        failures.push({ itemIdentifier: record.messageId });
      }
    }
    if (records.length > 0 && failures.length === records.length) {
      throw fullBatchFailureError(`all ${records.length} messages of the batch failed; every one will be redelivered`);
    }
    return { batchItemFailures: failures };
  };

/** Lambda entry point of the fulfillment function. */
export const fulfillmentFactory = () => {
  const env = readEnv(['ORDERS_TABLE', 'FAILED_ORDERS_TABLE', 'FULFILLMENT_SUCCESS_RATE']);
  const successRate = Number(env.FULFILLMENT_SUCCESS_RATE);
  if (!(successRate >= 0 && successRate <= 1)) {
    throw configError(`FULFILLMENT_SUCCESS_RATE is '${env.FULFILLMENT_SUCCESS_RATE}': expected a number from 0 to 1`);
  }
  const codecs = makeCodecs();
  const decode = (body: unknown) => decodeOrThrow(codecs.FulfillmentMessage, body, 'queue message is not an order');
  const baseLog = makeLogger('fulfillment', logLevelOf(), {}, undefined, { Stack: stackOf() });
  // An error is a record's; a timeout ends the whole batch, and each record may cause one: with 5% timeouts, 5% of
  // messages meet one (rolled once an invocation, a run of few large batches could meet none at all).
  const { timeoutRate, errorRate } = faultsOf();
  const injectTimeout = makeFaultInjector({ timeoutRate });
  const inject = makeFaultInjector({ errorRate });
  const tables = makeOrderTables(DynamoDBDocumentClient.from(new DynamoDBClient({})), env.ORDERS_TABLE, env.FAILED_ORDERS_TABLE);
  const firstCall = coldStartTracker();
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const log = baseLog.with(invocationFields(context, firstCall()));
    for (let i = 0; i < event.Records.length; i++) await injectTimeout('fulfillment');
    return fulfillBatch(
      event.Records,
      decode,
    )({
      tables,
      successRate,
      now: () => new Date().toISOString(),
      log,
      inject,
    });
  };
};
