/**
 * Conservation over 500 orders: every accepted order ends in exactly one terminal status, every FAILED
 * order has exactly one failed-orders record, and both queues are empty at the end. Faults are on, so
 * retries, redeliveries and the DLQ all take part.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { GetQueueAttributesCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type RunningCloud, http, postOrder, startCloud, waitUntil } from '../support/localCloud';

const ORDERS = 500;
const CONCURRENCY = 16;
const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
let cloud: RunningCloud;

beforeAll(async () => {
  cloud = await startCloud(['--config', `faults=${JSON.stringify({ fulfillment: { errorRate: 0.25 }, storeOrder: { errorRate: 0.2 } })}`]);
});
afterAll(async () => {
  await cloud?.stop();
});

const scanAll = async (db: DynamoDBDocumentClient, table: string) => {
  const items: Record<string, any>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
};

it(`conserves ${ORDERS} orders: one terminal status each, one failed-orders record per FAILED, empty queues`, async () => {
  // Given a mix of valid orders and tier-2 rejections
  const bodies = Array.from({ length: ORDERS }, (_, i) =>
    i % 10 === 0
      ? { customerId: `bad-${i}`, items: [{ productId: 'A', quantity: 1 }] }
      : { customerId: `CUST-${String(10000 + i)}`, items: [{ productId: `SKU-${i}`, quantity: 1 + (i % 5) }] },
  );
  // When they are all posted, 16 at a time
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        const res = await postOrder(cloud.url, body);
        expect(res.status).toBe(202);
        ids.push(res.body.orderId);
      }
    }),
  );
  expect(new Set(ids).size).toBe(ORDERS);

  // Then every one reaches a terminal status: however long that takes here, only the hang guard bounds it
  const statuses = new Map<string, any>();
  await waitUntil(
    () => `every order terminal (${statuses.size} of ${ids.length} were)`,
    async () => {
      for (const id of ids) {
        if (statuses.has(id)) continue;
        const res = await http(`${cloud.url}/orders/${id}`);
        if (['REJECTED', 'FULFILLED', 'FAILED'].includes(res.body.status)) statuses.set(id, res.body);
      }
      return statuses.size === ids.length;
    },
    250,
  );

  // (the dlq-handler writes the failed-orders record and the status one after the other, and a message is
  // deleted after its function returns: wait for both to settle before checking them)
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: cloud.dynamoEndpoint, region: 'eu-west-1', credentials }));
  const orders = await scanAll(db, 'dofs-orders');
  const failedCount = orders.filter((o) => o.status === 'FAILED').length;
  let failedRecords: Record<string, any>[] = [];
  await waitUntil(
    () => `a failed-orders record for each of the ${failedCount} FAILED orders (${failedRecords.length} were there)`,
    async () => (failedRecords = await scanAll(db, 'dofs-failed-orders')).length >= failedCount,
    250,
  );
  // exactly the accepted orders, each in exactly one terminal status
  expect(orders.map((o) => o.orderId).sort()).toEqual([...ids].sort());
  for (const o of orders) expect(['REJECTED', 'FULFILLED', 'FAILED']).toContain(o.status);
  const count = (status: string) => orders.filter((o) => o.status === status).length;
  expect(count('REJECTED')).toBe(ORDERS / 10);
  // exactly one failed-orders record per FAILED order, and none for the others
  const failed = orders
    .filter((o) => o.status === 'FAILED')
    .map((o) => o.orderId)
    .sort();
  expect(failedRecords.map((r) => r.orderId).sort()).toEqual(failed);
  // the business outcome and the DLQ both took part
  expect(orders.filter((o) => o.failureReason === 'OUT_OF_STOCK').length).toBeGreaterThan(0);
  expect(orders.filter((o) => o.failureReason === 'PROCESSING_ERROR').length).toBeGreaterThan(0);
  expect(count('FULFILLED')).toBeGreaterThan(0);

  // and both queues are empty
  const sqs = new SQSClient({ endpoint: cloud.sqsEndpoint, region: 'eu-west-1', credentials });
  const { QueueUrls = [] } = await sqs.send(new ListQueuesCommand({}));
  expect(QueueUrls).toHaveLength(2);
  const depths = async () =>
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
  const empty = QueueUrls.map((QueueUrl) => ({ QueueUrl, visible: '0', inFlight: '0' }));
  let last: Awaited<ReturnType<typeof depths>> = [];
  await waitUntil(
    () => `both queues empty (last seen ${JSON.stringify(last)})`,
    async () => JSON.stringify((last = await depths())) === JSON.stringify(empty),
    250,
  ).catch(() => undefined); // the expectation below reports what was left
  expect(last).toEqual(empty);
  console.log(
    `conservation: ${ORDERS} orders: ${count('FULFILLED')} FULFILLED, ${count('REJECTED')} REJECTED, ` +
      `${orders.filter((o) => o.failureReason === 'OUT_OF_STOCK').length} OUT_OF_STOCK, ${orders.filter((o) => o.failureReason === 'PROCESSING_ERROR').length} PROCESSING_ERROR`,
  );
});
