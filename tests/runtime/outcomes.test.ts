import { DynamoDBClient, UpdateItemCommand, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { orderWorkflow } from '../../components/workflow';
import { makeCodecs, type FulfillmentMessage } from '../../runtime/codecs';
import { recordDeadLetters } from '../../runtime/dlqHandler';
import { IN_FLIGHT_INDEX, IN_FLIGHT_KEY, IN_FLIGHT_SHARDS, inFlightKeyOf } from '../../runtime/inFlightIndex';
import { transientError } from '../../runtime/errors';
import { fulfillBatch, isFulfilled, outcomeScore } from '../../runtime/fulfillment';
import { decodeOrThrow } from '../../runtime/http';
import { makeLogger } from '../../runtime/log';
import { type OrderRecord, type OrderTables, makeOrderTables } from '../../runtime/orders';
import { reconcile, reconcilerTables } from '../../runtime/reconciler';
import { type Dynamo, startDynamo } from '../support/dynamo';
import { sqsRecord } from '../support/events';
import { fakeResources } from '../workflow/fixtures';

const codecs = makeCodecs();
const decode = (body: unknown) => decodeOrThrow(codecs.FulfillmentMessage, body, 'queue message is not an order');

let dynamo: Dynamo;
let tables: OrderTables;
beforeAll(async () => {
  dynamo = await startDynamo();
  tables = makeOrderTables(dynamo.db, dynamo.ordersTable, dynamo.failedOrdersTable);
});
afterAll(async () => dynamo.stop());

let n = 0;
/** An order id whose deterministic outcome at rate 0.7 is `fulfilled`. */
const idWith = (fulfilled: boolean): string => {
  for (;;) {
    const id = `order-${++n}`;
    if (isFulfilled(id, 0.7) === fulfilled) return id;
  }
};
const accepted = async (orderId: string, status: OrderRecord['status'] = 'ACCEPTED') => {
  const created = await tables.createAccepted({
    orderId,
    status,
    customerId: 'CUST-0001',
    items: [{ productId: 'A', quantity: 2 }],
    createdAt: 't0',
    updatedAt: 't0',
  });
  expect(created.created).toBe(true);
};
const message = (orderId: string): FulfillmentMessage => ({ orderId, customerId: 'CUST-0001', items: [{ productId: 'A', quantity: 2 }] });
const get = async (orderId: string) => (await dynamo.db.send(new GetCommand({ TableName: dynamo.ordersTable, Key: { orderId } }))).Item;
const failedRecords = async (orderId: string) =>
  ((await dynamo.db.send(new ScanCommand({ TableName: dynamo.failedOrdersTable }))).Items ?? []).filter((i) => i.orderId === orderId);
const quiet = () => {
  const lines: Record<string, unknown>[] = [];
  return { lines, log: makeLogger('test', 'DEBUG', {}, (l) => lines.push(JSON.parse(l))) };
};
const noFaults = async () => {};
const collect = async <T>(orders: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const o of orders) out.push(o);
  return out;
};

describe('StoreOrder (storePending)', () => {
  it('moves ACCEPTED to PENDING with the total quantity', async () => {
    const id = idWith(true);
    await accepted(id);
    const result = await tables.storePending(
      {
        orderId: id,
        customerId: 'CUST-0001',
        items: [
          { productId: 'A', quantity: 2 },
          { productId: 'B', quantity: 3 },
        ],
        acceptedAt: 't0',
      },
      't1',
    );
    expect(result).toEqual({ outcome: 'STORED', status: 'PENDING', totalQuantity: 5 });
    expect(await get(id)).toMatchObject({ status: 'PENDING', totalQuantity: 5, updatedAt: 't1' });
  });

  it('is idempotent: a repeat finds it stored, a late repeat finds it finished, without a second item', async () => {
    const id = idWith(true);
    await accepted(id);
    const input = { orderId: id, customerId: 'CUST-0001', items: [{ productId: 'A', quantity: 2 }], acceptedAt: 't0' };
    await tables.storePending(input, 't1');
    expect((await tables.storePending(input, 't2')).outcome).toBe('ALREADY_STORED');
    await tables.markFulfilled(id, 't3');
    expect(await tables.storePending(input, 't4')).toEqual({ outcome: 'ALREADY_TERMINAL', status: 'FULFILLED', totalQuantity: 2 });
    expect(await get(id)).toMatchObject({ status: 'FULFILLED', updatedAt: 't3' });
  });

  it('stores an order the api-handler never wrote (an execution started by hand)', async () => {
    const id = idWith(true);
    const r = await tables.storePending(
      { orderId: id, customerId: 'CUST-0001', items: [{ productId: 'A', quantity: 1 }], acceptedAt: 't0' },
      't1',
    );
    expect(r.outcome).toBe('STORED');
    expect(await get(id)).toMatchObject({ status: 'PENDING', createdAt: 't0' });
  });
});

