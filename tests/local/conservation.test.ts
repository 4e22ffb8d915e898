/**
 * Conservation over 500 orders: every accepted order ends in exactly one terminal status, every FAILED
 * order has exactly one failed-orders record, and both queues are empty at the end. Faults are on, so
 * retries, redeliveries and the DLQ all take part.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { GetQueueAttributesCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type RunningCloud, http, postOrder, startCloud } from '../support/localCloud';

const ORDERS = 500;
const CONCURRENCY = 16;
const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
let cloud: RunningCloud;

beforeAll(async () => {
  cloud = await startCloud(['--config', `faults=${JSON.stringify({ fulfillment: { errorRate: 0.25 }, storeOrder: { errorRate: 0.2 } })}`]);
}, 60000);
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

  // Then every one reaches a terminal status
  const statuses = new Map<string, any>();
  const deadline = Date.now() + 60000;
  while (statuses.size < ids.length && Date.now() < deadline) {
    for (const id of ids) {
      if (statuses.has(id)) continue;
      const res = await http(`${cloud.url}/orders/${id}`);
      if (['REJECTED', 'FULFILLED', 'FAILED'].includes(res.body.status)) statuses.set(id, res.body);
    }
    if (statuses.size < ids.length) await new Promise((r) => setTimeout(r, 250));
  }
  expect(statuses.size).toBe(ORDERS);

  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: cloud.dynamoEndpoint, region: 'eu-west-1', credentials }));
  const orders = await scanAll(db, 'dofs-orders');
  const failedRecords = await scanAll(db, 'dofs-failed-orders');
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
  for (const QueueUrl of QueueUrls) {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    expect({
      QueueUrl,
      visible: Attributes.ApproximateNumberOfMessages,
      inFlight: Attributes.ApproximateNumberOfMessagesNotVisible,
    }).toEqual({
      QueueUrl,
      visible: '0',
      inFlight: '0',
    });
  }
  console.log(
    `conservation: ${ORDERS} orders: ${count('FULFILLED')} FULFILLED, ${count('REJECTED')} REJECTED, ` +
      `${orders.filter((o) => o.failureReason === 'OUT_OF_STOCK').length} OUT_OF_STOCK, ${orders.filter((o) => o.failureReason === 'PROCESSING_ERROR').length} PROCESSING_ERROR`,
  );
}, 120000);
