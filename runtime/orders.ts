import { type DynamoDBDocumentClient, DeleteCommand, GetCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { FailureReason, OrderItem, OrderStatus, RejectionReason, StorageResult } from './codecs';
import { classifyAwsError, transientError } from './errors';

/**
 * The orders and failed-orders tables, as the functions use them. Every status change is a conditional
 * write, so statuses never go backwards and a repeated delivery changes nothing. (No transactions: each
 * two-step change is ordered so that a retry completes it, which also runs on emulators without them.)
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
  readonly totalQuantity?: number;
  /** JSON of the rejection reasons (written by the workflow's RecordRejection state). */
  readonly reasons?: string;
  readonly failureReason?: FailureReason;
  /** How many times the reconciler re-drove it (runtime/reconciler.ts). */
  readonly redriveAttempts?: number;
}

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

/** Repository over the two tables; the only module that writes DynamoDB expressions. */
export const makeOrderTables = (db: DynamoDBDocumentClient, ordersTable: string, failedOrdersTable: string) => {
  const send = async <T>(command: GetCommand | PutCommand | UpdateCommand | DeleteCommand | ScanCommand): Promise<T> => {
    try {
      return (await db.send(command as never)) as T;
    } catch (e) {
      throw classifyAwsError(e);
    }
  };

  const get = async (orderId: string): Promise<OrderRecord | undefined> =>
    (await send<{ Item?: OrderRecord }>(new GetCommand({ TableName: ordersTable, Key: { orderId }, ConsistentRead: true }))).Item;

  return {
    get,

    /** Puts a new ACCEPTED order; returns the existing one if the id is taken. */
    async createAccepted(order: OrderRecord): Promise<{ created: true } | { created: false; existing: OrderRecord }> {
      try {
        await send(new PutCommand({ TableName: ordersTable, Item: order, ConditionExpression: 'attribute_not_exists(orderId)' }));
        return { created: true };
      } catch (e) {
        if (!isConditionFailure(e)) throw e;
        const existing = await get(order.orderId);
        if (!existing) throw e;
        return { created: false, existing };
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

    /** Removes an order whose workflow could not be started, so that no ACCEPTED order is orphaned. */
    async deleteUnstarted(orderId: string): Promise<void> {
      try {
        await send(
          new DeleteCommand({
            TableName: ordersTable,
            Key: { orderId },
            ConditionExpression: '#s = :accepted AND attribute_not_exists(workflowStarted)',
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
            UpdateExpression: 'SET #s = :pending, totalQuantity = :q, updatedAt = :now',
            ConditionExpression: '#s = :accepted',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: { ':pending': 'PENDING', ':accepted': 'ACCEPTED', ':q': totalQuantity, ':now': now },
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
              Item: {
                orderId: order.orderId,
                status: 'PENDING',
                customerId: order.customerId,
                items: order.items,
                createdAt: order.acceptedAt,
                updatedAt: now,
                totalQuantity,
                workflowStarted: true,
              } satisfies OrderRecord,
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
            UpdateExpression: 'SET #s = :fulfilled, updatedAt = :now',
            ConditionExpression: '#s = :pending',
            ExpressionAttributeNames: { '#s': 'status' },
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
     */
    async markFailed(record: FailedOrderRecord, from: readonly OrderStatus[]): Promise<boolean> {
      const values: Record<string, string> = { ':failed': 'FAILED', ':reason': record.failureReason, ':now': record.failedAt };
      from.forEach((s, i) => (values[`:from${i}`] = s));
      try {
        await send(
          new UpdateCommand({
            TableName: ordersTable,
            Key: { orderId: record.orderId },
            UpdateExpression: 'SET #s = :failed, failureReason = :reason, updatedAt = :now',
            ConditionExpression: `#s IN (${from.map((_, i) => `:from${i}`).join(', ')}) OR (#s = :failed AND failureReason = :reason)`,
            ExpressionAttributeNames: { '#s': 'status' },
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
      return true;
    },

    /** A failed-orders record for a message that names no order (undecodable), keyed by message id. */
    /**
     * Orders ACCEPTED or PENDING since before `olderThan` (the reconciler's). A filtered scan, page by page: its
     * cost grows with the table, which a reconciler every few minutes can afford at DOFS's sizes.
     */
    async stuckOrders(olderThan: string): Promise<OrderRecord[]> {
      const found: OrderRecord[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await send<{ Items?: OrderRecord[]; LastEvaluatedKey?: Record<string, unknown> }>(
          new ScanCommand({
            TableName: ordersTable,
            ConsistentRead: true,
            FilterExpression: '#s IN (:accepted, :pending) AND updatedAt < :olderThan',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: { ':accepted': 'ACCEPTED', ':pending': 'PENDING', ':olderThan': olderThan },
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        found.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start);
      return found;
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