describe('fulfillment', () => {
  it('has a deterministic outcome per order, near the configured rate', () => {
    const ids = Array.from({ length: 10000 }, (_, i) => `id-${i}`);
    const share = ids.filter((id) => isFulfilled(id, 0.7)).length / ids.length;
    expect(share).toBeGreaterThan(0.68);
    expect(share).toBeLessThan(0.72);
    expect(outcomeScore('abc')).toBe(outcomeScore('abc'));
    expect(isFulfilled('abc', 0)).toBe(false);
    expect(isFulfilled('abc', 1)).toBe(true);
  });

  it('fulfils, fails OUT_OF_STOCK with one failed-orders record, and ignores redeliveries', async () => {
    const ok = idWith(true);
    const out = idWith(false);
    for (const id of [ok, out]) {
      await accepted(id);
      await tables.storePending({ ...message(id), acceptedAt: 't0' }, 't1');
    }
    const { lines, log } = quiet();
    const deps = { tables, successRate: 0.7, now: () => 't2', log, inject: noFaults };
    const batch = [sqsRecord(message(ok)), sqsRecord(message(out))];
    expect(await fulfillBatch(batch, decode)(deps)).toEqual({ batchItemFailures: [] });
    expect(await get(ok)).toMatchObject({ status: 'FULFILLED' });
    expect(await get(out)).toMatchObject({ status: 'FAILED', failureReason: 'OUT_OF_STOCK' });
    expect(await failedRecords(out)).toEqual([expect.objectContaining({ failureReason: 'OUT_OF_STOCK', stage: 'FULFILLMENT' })]);
    // Business failure is logged and counted as such.
    expect(lines.find((l) => l.orderId === out && l.failureKind === 'business')).toBeDefined();
    expect(lines.find((l) => l.BusinessFailures === 1)).toBeDefined();

    // A redelivery of both changes nothing and creates no second record.
    expect(await fulfillBatch(batch, decode)({ ...deps, now: () => 't3' })).toEqual({ batchItemFailures: [] });
    expect(await get(ok)).toMatchObject({ status: 'FULFILLED', updatedAt: 't2' });
    expect(await failedRecords(out)).toHaveLength(1);
  });

  it('reports system failures per record so that only those are redelivered', async () => {
    const a = idWith(true);
    const b = idWith(true);
    for (const id of [a, b]) {
      await accepted(id);
      await tables.storePending({ ...message(id), acceptedAt: 't0' }, 't1');
    }
    const { lines, log } = quiet();
    const recA = sqsRecord(message(a));
    const recB = sqsRecord(message(b));
    const garbage = sqsRecord('{"not":"an order"}');
    const inject = async () => {
      if (lines.length === 0) throw transientError('injected fault in fulfillment');
    };
    const res = await fulfillBatch([recA, garbage, recB], decode)({ tables, successRate: 0.7, now: () => 't2', log, inject });
    expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([recA.messageId, garbage.messageId]);
    expect(await get(a)).toMatchObject({ status: 'PENDING' });
    expect(await get(b)).toMatchObject({ status: 'FULFILLED' });
    const systemLines = lines.filter((l) => l.failureKind === 'system');
    expect(systemLines).toHaveLength(2);
    expect(systemLines[1].message).toContain('system failure');
    // Each system failure line carries the error's stack, and each is counted.
    expect(systemLines.every((l) => typeof l.stack === 'string' && l.stack.length > 0)).toBe(true);
    expect(lines.filter((l) => l.SystemFailures === 1)).toHaveLength(2);
  });

  it('throws when every record of the batch fails, so that Lambda counts an error (and redelivers them all)', async () => {
    const { log } = quiet();
    const recs = [sqsRecord('{"not":"an order"}'), sqsRecord('nor this')];
    const run = fulfillBatch(recs, decode)({ tables, successRate: 0.7, now: () => 't2', log, inject: noFaults });
    await expect(run).rejects.toMatchObject({ name: 'FullBatchFailureError', message: expect.stringContaining('all 2 messages') });
  });

  it('records a message that names no known order, with its own reason, and does not redeliver it', async () => {
    const { lines, log } = quiet();
    const ghost = idWith(true);
    const rec = sqsRecord(message(ghost));
    const res = await fulfillBatch([rec], decode)({ tables, successRate: 0.7, now: () => 't2', log, inject: noFaults });
    expect(res).toEqual({ batchItemFailures: [] });
    expect(await failedRecords(`unknown-order#${rec.messageId}`)).toEqual([
      expect.objectContaining({ failureReason: 'UNKNOWN_ORDER', stage: 'FULFILLMENT', namedOrderId: ghost }),
    ]);
    expect(await get(ghost)).toBeUndefined();
    expect(lines.filter((l) => l.UnknownOrderMessages === 1)).toHaveLength(1);
  });
});

