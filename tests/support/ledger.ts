/**
 * The conservation harness: post a batch of orders to a running local cloud, wait until each is terminal,
 * and read back what the system holds (both tables and both queues), for the checks every accepted order
 * must pass: one terminal status, one failed-orders record per FAILED order, nothing left in a queue.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { GetQueueAttributesCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { IN_FLIGHT_INDEX } from '../../runtime/inFlightIndex';
import { type RunningCloud, http, postOrder, waitUntil } from './localCloud';

const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
const TERMINAL = ['REJECTED', 'FULFILLED', 'FAILED'];

/** `count` order bodies: every tenth breaks a tier-2 rule (REJECTED), the others are valid. */
export const orderBodies = (count: number) =>
  Array.from({ length: count }, (_, i) =>
    i % 10 === 0
      ? { customerId: `bad-${i}`, items: [{ productId: 'A', quantity: 1 }] }
      : { customerId: `CUST-${String(10000 + i)}`, items: [{ productId: `SKU-${i}`, quantity: 1 + (i % 5) }] },
  );

/** Posts every body, `concurrency` at a time; returns each answer's status and order id, in body order. */
export const postAll = async (cloud: RunningCloud, bodies: readonly unknown[], concurrency = 16) => {
  const answers: { status: number; orderId: string }[] = new Array(bodies.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const i = next++;
        const res = await postOrder(cloud.url, bodies[i]);
        answers[i] = { status: res.status, orderId: res.body?.orderId };
      }
    }),
  );
  return answers;
};

/** Waits (the hang guard bounds it) until GET answers a terminal status for every id. */
export const waitAllTerminal = async (cloud: RunningCloud, ids: readonly string[]): Promise<void> => {
  const done = new Set<string>();
  await waitUntil(
    () => `every order terminal (${done.size} of ${ids.length} were)`,
    async () => {
      for (const id of ids) {
        if (done.has(id)) continue;
        const res = await http(`${cloud.url}/orders/${id}`);
        if (TERMINAL.includes(res.body.status)) done.add(id);
      }
      return done.size === ids.length;
    },
    250,
  );
};

const scanAll = async (db: DynamoDBDocumentClient, table: string, index?: string) => {
  const items: Record<string, any>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: table, IndexName: index, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
};

/** An item of the orders table, the fields the ledger reads. */
export interface StoredOrder {
  readonly orderId: string;
  readonly status: string;
  readonly failureReason?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What the system holds once every order is terminal. */
export interface Ledger {
  readonly orders: StoredOrder[];
  /** The failed-orders table's items: an order's record, or a message's (`unreadable#...`, `unknown-order#...`). */
  readonly failedRecords: {
    readonly orderId: string;
    readonly stage?: string;
    readonly failureReason?: string;
    readonly error?: string;
    readonly cause?: string;
  }[];
  /** Each queue's visible and in-flight messages, as last seen (both "0" once drained). */
  readonly queues: { QueueUrl: string; visible?: string; inFlight?: string }[];
  /** The orders the reconciler's in-flight index holds (runtime/inFlightIndex.ts): none once all are terminal. */
  readonly inFlightIndexed: string[];
}

/**
 * Reads both tables and both queues. The dlq-handler writes the failed-orders record and the status one
 * after the other, and a message is deleted after its function returns: it waits (hang guard) for a
 * record per FAILED order and for both queues to drain, and returns what it last saw either way, for the
 * test's expectations to report.
 */
export const readLedger = async (cloud: RunningCloud): Promise<Ledger> => {
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: cloud.dynamoEndpoint, region: 'eu-west-1', credentials }));
  const orders = (await scanAll(db, 'dofs-orders')) as StoredOrder[];
  const failedCount = orders.filter((o) => o.status === 'FAILED').length;
  let failedRecords: Ledger['failedRecords'] = [];
  await waitUntil(
    () => `a failed-orders record for each of the ${failedCount} FAILED orders (${failedRecords.length} were there)`,
    async () => (failedRecords = (await scanAll(db, 'dofs-failed-orders')) as Ledger['failedRecords']).length >= failedCount,
    250,
  ).catch(() => undefined); // the test's expectations report what was missing
  const sqs = new SQSClient({ endpoint: cloud.sqsEndpoint, region: 'eu-west-1', credentials });
  const { QueueUrls = [] } = await sqs.send(new ListQueuesCommand({}));
  const depths = () =>
    Promise.all(
      QueueUrls.map(async (QueueUrl) => {
        const { Attributes = {} } = await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl,
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
          }),
        );
        return { QueueUrl, visible: Attributes.ApproximateNumberOfMessages, inFlight: Attributes.ApproximateNumberOfMessagesNotVisible };
      }),
    );
  let queues: Ledger['queues'] = [];
  await waitUntil(
    () => `both queues empty (last seen ${JSON.stringify(queues)})`,
    async () => (queues = await depths()).every((q) => q.visible === '0' && q.inFlight === '0'),
    250,
  ).catch(() => undefined);
  sqs.destroy();
  const inFlightIndexed = (await scanAll(db, 'dofs-orders', IN_FLIGHT_INDEX)).map((i) => i.orderId as string);
  db.destroy();
  return { orders, failedRecords, queues, inFlightIndexed };
};

/**
 * The conservation checks: exactly the accepted orders are stored, each in one terminal status, the
 * `rejected` ids REJECTED and no other; one failed-orders record per FAILED order and none for the
 * others; both queues drained; no order left in the in-flight index, whichever write finished it.
 */
export const expectConserved = (ledger: Ledger, accepted: readonly string[], rejected: readonly string[]): void => {
  const { orders, failedRecords, queues, inFlightIndexed } = ledger;
  expect(orders.map((o) => o.orderId).sort()).toEqual([...accepted].sort());
  for (const o of orders) expect(TERMINAL).toContain(o.status);
  expect(
    orders
      .filter((o) => o.status === 'REJECTED')
      .map((o) => o.orderId)
      .sort(),
  ).toEqual([...rejected].sort());
  const failed = orders
    .filter((o) => o.status === 'FAILED')
    .map((o) => o.orderId)
    .sort();
  expect(failedRecords.map((r) => r.orderId).sort()).toEqual(failed);
  expect(queues).toHaveLength(2);
  for (const q of queues) expect(q).toEqual({ QueueUrl: q.QueueUrl, visible: '0', inFlight: '0' });
  expect(inFlightIndexed).toEqual([]);
};

/** Counts of an outcome, for the figures a test prints. */
export const outcomes = (orders: readonly StoredOrder[]) => ({
  FULFILLED: orders.filter((o) => o.status === 'FULFILLED').length,
  REJECTED: orders.filter((o) => o.status === 'REJECTED').length,
  OUT_OF_STOCK: orders.filter((o) => o.failureReason === 'OUT_OF_STOCK').length,
  PROCESSING_ERROR: orders.filter((o) => o.failureReason === 'PROCESSING_ERROR').length,
});
