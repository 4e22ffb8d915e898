/**
 * The local cloud's tables (local/tables.ts) in dynalite, in this process: made as the program declares them,
 * indexes included, and a table kept from an earlier `--persist` run given the index declared since, its
 * items kept and indexed as AWS backfills a new index; an index a crash left out of step with its items is told
 * from one that agrees with them.
 */
import type * as http from 'http';
import type { AddressInfo } from 'net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { FAILED_ORDERS_KEYS, ORDERS_KEYS, tableKeyArgs } from '../../components/orderStore';
import { createTableInput, ensureTables, indexDrift, missingIndexes } from '../../local/tables';
import { IN_FLIGHT_INDEX } from '../../runtime/inFlightIndex';

let server: http.Server;
let ddb: DynamoDBClient;
beforeAll(async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- dynalite has no types
  const dynalite = require('dynalite') as (o: object) => http.Server;
  // As the local cloud runs it (local/dynamoWorker.js): a deleted table stays DELETING for a while.
  server = dynalite({ createTableMs: 0 });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  ddb = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});
afterAll(async () => {
  ddb.destroy();
  await new Promise((r) => server.close(r));
});

const orders = tableKeyArgs(ORDERS_KEYS);
const describe_ = async (name: string) => (await ddb.send(new DescribeTableCommand({ TableName: name }))).Table!;
const ids = async (name: string, index?: string) =>
  ((await ddb.send(new ScanCommand({ TableName: name, IndexName: index }))).Items ?? []).map((i) => i.orderId.S).sort();

it('makes a declared table with its global secondary index, on demand', async () => {
  expect(await ensureTables(ddb, [{ name: 'fresh-orders', inputs: orders }])).toEqual([]);
  const table = await describe_('fresh-orders');
  expect(table.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
  expect(table.GlobalSecondaryIndexes?.map((i) => ({ name: i.IndexName, keys: i.KeySchema, projection: i.Projection }))).toEqual([
    {
      name: IN_FLIGHT_INDEX,
      keys: [
        { AttributeName: 'inFlight', KeyType: 'HASH' },
        { AttributeName: 'updatedAt', KeyType: 'RANGE' },
      ],
      projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['status', 'customerId', 'items', 'createdAt', 'redriveAttempts'] },
    },
  ]);
  // ...and keeps it as it is when started again
  expect(await ensureTables(ddb, [{ name: 'fresh-orders', inputs: orders }])).toEqual([]);
});

it('gives a table kept from an earlier run the index it lacks, keeping its items, and indexing those with its key', async () => {
  // Given the orders table as an earlier version made it, without the index, and its items
  await ddb.send(new CreateTableCommand(createTableInput('kept-orders', tableKeyArgs(FAILED_ORDERS_KEYS))));
  expect(missingIndexes(createTableInput('kept-orders', orders), (await describe_('kept-orders')).GlobalSecondaryIndexes ?? [])).toEqual([
    IN_FLIGHT_INDEX,
  ]);
  const item = (orderId: string, inFlight?: string) => ({
    orderId: { S: orderId },
    status: { S: inFlight ? 'PENDING' : 'FULFILLED' },
    updatedAt: { S: '2026-01-01T00:00:00.000Z' },
    ...(inFlight ? { inFlight: { S: inFlight } } : {}),
  });
  for (let n = 0; n < 30; n++)
    await ddb.send(new PutItemCommand({ TableName: 'kept-orders', Item: item(`o-${n}`, n < 3 ? 'IN_FLIGHT#0' : undefined) }));
  // When the local cloud starts with it
  const notes = await ensureTables(ddb, [{ name: 'kept-orders', inputs: orders }]);
  // Then it has the index, every item, and in the index the items with its key only (sparse)
  expect(notes).toEqual([`kept-orders: index ${IN_FLIGHT_INDEX} added to the kept table (30 items indexed again)`]);
  expect((await describe_('kept-orders')).GlobalSecondaryIndexes?.map((i) => i.IndexName)).toEqual([IN_FLIGHT_INDEX]);
  expect(await ids('kept-orders')).toHaveLength(30);
  expect(await ids('kept-orders', IN_FLIGHT_INDEX)).toEqual(['o-0', 'o-1', 'o-2']);
  expect(await ensureTables(ddb, [{ name: 'kept-orders', inputs: orders }])).toEqual([]);
});

it('takes an index with other keys or another projection for one it lacks', () => {
  const wanted = createTableInput('t', orders);
  const [declared] = wanted.GlobalSecondaryIndexes!;
  expect(missingIndexes(wanted, [declared])).toEqual([]);
  expect(missingIndexes(wanted, [{ ...declared, Projection: { ProjectionType: 'ALL' } }])).toEqual([IN_FLIGHT_INDEX]);
  expect(missingIndexes(wanted, [{ ...declared, KeySchema: [{ AttributeName: 'status', KeyType: 'HASH' }] }])).toEqual([IN_FLIGHT_INDEX]);
});

describe('an index out of step with its items (dynalite writes the index entries, then the item)', () => {
  const [index] = createTableInput('t', orders).GlobalSecondaryIndexes!;
  const item = (orderId: string, status: string, updatedAt: string, extra: Record<string, { S: string }> = {}) => ({
    orderId: { S: orderId },
    status: { S: status },
    updatedAt: { S: updatedAt },
    inFlight: { S: 'IN_FLIGHT#3' },
    customerId: { S: 'CUST-0001' },
    ...extra,
  });
  // What the index holds of an item: its keys and the projected attributes, not the rest
  const entry = (i: ReturnType<typeof item>) => ({
    orderId: i.orderId,
    status: i.status,
    updatedAt: i.updatedAt,
    inFlight: i.inFlight,
    customerId: i.customerId,
  });
  const accepted = item('o-1', 'ACCEPTED', 't0', { requestHash: { S: 'not projected' } });

  it('agrees with the items it was written from, the sparse ones left out', () => {
    const finished = { orderId: { S: 'o-2' }, status: { S: 'FULFILLED' }, updatedAt: { S: 't1' } };
    expect(indexDrift([accepted, finished], [entry(accepted)], index, ['orderId'])).toBe(0);
  });

  it("counts an entry of a write whose item never landed (killed between the two), and an item's missing entry", () => {
    // The ACCEPTED → PENDING write that crashed: its index entry is there, the item is still ACCEPTED
    const pendingEntry = entry(item('o-1', 'PENDING', 't1'));
    expect(indexDrift([accepted], [pendingEntry], index, ['orderId'])).toBe(2);
    expect(indexDrift([accepted], [], index, ['orderId'])).toBe(1);
    expect(indexDrift([], [entry(accepted)], index, ['orderId'])).toBe(1);
  });
});
