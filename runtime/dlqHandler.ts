import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type FulfillmentMessage, makeCodecs } from './codecs';
import { faultsOf, logLevelOf, readEnv, stackOf } from './env';
import { makeFaultInjector } from './faults';
import { decodeOrThrow } from './http';
import { fullBatchFailureError } from './errors';
import { type Logger, coldStartTracker, errorFields, invocationFields, makeLogger } from './log';
import { type OrderTables, makeOrderTables } from './orders';

export interface DlqDeps {
  readonly tables: Pick<OrderTables, 'markFailed' | 'recordMessage' | 'statusOf' | 'get' | 'completeFailedRecord'>;
  readonly now: () => string;
  readonly log: Logger;
  readonly inject: (where: string) => Promise<void>;
}

/**
 * Records each dead-lettered message: the order becomes FAILED with PROCESSING_ERROR and gets its one
 * failed-orders record. A message that is no order (unreadable) is recorded under `unreadable#<messageId>`,
 * one that names an order nobody holds under `unknown-order#<messageId>`, so nothing is lost. An order that
 * finished meanwhile is left as it is. When every record of the batch fails, the batch throws.
 */
/** The order id a message body names, read leniently (for log lines only: the codec decides what the message is). */
const orderIdNamedIn = (body: string): string | undefined => {
  try {
    const id = (JSON.parse(body) as { orderId?: unknown } | null)?.orderId;
    // Only what could be an order id (the API's): a body may hold anything, up to 256 KiB.
    return typeof id === 'string' && /^[A-Za-z0-9_-]{1,128}$/.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
};

export const recordDeadLetters =
  (records: readonly SQSRecord[], decode: (body: unknown) => FulfillmentMessage) =>
  async (deps: DlqDeps): Promise<SQSBatchResponse> => {
    const failures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of records) {
      // Every line about a dead letter names its order when the body names one, a failure to record it included.
      const named = orderIdNamedIn(record.body);
      const log = deps.log.with({ messageId: record.messageId, ...(named === undefined ? {} : { orderId: named }) });
      try {
        await deps.inject('dlq-handler');
        const now = deps.now();
        let message: FulfillmentMessage;
        try {
          message = decode(JSON.parse(record.body));
        } catch (e) {
          await deps.tables.recordMessage({
            orderId: `unreadable#${record.messageId}`,
            customerId: '',
            failureReason: 'UNREADABLE_MESSAGE',
            stage: 'DEAD_LETTER',
            error: 'UnreadableMessage',
            cause: `${(e as Error).message}; body: ${record.body.slice(0, 1000)}`,
            items: '[]',
            failedAt: now,
          });
          log.error('dead letter names no order; recorded as unreadable', { failureKind: 'system', ...errorFields(e) });
          log.metric('UnreadableMessages', 1, { Function: 'dlq-handler' });
          continue;
        }
        const changed = await deps.tables.markFailed(
          {
            orderId: message.orderId,
            customerId: message.customerId,
            failureReason: 'PROCESSING_ERROR',
            stage: 'DEAD_LETTER',
            error: 'MaxReceiveCountExceeded',
            cause: `fulfillment failed ${record.attributes?.ApproximateReceiveCount ?? 'several'} times`,
            items: JSON.stringify(message.items),
            failedAt: now,
          },
          ['ACCEPTED', 'PENDING'],
        );
        const orderLog = log.with({ orderId: message.orderId });
        if (changed) {
          orderLog.error('order failed after its retries', { failureKind: 'system', outcome: 'PROCESSING_ERROR' });
          log.metric('DeadLetteredOrders', 1, { Function: 'dlq-handler' });
        } else if ((await deps.tables.statusOf(message.orderId)) !== undefined) {
          // A FAILED order whose record write failed on the message's last receive: no redelivery will complete
          // the pair but this one (the model check's and the chaos run's counterexample).
          const order = await deps.tables.get(message.orderId);
          if (order && (await deps.tables.completeFailedRecord(order, now, 'the dlq-handler'))) {
            orderLog.warn('dead letter for a FAILED order without its failed-orders record; record completed', {
              outcome: 'RECORD_COMPLETED',
              failureReason: order.failureReason,
            });
          } else {
            orderLog.info('dead letter for a finished order; ignored', { outcome: 'ALREADY_FINISHED' });
          }
        } else {
          await deps.tables.recordMessage({
            orderId: `unknown-order#${record.messageId}`,
            namedOrderId: message.orderId,
            customerId: message.customerId,
            failureReason: 'UNKNOWN_ORDER',
            stage: 'DEAD_LETTER',
            error: 'UnknownOrder',
            cause: `the dead letter names order ${message.orderId}, which the orders table does not hold`,
            items: JSON.stringify(message.items),
            failedAt: now,
          });
          orderLog.error('dead letter names no known order; recorded in the failed-orders table', {
            failureKind: 'system',
            outcome: 'UNKNOWN_ORDER',
          });
          log.metric('UnknownOrderMessages', 1, { Function: 'dlq-handler' });
        }
      } catch (e) {
        log.error('could not record the dead letter; it stays on the DLQ', { failureKind: 'system', ...errorFields(e) });
        log.metric('SystemFailures', 1, { Function: 'dlq-handler' });
        failures.push({ itemIdentifier: record.messageId });
      }
    }
    if (records.length > 0 && failures.length === records.length) {
      throw fullBatchFailureError(`all ${records.length} dead letters of the batch failed to be recorded; they stay on the DLQ`);
    }
    return { batchItemFailures: failures };
  };

/** Lambda entry point of the dlq-handler. */
export const dlqHandlerFactory = () => {
  const env = readEnv(['ORDERS_TABLE', 'FAILED_ORDERS_TABLE']);
  const codecs = makeCodecs();
  const decode = (body: unknown) => decodeOrThrow(codecs.FulfillmentMessage, body, 'dead letter is not an order');
  const baseLog = makeLogger('dlq-handler', logLevelOf(), {}, undefined, { Stack: stackOf() });
  // An error is a record's; a timeout ends the whole batch, and each record may cause one: with 5% timeouts, 5% of
  // messages meet one (rolled once an invocation, a run of few large batches could meet none at all).
  const { timeoutRate, errorRate } = faultsOf();
  const injectTimeout = makeFaultInjector({ timeoutRate });
  const inject = makeFaultInjector({ errorRate });
  const tables = makeOrderTables(DynamoDBDocumentClient.from(new DynamoDBClient({})), env.ORDERS_TABLE, env.FAILED_ORDERS_TABLE);
  const firstCall = coldStartTracker();
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const log = baseLog.with(invocationFields(context, firstCall()));
    for (let i = 0; i < event.Records.length; i++) await injectTimeout('dlq-handler');
    return recordDeadLetters(
      event.Records,
      decode,
    )({
      tables,
      now: () => new Date().toISOString(),
      log,
      inject,
    });
  };
};
