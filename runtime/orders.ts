import { type DynamoDBDocumentClient, DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { FailureReason, OrderItem, OrderStatus, RejectionReason, StorageResult } from './codecs';
import { classifyAwsError, transientError } from './errors';
import {
  type IN_FLIGHT_PROJECTION,
  IN_FLIGHT_INDEX,
  IN_FLIGHT_KEY,
  IN_FLIGHT_SHARD_KEYS,
  IN_FLIGHT_SORT_KEY,
  IN_FLIGHT_STATUSES,
  inFlightKeyOf,
} from './inFlightIndex';

/**
 * The orders and failed-orders tables, as the functions use them. Every status change is a conditional
 * write, so statuses never go backwards and a repeated delivery changes nothing. (No transactions: each
 * two-step change is ordered so that a retry completes it, which also runs on emulators without them.)
 * Every write that makes an order ACCEPTED or PENDING sets its in-flight key, every write that makes it terminal
 * removes it: the in-flight index (runtime/inFlightIndex.ts) holds exactly the orders in flight.
 */

/** An item of the orders table. */
export interface OrderRecord {
  readonly orderId: string;
  readonly status: OrderStatus;
  readonly customerId: string;
  readonly items: readonly OrderItem[];
  readonly createdAt: string;
  readonly updatedAt: string;
  /** sha-256 of the request body, for Idempotency-Key replays. */
  readonly requestHash?: string;
  /** Set once StartExecution has succeeded for this order. */
  readonly workflowStarted?: boolean;
  /** Until when the request that holds the start of this order's workflow may still be starting it (ISO time). */
  readonly startLeaseUntil?: string;
  readonly totalQuantity?: number;
  /** JSON of the rejection reasons (written by the workflow's RecordRejection state). */
  readonly reasons?: string;
  readonly failureReason?: FailureReason;
  /** Where it failed, when the workflow's failure route or the reconciler wrote FAILED: the stage of its failed-orders record. */
  readonly failureStage?: FailedOrderRecord['stage'];
  /** How many times the reconciler re-drove it (runtime/reconciler.ts). */
  readonly redriveAttempts?: number;
  /** The in-flight index's key (runtime/inFlightIndex.ts): present while ACCEPTED or PENDING, and FAILED until its record is written. */
  readonly inFlight?: string;
}

/** An order as the in-flight index holds it: the table's key, the index's sort key and the projected attributes. */
export type InFlightRecord = Pick<OrderRecord, 'orderId' | 'updatedAt' | (typeof IN_FLIGHT_PROJECTION)[number]>;

/** Items a page of the in-flight index holds at most: a run that stops for time has read little it did not use. */
export const STUCK_PAGE_SIZE = 100;

/** An item of the failed-orders table: one per FAILED order. */
export interface FailedOrderRecord {
  readonly orderId: string;
  readonly customerId: string;
  readonly failureReason: FailureReason;
  readonly stage: 'FULFILLMENT' | 'DEAD_LETTER' | 'VALIDATION' | 'STORAGE' | 'QUEUE' | 'RECONCILER';
  readonly error?: string;
  readonly cause?: string;
  readonly items: string;
  readonly failedAt: string;
}

/**
 * A failed-orders record of a queue message that is no order's: keyed by the message (`unreadable#<id>`,
 * `unknown-order#<id>`), with a reason of its own, so that no message is ever dropped without a record.
 */
export interface MessageRecord extends Omit<FailedOrderRecord, 'failureReason'> {
  readonly failureReason: 'UNREADABLE_MESSAGE' | 'UNKNOWN_ORDER';
  /** The order id the message named, when it named one. */
  readonly namedOrderId?: string;
}

export const TERMINAL_STATUSES: readonly OrderStatus[] = ['REJECTED', 'FULFILLED', 'FAILED'];

const isConditionFailure = (e: unknown) => (e as { name?: string })?.name === 'ConditionalCheckFailedException';

/** `order` with its in-flight key when its status is ACCEPTED or PENDING. */
const withInFlightKey = (order: OrderRecord): OrderRecord =>
  IN_FLIGHT_STATUSES.includes(order.status) ? { ...order, inFlight: inFlightKeyOf(order.orderId) } : order;

/** Older first: by `updatedAt`, then by id (the order the reconciler re-drives in). */
const olderFirst = (a: InFlightRecord, b: InFlightRecord) =>
  a.updatedAt < b.updatedAt ? -1 : a.updatedAt > b.updatedAt ? 1 : a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0;

/** Repository over the two tables; the only module that writes DynamoDB expressions. */
export const makeOrderTables = (db: DynamoDBDocumentClient, ordersTable: string, failedOrdersTable: string) => {
  const send = async <T>(command: GetCommand | PutCommand | UpdateCommand | DeleteCommand | QueryCommand): Promise<T> => {
    try {
      return (await db.send(command as never)) as T;
    } catch (e) {
      throw classifyAwsError(e);
    }
  };

  const get = async (orderId: string): Promise<OrderRecord | undefined> =>
    (await send<{ Item?: OrderRecord }>(new GetCommand({ TableName: ordersTable, Key: { orderId }, ConsistentRead: true }))).Item;

  /**
   * Completes a FAILED order's pair: puts its failed-orders record if it has none (the FAILED write landed, the
   * record's did not, and no redelivery will come). True if this call wrote it.
   */
  const completeFailedRecord = async (order: OrderRecord, now: string, by: string): Promise<boolean> => {
    if (order.status !== 'FAILED' || order.failureReason === undefined) return false;
    const record: FailedOrderRecord = {
      orderId: order.orderId,
      customerId: order.customerId,
      failureReason: order.failureReason,
      stage: order.failureStage ?? (order.failureReason === 'OUT_OF_STOCK' ? 'FULFILLMENT' : 'DEAD_LETTER'),
      error: 'MissingRecord',
      cause: `the order was FAILED (${order.failureReason}) at ${order.updatedAt} without its failed-orders record; completed by ${by}`,
      items: JSON.stringify(order.items),
      failedAt: now,
    };
    try {
      await send(new PutCommand({ TableName: failedOrdersTable, Item: record, ConditionExpression: 'attribute_not_exists(orderId)' }));
      return true;
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      return false;
    }
  };

  /** Takes a FAILED order out of the in-flight index, once its record is written. */
  const unlistFailed = async (orderId: string): Promise<void> => {
    try {
      await send(
        new UpdateCommand({
          TableName: ordersTable,
          Key: { orderId },
          UpdateExpression: 'REMOVE #k',
          ConditionExpression: '#s = :failed',
          ExpressionAttributeNames: { '#s': 'status', '#k': IN_FLIGHT_KEY },
          ExpressionAttributeValues: { ':failed': 'FAILED' },
        }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
  };

  return {
    get,
    completeFailedRecord,

    /** Puts a new ACCEPTED order; returns the existing one if the id is taken. */
    async createAccepted(order: OrderRecord): Promise<{ created: true } | { created: false; existing: OrderRecord }> {
      try {
        await send(
          new PutCommand({ TableName: ordersTable, Item: withInFlightKey(order), ConditionExpression: 'attribute_not_exists(orderId)' }),
        );
        return { created: true };
      } catch (e) {
        if (!isConditionFailure(e)) throw e;
        const existing = await get(order.orderId);
        if (!existing) throw e;
        return { created: false, existing };
      }
    },

    /**
     * Claims the start of an ACCEPTED order's workflow for a replay: true if no start was flagged and the lease of
     * whoever held it ran out before `now`; the claim holds the lease `until` then.
     */
    async claimStart(orderId: string, now: string, until: string): Promise<boolean> {
      try {
        await send(
          new UpdateCommand({
            TableName: ordersTable,
            Key: { orderId },
            UpdateExpression: 'SET startLeaseUntil = :until',
            ConditionExpression:
              '#s = :accepted AND attribute_not_exists(workflowStarted) AND (attribute_not_exists(startLeaseUntil) OR startLeaseUntil < :now)',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: { ':accepted': 'ACCEPTED', ':now': now, ':until': until },
          }),
        );
        return true;
      } catch (e) {
        if (isConditionFailure(e)) return false;
        throw e;
      }
    },

    /**
     * Gives up the start lease `lease` of an ACCEPTED order whose StartExecution failed, so that the next replay may
     * claim the start at once rather than after the lease; nothing if another request holds the lease now.
     */
    async releaseStart(orderId: string, lease: string): Promise<void> {
      try {
        await send(
          new UpdateCommand({
            TableName: ordersTable,
            Key: { orderId },
            UpdateExpression: 'REMOVE startLeaseUntil',
            ConditionExpression: 'startLeaseUntil = :lease',
            ExpressionAttributeValues: { ':lease': lease },
          }),
        );
      } catch (e) {
        if (!isConditionFailure(e)) throw e;
      }
    },

    async markWorkflowStarted(orderId: string): Promise<void> {
      await send(
        new UpdateCommand({
          TableName: ordersTable,
          Key: { orderId },
          UpdateExpression: 'SET workflowStarted = :t',
          ConditionExpression: 'attribute_exists(orderId)',
          ExpressionAttributeValues: { ':t': true },
        }),
      );
    },

    /**
     * Removes an order without an Idempotency-Key whose workflow could not be started, so that no ACCEPTED order is
     * orphaned; left alone once flagged started or re-driven by the reconciler (a workflow of it runs).
     */
    async deleteUnstarted(orderId: string): Promise<void> {
      try {
        await send(
          new DeleteCommand({
            TableName: ordersTable,
            Key: { orderId },
            ConditionExpression: '#s = :accepted AND attribute_not_exists(workflowStarted) AND attribute_not_exists(redriveAttempts)',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: { ':accepted': 'ACCEPTED' },
          }),
        );
      } catch (e) {
        if (!isConditionFailure(e)) throw e;
      }
    },

    /** StoreOrder: ACCEPTED → PENDING with totals; tells a repeat what it found. */
    async storePending(
      order: { orderId: string; customerId: string; items: readonly OrderItem[]; acceptedAt: string },
      now: string,
    ): Promise<StorageResult> {
      const totalQuantity = order.items.reduce((n, i) => n + i.quantity, 0);
      try {
        await send(
          new UpdateCommand({
            TableName: ordersTable,
            Key: { orderId: order.orderId },
            UpdateExpression: 'SET #s = :pending, totalQuantity = :q, updatedAt = :now, #k = :inFlight',
            ConditionExpression: '#s = :accepted',
            ExpressionAttributeNames: { '#s': 'status', '#k': IN_FLIGHT_KEY },
            ExpressionAttributeValues: {
              ':pending': 'PENDING',
              ':accepted': 'ACCEPTED',
              ':q': totalQuantity,
              ':now': now,
              ':inFlight': inFlightKeyOf(order.orderId),
            },
          }),
        );
        return { outcome: 'STORED', status: 'PENDING', totalQuantity };
      } catch (e) {
        if (!isConditionFailure(e)) throw e;
      }
      const existing = await get(order.orderId);
      if (!existing) {
        // The api-handler always writes first; an execution started by hand still gets its order stored.
        try {
          await send(
            new PutCommand({
              TableName: ordersTable,
              Item: withInFlightKey({
                orderId: order.orderId,
                status: 'PENDING',
                customerId: order.customerId,
                items: order.items,
                createdAt: order.acceptedAt,
                updatedAt: now,
                totalQuantity,
                workflowStarted: true,
              }),
              ConditionExpression: 'attribute_not_exists(orderId)',
            }),
          );
          return { outcome: 'STORED', status: 'PENDING', totalQuantity };
        } catch (e) {
          // Lost a race with a concurrent writer: whatever it wrote is now the answer.
          if (!isConditionFailure(e)) throw e;
        }
      }
      const current = existing ?? (await get(order.orderId));
      if (!current || current.status === 'ACCEPTED') throw transientError(`order ${order.orderId} changed while it was stored; retry`);
      if (current.status === 'PENDING') return { outcome: 'ALREADY_STORED', status: 'PENDING', totalQuantity };
      return { outcome: 'ALREADY_TERMINAL', status: current.status, totalQuantity };
    },

    /** PENDING → FULFILLED. `false` if the order had already finished (a redelivery). */
    async markFulfilled(orderId: string, now: string): Promise<boolean> {
      try {
        await send(
          new UpdateCommand({
            TableName: ordersTable,
            Key: { orderId },
            UpdateExpression: 'SET #s = :fulfilled, updatedAt = :now REMOVE #k',
            ConditionExpression: '#s = :pending',
            ExpressionAttributeNames: { '#s': 'status', '#k': IN_FLIGHT_KEY },
            ExpressionAttributeValues: { ':fulfilled': 'FULFILLED', ':pending': 'PENDING', ':now': now },
          }),
        );
        return true;
      } catch (e) {
        if (!isConditionFailure(e)) throw e;
        return false;
      }
    },

    /**
     * Marks the order FAILED for `record.failureReason` and writes its one failed-orders record. Returns
     * `false` if the order had finished otherwise. A retry after a partial failure completes the pair.
     * `unlistAfterRecord`: the order keeps its in-flight key until the record is written (a third write), for a
     * caller whose retry nobody drives (the reconciler): a record write that fails leaves the FAILED order in the
     * index, where the next run completes it ({@link completeFailed}). The functions' callers are retried by SQS, and
     * the dlq-handler completes a missing record, so they take the key out with the FAILED write.
     */
    async markFailed(
      record: FailedOrderRecord,
      from: readonly OrderStatus[],
      opts: { unlistAfterRecord?: boolean } = {},
    ): Promise<boolean> {
      const values: Record<string, string> = { ':failed': 'FAILED', ':reason': record.failureReason, ':now': record.failedAt };
      from.forEach((s, i) => (values[`:from${i}`] = s));
      const names: Record<string, string> = { '#s': 'status' };
      let update = 'SET #s = :failed, failureReason = :reason, updatedAt = :now';
      if (opts.unlistAfterRecord) {
        // The stage of the first FAILED write stays: a later one (the reconciler's, from a stale index entry) only repeats it.
        update += ', failureStage = if_not_exists(failureStage, :stage)';
        values[':stage'] = record.stage;
      } else {
        update += ' REMOVE #k';
        names['#k'] = IN_FLIGHT_KEY;
      }
      try {
        await send(
          new UpdateCommand({
            TableName: ordersTable,
            Key: { orderId: record.orderId },
            UpdateExpression: update,
            ConditionExpression: `#s IN (${from.map((_, i) => `:from${i}`).join(', ')}) OR (#s = :failed AND failureReason = :reason)`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        );
      } catch (e) {
        if (!isConditionFailure(e)) throw e;
        return false;
      }
      try {
        await send(new PutCommand({ TableName: failedOrdersTable, Item: record, ConditionExpression: 'attribute_not_exists(orderId)' }));
      } catch (e) {
        if (!isConditionFailure(e)) throw e;
      }
      if (opts.unlistAfterRecord) await unlistFailed(record.orderId);
      return true;
    },

    /**
     * Completes a FAILED order the in-flight index still holds (its failed-orders record may be missing: the
     * workflow's failure route or the reconciler ended between the FAILED write and the record's): puts the record if
     * there is none, then takes the order out of the index. Read strongly consistent first (the index is eventually
     * consistent). True if this call wrote the record; undefined if the order is not FAILED.
     */
    async completeFailed(orderId: string, now: string, by: string): Promise<boolean | undefined> {
      const order = await get(orderId);
      // (a FAILED order without its reason is no write of ours: left in the index, where every run reports it)
      if (order?.status !== 'FAILED' || order.failureReason === undefined) return undefined;
      const wrote = await completeFailedRecord(order, now, by);
      await unlistFailed(orderId);
      return wrote;
    },

    /**
     * Orders ACCEPTED or PENDING since before `olderThan` (the reconciler's), and FAILED ones whose failed-orders record
     * may be missing (they keep the key until it is written), oldest first, read lazily: a Query of each shard of the
     * in-flight index, one page at a time, merged by age. Its cost is what is in flight, never the table's history; a
     * consumer that stops pulling stops the paging. The index is eventually consistent: an order may have moved on
     * since (the reconciler's claim is conditional, its completion reads the order first). The status filter is a
     * guard: a REJECTED or FULFILLED order that somehow kept the key is never taken for one in flight.
     */
    async *stuckOrders(olderThan: string, pageSize = STUCK_PAGE_SIZE): AsyncGenerator<InFlightRecord, void, undefined> {
      interface Shard {
        readonly key: string;
        readonly items: InFlightRecord[];
        read: boolean;
        next?: Record<string, unknown>;
      }
      const shards: Shard[] = IN_FLIGHT_SHARD_KEYS.map((key) => ({ key, items: [], read: false }));
      const page = async (shard: Shard) => {
        const got = await send<{ Items?: InFlightRecord[]; LastEvaluatedKey?: Record<string, unknown> }>(
          new QueryCommand({
            TableName: ordersTable,
            IndexName: IN_FLIGHT_INDEX,
            KeyConditionExpression: '#k = :shard AND #u < :olderThan',
            FilterExpression: '#s IN (:accepted, :pending, :failed)',
            ExpressionAttributeNames: { '#k': IN_FLIGHT_KEY, '#u': IN_FLIGHT_SORT_KEY, '#s': 'status' },
            ExpressionAttributeValues: {
              ':shard': shard.key,
              ':olderThan': olderThan,
              ':accepted': 'ACCEPTED',
              ':pending': 'PENDING',
              ':failed': 'FAILED',
            },
            Limit: pageSize,
            ...(shard.next ? { ExclusiveStartKey: shard.next } : {}),
          }),
        );
        shard.items.push(...(got.Items ?? []));
        shard.read = true;
        shard.next = got.LastEvaluatedKey;
      };
      // A shard whose items ran out is read on before the next order is chosen (a filtered page may hold none).
      const empty = (s: Shard) => s.items.length === 0 && (!s.read || s.next !== undefined);
      for (;;) {
        while (shards.some(empty)) await Promise.all(shards.filter(empty).map(page));
        const oldest = shards.filter((s) => s.items.length > 0).sort((a, b) => olderFirst(a.items[0], b.items[0]))[0];
        if (!oldest) return;
        yield oldest.items.shift()!;
      }
    },

    /** Claims one re-drive of an order still as `seen` left it: counts the attempt and moves `updatedAt`; false if it moved on. */
    async claimRedrive(seen: Pick<OrderRecord, 'orderId' | 'status' | 'updatedAt'>, now: string): Promise<boolean> {
      try {
        await send(
          new UpdateCommand({
            TableName: ordersTable,
            Key: { orderId: seen.orderId },
            UpdateExpression: 'SET redriveAttempts = if_not_exists(redriveAttempts, :zero) + :one, updatedAt = :now',
            ConditionExpression: '#s = :status AND updatedAt = :seen',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':now': now, ':status': seen.status, ':seen': seen.updatedAt },
          }),
        );
        return true;
      } catch (e) {
        if (isConditionFailure(e)) return false;
        throw e;
      }
    },

    /** The order's status, read strongly consistent; undefined when no order has this id. */
    async statusOf(orderId: string): Promise<OrderStatus | undefined> {
      const got = await send<{ Item?: { status?: OrderStatus } }>(
        new GetCommand({
          TableName: ordersTable,
          Key: { orderId },
          ConsistentRead: true,
          ProjectionExpression: '#s',
          ExpressionAttributeNames: { '#s': 'status' },
        }),
      );
      return got.Item?.status;
    },

    /** Records a message that is no order's (unreadable, or naming an unknown order), once per message. */
    async recordMessage(record: MessageRecord): Promise<void> {
      try {
        await send(new PutCommand({ TableName: failedOrdersTable, Item: record, ConditionExpression: 'attribute_not_exists(orderId)' }));
      } catch (e) {
        if (!isConditionFailure(e)) throw e;
      }
    },
  };
};

export type OrderTables = ReturnType<typeof makeOrderTables>;

/** The API view of an order (CONTRACT.md, GET /orders/{orderId}). */
export interface OrderView {
  orderId: string;
  status: OrderStatus;
  customerId: string;
  items: readonly OrderItem[];
  createdAt: string;
  updatedAt: string;
  reasons?: RejectionReason[];
  failureReason?: FailureReason;
}

export const toView = (r: OrderRecord): OrderView => {
  const view: OrderView = {
    orderId: r.orderId,
    status: r.status,
    customerId: r.customerId,
    items: r.items,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
  if (r.status === 'REJECTED' && r.reasons !== undefined) view.reasons = JSON.parse(r.reasons) as RejectionReason[];
  if (r.status === 'FAILED' && r.failureReason !== undefined) view.failureReason = r.failureReason;
  return view;
};