describe('dlq-handler', () => {
  it('marks the order FAILED with PROCESSING_ERROR and writes one failed-orders record, idempotently', async () => {
    const id = idWith(true);
    await accepted(id);
    await tables.storePending({ ...message(id), acceptedAt: 't0' }, 't1');
    const { log } = quiet();
    const deps = { tables, now: () => 't9', log, inject: noFaults };
    const rec = sqsRecord(message(id), 3);
    expect(await recordDeadLetters([rec], decode)(deps)).toEqual({ batchItemFailures: [] });
    expect(await recordDeadLetters([rec], decode)(deps)).toEqual({ batchItemFailures: [] });
    expect(await get(id)).toMatchObject({ status: 'FAILED', failureReason: 'PROCESSING_ERROR' });
    expect(await failedRecords(id)).toEqual([expect.objectContaining({ failureReason: 'PROCESSING_ERROR', stage: 'DEAD_LETTER' })]);
  });

  it('leaves an order that finished meanwhile as it is', async () => {
    const id = idWith(true);
    await accepted(id);
    await tables.storePending({ ...message(id), acceptedAt: 't0' }, 't1');
    await tables.markFulfilled(id, 't2');
    const { log } = quiet();
    await recordDeadLetters([sqsRecord(message(id))], decode)({ tables, now: () => 't9', log, inject: noFaults });
    expect(await get(id)).toMatchObject({ status: 'FULFILLED' });
    expect(await failedRecords(id)).toEqual([]);
  });

  it('completes the record of an order FAILED out of stock whose record write failed on the message last receive', async () => {
    // Given fulfillment wrote FAILED (OUT_OF_STOCK) and its failed-orders write failed: the message then dead-lettered
    const id = idWith(false);
    await accepted(id);
    await tables.storePending({ ...message(id), acceptedAt: 't0' }, 't1');
    const { lines, log } = quiet();
    const halfFailing = {
      ...tables,
      markFailed: async (r: Parameters<typeof tables.markFailed>[0]) => {
        await dynamo.db.send(
          new UpdateCommand({
            TableName: dynamo.ordersTable,
            Key: { orderId: id },
            UpdateExpression: 'SET #s = :f, failureReason = :r REMOVE inFlight',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: { ':f': 'FAILED', ':r': r.failureReason },
          }),
        );
        return true;
      },
    };
    await halfFailing.markFailed({
      orderId: id,
      customerId: 'CUST-0001',
      failureReason: 'OUT_OF_STOCK',
      stage: 'FULFILLMENT',
      items: '[]',
      failedAt: 't2',
    });
    expect(await failedRecords(id)).toEqual([]);
    // When the dlq-handler gets the dead letter, twice
    await recordDeadLetters([sqsRecord(message(id))], decode)({ tables, now: () => 't9', log, inject: noFaults });
    await recordDeadLetters([sqsRecord(message(id))], decode)({ tables, now: () => 't9', log, inject: noFaults });
    // Then the order keeps its reason and has exactly one record, with it
    expect(await get(id)).toMatchObject({ status: 'FAILED', failureReason: 'OUT_OF_STOCK' });
    expect(await failedRecords(id)).toEqual([expect.objectContaining({ failureReason: 'OUT_OF_STOCK', error: 'MissingRecord' })]);
    expect(lines.filter((l) => l.outcome === 'RECORD_COMPLETED')).toHaveLength(1);
  });

  it('records a message that names no order instead of losing it', async () => {
    const { log } = quiet();
    const rec = sqsRecord('not json at all');
    await recordDeadLetters([rec], decode)({ tables, now: () => 't9', log, inject: noFaults });
    expect(await failedRecords(`unreadable#${rec.messageId}`)).toEqual([
      expect.objectContaining({ failureReason: 'UNREADABLE_MESSAGE', error: 'UnreadableMessage' }),
    ]);
  });

  it('records a dead letter that names no known order, with its own reason', async () => {
    const { log } = quiet();
    const ghost = idWith(false);
    const rec = sqsRecord(message(ghost), 3);
    expect(await recordDeadLetters([rec], decode)({ tables, now: () => 't9', log, inject: noFaults })).toEqual({ batchItemFailures: [] });
    expect(await failedRecords(`unknown-order#${rec.messageId}`)).toEqual([
      expect.objectContaining({ failureReason: 'UNKNOWN_ORDER', stage: 'DEAD_LETTER', namedOrderId: ghost }),
    ]);
  });

  it('keeps a dead letter it could not record on the DLQ, and throws when it could record none', async () => {
    const { lines, log } = quiet();
    const failingId = idWith(true);
    const failing = sqsRecord(message(failingId));
    const fine = sqsRecord('not json');
    let calls = 0;
    const inject = async () => {
      if (calls++ === 0) throw transientError('injected');
    };
    expect(await recordDeadLetters([failing, fine], decode)({ tables, now: () => 't9', log, inject })).toEqual({
      batchItemFailures: [{ itemIdentifier: failing.messageId }],
    });
    // The failure's line names the order the dead letter carries, so that `ops status` finds it.
    expect(lines.find((l) => l.message === 'could not record the dead letter; it stays on the DLQ')).toMatchObject({
      orderId: failingId,
      messageId: failing.messageId,
    });
    const always = async () => {
      throw transientError('injected');
    };
    await expect(recordDeadLetters([failing], decode)({ tables, now: () => 't9', log, inject: always })).rejects.toMatchObject({
      name: 'FullBatchFailureError',
    });
  });
});

describe('the reconciler against the orders table', () => {
  it('finds orders ACCEPTED or PENDING since before the bound, claims each once, and gives up after its attempts', async () => {
    const stuck = idWith(true);
    const pending = idWith(true);
    const finished = idWith(true);
    for (const id of [stuck, pending, finished]) await accepted(id);
    await tables.storePending({ ...message(pending), acceptedAt: 't0' }, 't0');
    await tables.storePending({ ...message(finished), acceptedAt: 't0' }, 't0');
    await tables.markFulfilled(finished, 't0');
    const found = (await collect(tables.stuckOrders('t1'))).map((o) => o.orderId);
    expect(found).toEqual(expect.arrayContaining([stuck, pending]));
    expect(found).not.toContain(finished);
    // A claim holds only while the order is as it was read; a second claim of the same read loses.
    const [seen] = (await collect(tables.stuckOrders('t1'))).filter((o) => o.orderId === stuck);
    expect(await tables.claimRedrive(seen, 't5')).toBe(true);
    expect(await tables.claimRedrive(seen, 't6')).toBe(false);
    expect(await get(stuck)).toMatchObject({ status: 'ACCEPTED', redriveAttempts: 1, updatedAt: 't5' });
    expect((await collect(tables.stuckOrders('t1'))).map((o) => o.orderId)).not.toContain(stuck);

    const { log } = quiet();
    const report = await reconcile({ stuckAfterMs: 0, maxAttempts: 1 })({
      ...reconcilerTables(tables),
      stuckOrders: async function* () {
        for await (const o of tables.stuckOrders('t9')) if (o.orderId === stuck) yield o;
      },
      startExecution: async () => undefined,
      sendMessage: async () => undefined,
      now: () => new Date('2026-12-04T12:00:00Z'),
      log,
    });
    expect(report.actions).toEqual([{ orderId: stuck, status: 'ACCEPTED', action: 'GAVE_UP', attempt: 2 }]);
    expect(await get(stuck)).toMatchObject({ status: 'FAILED', failureReason: 'PROCESSING_ERROR' });
    expect(await failedRecords(stuck)).toEqual([expect.objectContaining({ stage: 'RECONCILER', error: 'StuckOrder' })]);
  });
});

describe('the in-flight index', () => {
  // A DynamoDB of its own: what the index holds is asserted whole.
  let own: Dynamo;
  let t: OrderTables;
  beforeAll(async () => {
    own = await startDynamo();
    t = makeOrderTables(own.db, own.ordersTable, own.failedOrdersTable);
  });
  afterAll(async () => own.stop());

  const failedRecordsIn = async (orderId: string) =>
    ((await own.db.send(new ScanCommand({ TableName: own.failedOrdersTable }))).Items ?? []).filter((i) => i.orderId === orderId);

  /** Every order id the index holds, read from the index itself (not through stuckOrders, which filters). */
  const indexed = async (): Promise<string[]> =>
    ((await own.db.send(new ScanCommand({ TableName: own.ordersTable, IndexName: IN_FLIGHT_INDEX }))).Items ?? [])
      .map((i) => i.orderId as string)
      .sort();
  const order = (orderId: string, updatedAt: string): OrderRecord => ({
    orderId,
    status: 'ACCEPTED',
    customerId: 'CUST-0001',
    items: [{ productId: 'A', quantity: 1 }],
    createdAt: updatedAt,
    updatedAt,
    requestHash: 'not projected',
  });
  const failure = (orderId: string) => ({
    orderId,
    customerId: 'CUST-0001',
    failureReason: 'PROCESSING_ERROR' as const,
    stage: 'RECONCILER' as const,
    items: '[]',
    failedAt: 't9',
  });
  /** The workflow's own writes of an order's status and of its in-flight key: its DynamoDB UpdateItem tasks on the orders table. */
  const workflowStatusWrites = Object.entries(
    orderWorkflow(fakeResources).render({ logging: false, tracing: false }).definition.States as Record<
      string,
      { Resource?: string; Parameters?: { TableName?: string; UpdateExpression?: string } }
    >,
  ).filter(
    ([, st]) =>
      st.Resource === 'arn:aws:states:::dynamodb:updateItem' &&
      st.Parameters?.TableName === fakeResources.ordersTable.name &&
      /#status = |REMOVE #inFlight/.test(st.Parameters.UpdateExpression ?? ''),
  );
  /** One of them run as Step Functions runs it, every path given a value. */
  const runTask = async ([, st]: (typeof workflowStatusWrites)[number], orderId: string) => {
    const concrete = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(concrete)
        : v !== null && typeof v === 'object'
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => (k.endsWith('.$') ? [k.slice(0, -2), 'x'] : [k, concrete(x)])))
          : v;
    const request = concrete(st.Parameters) as UpdateItemCommandInput;
    await own.db.send(new UpdateItemCommand({ ...request, TableName: own.ordersTable, Key: { orderId: { S: orderId } } }));
  };

  it('holds the orders ACCEPTED or PENDING and no terminal one, whichever write finished it', async () => {
    // (the workflow's: RecordRejection, and each stage's failure route: Mark<Stage>Failure, then, once its record is
    // written, Unlist<Stage>Failure)
    expect(workflowStatusWrites.map(([name]) => name).sort()).toEqual([
      'MarkQueueFailure',
      'MarkStorageFailure',
      'MarkValidationFailure',
      'RecordRejection',
      'UnlistQueueFailure',
      'UnlistStorageFailure',
      'UnlistValidationFailure',
    ]);
    const ends: Record<string, string[]> = { 'wf-RecordRejection': ['RecordRejection'] };
    for (const stage of ['Validation', 'Storage', 'Queue']) ends[`wf-${stage}`] = [`Mark${stage}Failure`, `Unlist${stage}Failure`];
    const byWorkflow = Object.keys(ends);
    for (const id of ['accepted', 'pending', 'fulfilled', 'failed', ...byWorkflow]) {
      await t.createAccepted(order(id, '2026-01-01T00:00:00.000Z'));
    }
    for (const id of ['pending', 'fulfilled']) {
      await t.storePending({ ...message(id), acceptedAt: 't0' }, '2026-01-01T00:00:01.000Z');
    }
    expect(await indexed()).toEqual(['accepted', 'failed', 'fulfilled', 'pending', ...byWorkflow].sort());
    // When each is finished by a write of its own: fulfilment, a give-up, and each of the workflow's ends
    await t.markFulfilled('fulfilled', 't2');
    await t.markFailed(failure('failed'), ['ACCEPTED']);
    for (const [id, tasks] of Object.entries(ends)) {
      for (const name of tasks)
        await runTask(
          workflowStatusWrites.find(([n]) => n === name)!,
          id,
        );
    }
    // Then the index holds only the two in flight, and the finished orders keep their data but not the key
    expect(await indexed()).toEqual(['accepted', 'pending']);
    for (const [id, status] of [
      ['fulfilled', 'FULFILLED'],
      ['failed', 'FAILED'],
      ['wf-RecordRejection', 'REJECTED'],
      ['wf-Queue', 'FAILED'],
      ['wf-Storage', 'FAILED'],
      ['wf-Validation', 'FAILED'],
    ]) {
      const item = (await own.db.send(new GetCommand({ TableName: own.ordersTable, Key: { orderId: id } }))).Item;
      expect({ id, status: item?.status, key: item?.[IN_FLIGHT_KEY] }).toEqual({ id, status, key: undefined });
    }
    // and an order stored without the api-handler's write (an execution started by hand) is in it too
    await t.storePending({ ...message('by-hand'), acceptedAt: 't0' }, 't1');
    expect(await indexed()).toContain('by-hand');
  });

  it('keeps a FAILED order whose record was not written in the index, and the next reconciler run records it and takes it out', async () => {
    // tests/model/counterexamples.md, failure-route-record: the workflow's failure route ended after its FAILED write
    // (the execution's timeout, or its record write failing for good); and a reconciler giving up whose record write
    // failed (the failed-orders table refuses writes here: a table that does not exist).
    await t.createAccepted(order('half-route', '2026-02-01T00:00:00.000Z'));
    await runTask(
      workflowStatusWrites.find(([n]) => n === 'MarkStorageFailure')!,
      'half-route',
    );
    await t.createAccepted(order('half-giveup', '2026-02-01T00:00:00.000Z'));
    const refusing = makeOrderTables(own.db, own.ordersTable, 'no-such-table');
    await expect(refusing.markFailed(failure('half-giveup'), ['ACCEPTED'], { unlistAfterRecord: true })).rejects.toThrow();
    const ids = ['half-giveup', 'half-route'];
    expect((await indexed()).filter((id) => ids.includes(id))).toEqual(ids);
    for (const id of ids) expect(await failedRecordsIn(id)).toEqual([]);

    const { log } = quiet();
    const run = () =>
      reconcile({ stuckAfterMs: 0, maxAttempts: 3 })({
        ...reconcilerTables(t),
        // (every one of them: their updatedAt is the tasks' placeholder 'x' and the give-up's 't9')
        stuckOrders: async function* () {
          for await (const o of t.stuckOrders('zzz')) if (ids.includes(o.orderId)) yield o;
        },
        startExecution: async () => undefined,
        sendMessage: async () => undefined,
        now: () => new Date('2026-12-04T12:00:00Z'),
        log,
      });
    const report = await run();
    expect(report.actions.map((a) => [a.orderId, a.action]).sort()).toEqual([
      ['half-giveup', 'COMPLETED_FAILURE'],
      ['half-route', 'COMPLETED_FAILURE'],
    ]);
    expect((await indexed()).filter((id) => ids.includes(id))).toEqual([]);
    // One record each, with the stage the FAILED write named, and the status left as it was
    expect(await failedRecordsIn('half-route')).toEqual([expect.objectContaining({ failureReason: 'PROCESSING_ERROR', stage: 'STORAGE' })]);
    expect(await failedRecordsIn('half-giveup')).toEqual([
      expect.objectContaining({ failureReason: 'PROCESSING_ERROR', stage: 'RECONCILER' }),
    ]);
    for (const id of ids) expect((await t.get(id))?.status).toBe('FAILED');
    // and a second run finds nothing more to do
    expect((await run()).actions).toEqual([]);
  });

  it('reads the stuck orders of every shard, oldest first, page by page, and none newer than the bound', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `stuck-${String(i).padStart(2, '0')}`);
    // Created newest first, so that neither the table's order nor the shards' happens to be the age order
    for (const [i, id] of [...ids.entries()].reverse())
      await t.createAccepted(order(id, `2027-01-01T00:00:${String(i).padStart(2, '0')}.000Z`));
    await t.createAccepted(order('recent', '2027-01-01T00:01:00.000Z'));
    expect(new Set(ids.map(inFlightKeyOf)).size).toBeGreaterThan(IN_FLIGHT_SHARDS / 2);
    const read = (await collect(t.stuckOrders('2027-01-01T00:00:59.999Z', 2))).filter((o) => o.orderId.startsWith('stuck-'));
    expect(read.map((o) => o.orderId)).toEqual(ids);
    // (the index's own key and what the reconciler reads; not the request hash, which it does not)
    expect(read[0]).toEqual({
      orderId: 'stuck-00',
      inFlight: inFlightKeyOf('stuck-00'),
      status: 'ACCEPTED',
      customerId: 'CUST-0001',
      items: [{ productId: 'A', quantity: 1 }],
      createdAt: '2027-01-01T00:00:00.000Z',
      updatedAt: '2027-01-01T00:00:00.000Z',
    });
    expect((await collect(t.stuckOrders('2027-01-01T00:01:00.001Z'))).map((o) => o.orderId)).toContain('recent');
  });

  it('reads a page only when the orders read so far are used up: a consumer that stops, stops the paging', async () => {
    const queries: string[] = [];
    const client = new DynamoDBClient({
      endpoint: own.endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'QueryCommand') queries.push(context.commandName);
        return next(args);
      },
      { step: 'initialize' },
    );
    const c = makeOrderTables(DynamoDBDocumentClient.from(client), own.ordersTable, own.failedOrdersTable);
    await collect(c.stuckOrders('2027-01-01T00:00:59.999Z', 2));
    const all = queries.length;
    queries.length = 0;
    for await (const o of c.stuckOrders('2027-01-01T00:00:59.999Z', 2)) if (o.orderId === 'stuck-02') break;
    // (one first page per shard, then a page now and then)
    expect(queries.length).toBeGreaterThanOrEqual(IN_FLIGHT_SHARDS);
    expect(queries.length).toBeLessThan(all);
    client.destroy();
  });

  it('never reads a terminal order as in flight, even one that kept its key', async () => {
    await t.createAccepted(order('kept-key', '2026-06-01T00:00:00.000Z'));
    // A terminal status written without removing the key (no DOFS write does this)
    await own.db.send(
      new UpdateItemCommand({
        TableName: own.ordersTable,
        Key: { orderId: { S: 'kept-key' } },
        UpdateExpression: 'SET #s = :f',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':f': { S: 'FULFILLED' } },
      }),
    );
    expect(await indexed()).toContain('kept-key');
    expect((await collect(t.stuckOrders('2026-12-31T00:00:00.000Z'))).map((o) => o.orderId)).not.toContain('kept-key');
  });
});
