/**
 * The reconciler: nothing stays in flight for ever (CONTRACT.md), and no FAILED order without its record. An order that has sat ACCEPTED or PENDING
 * longer than a bound is re-driven through its idempotent path: ACCEPTED starts a new workflow execution
 * (StoreOrder, SendToQueue and fulfillment are idempotent), PENDING sends its fulfillment message again.
 * Each re-drive is claimed with a conditional write first (the order's status and `updatedAt` unchanged), so
 * that an order that moved meanwhile, or a second reconciler, is left alone; after `maxAttempts` re-drives the
 * order ends FAILED with PROCESSING_ERROR and its failed-orders record.
 *
 * A run is bounded by its invocation's time, not by the backlog: it reads stuck orders oldest first, a page at a
 * time, only as it handles them, and once the time left runs short it reads no further page and claims no further
 * order. A backlog larger than one run is handled over several (each re-drive moves its order's `updatedAt`, so
 * the next run starts with the oldest not yet handled).
 */
import type { FulfillmentMessage, OrderStatus, WorkflowInput } from './codecs';
import type { Logger } from './log';
import type { FailedOrderRecord, InFlightRecord, OrderTables } from './orders';

/** An order in flight, as the reconciler reads it: what the in-flight index holds (`redriveAttempts`: the re-drives so far). */
export type InFlightOrder = InFlightRecord;

export interface ReconcilerDeps {
  /**
   * Orders whose status is ACCEPTED or PENDING and whose `updatedAt` is before `olderThan`, oldest first, read as
   * they are pulled: the run stops pulling (and the source stops paging) when its time runs short.
   */
  readonly stuckOrders: (olderThan: string) => AsyncIterable<InFlightOrder>;
  /** Claims one re-drive: bumps the attempts and `updatedAt` if status and `updatedAt` are still `seen`'s; false otherwise. */
  readonly claim: (seen: InFlightOrder, now: string) => Promise<boolean>;
  readonly startExecution: (name: string, input: WorkflowInput) => Promise<void>;
  readonly sendMessage: (message: FulfillmentMessage) => Promise<void>;
  readonly markFailed: (record: FailedOrderRecord, from: readonly OrderStatus[]) => Promise<boolean>;
  /**
   * Completes a FAILED order the index still holds: its failed-orders record if missing, then out of the index. True
   * if the record was missing; undefined if the order is not FAILED.
   */
  readonly completeFailed: (orderId: string, now: string) => Promise<boolean | undefined>;
  readonly now: () => Date;
  readonly log: Logger;
  /** Milliseconds left before the invocation's timeout: the run stops reading and claiming in time, and the next run goes on. */
  readonly timeLeftMs?: () => number;
}

/** Re-drives at once: each is a claim and one call, so a few hundred stuck orders fit one run. */
export const RECONCILE_CONCURRENCY = 8;
/** The time a run keeps in hand for the re-drives in progress when it stops claiming. */
export const RECONCILE_MARGIN_MS = 2000;

export interface ReconcilerSettings {
  /** How long an order may sit ACCEPTED or PENDING before it is re-driven. */
  readonly stuckAfterMs: number;
  /** Re-drives before the order is given up (FAILED, PROCESSING_ERROR). */
  readonly maxAttempts: number;
  /** Report what would be done, and do nothing. */
  readonly dryRun?: boolean;
}

export type ReconcileAction = 'RESTARTED_WORKFLOW' | 'RESENT_MESSAGE' | 'GAVE_UP' | 'MOVED_ON' | 'COMPLETED_FAILURE';

export interface ReconcileReport {
  /** Stuck orders read (each one handled). */
  readonly found: number;
  /** Whether the run read every stuck order; false when it stopped for time, and the next run goes on. */
  readonly complete: boolean;
  readonly actions: readonly {
    readonly orderId: string;
    readonly status: OrderStatus;
    readonly action: ReconcileAction;
    readonly attempt: number;
  }[];
}

/** The reconciler's table operations, over the orders tables (runtime/orders.ts): the same for every caller. */
export const reconcilerTables = (
  tables: Pick<OrderTables, 'stuckOrders' | 'claimRedrive' | 'markFailed' | 'completeFailed'>,
): Pick<ReconcilerDeps, 'stuckOrders' | 'claim' | 'markFailed' | 'completeFailed'> => ({
  stuckOrders: (olderThan) => tables.stuckOrders(olderThan),
  claim: (seen, now) => tables.claimRedrive(seen, now),
  // The order keeps its in-flight key until its record is written: nothing retries a reconciler's write but the next run.
  markFailed: (record, from) => tables.markFailed(record, from, { unlistAfterRecord: true }),
  completeFailed: (orderId, now) => tables.completeFailed(orderId, now, 'the reconciler'),
});

/** The name of the `attempt`th re-drive's execution: unique per order and attempt (STANDARD refuses a reused name). */
export const redriveExecutionName = (orderId: string, attempt: number) => `${orderId}-redrive-${attempt}`;

export const reconcile =
  (settings: ReconcilerSettings) =>
  async (deps: ReconcilerDeps): Promise<ReconcileReport> => {
    const now = deps.now();
    const olderThan = new Date(now.getTime() - settings.stuckAfterMs).toISOString();
    const actions: ReconcileReport['actions'][number][] = [];
    const one = async (order: InFlightOrder): Promise<void> => {
      const log = deps.log.with({ orderId: order.orderId, status: order.status });
      const attempt = (order.redriveAttempts ?? 0) + 1;
      if (order.status === 'FAILED') {
        // FAILED, and still in the index: its failed-orders record was not written (or not yet taken out after it).
        actions.push({ orderId: order.orderId, status: order.status, action: 'COMPLETED_FAILURE', attempt: 0 });
        if (settings.dryRun) return;
        const wrote = await deps.completeFailed(order.orderId, now.toISOString());
        if (wrote === true) log.error('FAILED order had no failed-orders record: recorded it', { failureKind: 'system' });
        else if (wrote === false) log.info('FAILED order taken out of the in-flight index (its record was there)');
        else log.warn('order in the index as FAILED is not FAILED with a reason when read: left as it is');
        return;
      }
      if (attempt > settings.maxAttempts) {
        actions.push({ orderId: order.orderId, status: order.status, action: 'GAVE_UP', attempt });
        if (settings.dryRun) return;
        const changed = await deps.markFailed(
          {
            orderId: order.orderId,
            customerId: order.customerId,
            failureReason: 'PROCESSING_ERROR',
            stage: 'RECONCILER',
            error: 'StuckOrder',
            cause: `${order.status} since ${order.updatedAt}; re-driven ${settings.maxAttempts} times without finishing`,
            items: JSON.stringify(order.items),
            failedAt: now.toISOString(),
          },
          [order.status],
        );
        log.error(changed ? 'stuck order given up: FAILED with PROCESSING_ERROR' : 'stuck order finished meanwhile', {
          failureKind: 'system',
          attempts: settings.maxAttempts,
        });
        if (changed) log.metric('StuckOrdersFailed', 1, { Function: 'reconciler' });
        return;
      }
      const action: ReconcileAction = order.status === 'ACCEPTED' ? 'RESTARTED_WORKFLOW' : 'RESENT_MESSAGE';
      if (settings.dryRun) {
        actions.push({ orderId: order.orderId, status: order.status, action, attempt });
        return;
      }
      if (!(await deps.claim(order, now.toISOString()))) {
        actions.push({ orderId: order.orderId, status: order.status, action: 'MOVED_ON', attempt });
        log.info('order moved on since it was read; left alone');
        return;
      }
      const message = { orderId: order.orderId, customerId: order.customerId, items: [...order.items] };
      if (action === 'RESTARTED_WORKFLOW') {
        await deps.startExecution(redriveExecutionName(order.orderId, attempt), { ...message, acceptedAt: order.createdAt });
      } else {
        await deps.sendMessage(message);
      }
      actions.push({ orderId: order.orderId, status: order.status, action, attempt });
      log.warn('stuck order re-driven', { action, attempt, since: order.updatedAt });
      log.metric('StuckOrdersRedriven', 1, { Function: 'reconciler' });
    };
    // A few at a time, oldest first, each read only when a worker is free to handle it; once the invocation's time
    // runs short nothing more is read or claimed, and the rest wait for the next run.
    const stuck = deps.stuckOrders(olderThan)[Symbol.asyncIterator]();
    let found = 0;
    let complete = false;
    const timeLeft = () => (deps.timeLeftMs?.() ?? Infinity) > RECONCILE_MARGIN_MS;
    const worker = async () => {
      while (!complete && timeLeft()) {
        const next = await stuck.next();
        if (next.done) {
          complete = true;
          return;
        }
        found++;
        await one(next.value);
      }
    };
    try {
      await Promise.all(Array.from({ length: RECONCILE_CONCURRENCY }, worker));
    } finally {
      if (!complete) await stuck.return?.();
    }
    const summary = { found, handled: actions.length, complete, dryRun: settings.dryRun ?? false };
    if (complete) deps.log.info('reconciled', summary);
    else deps.log.warn('reconciled until the time ran short: the next run goes on', summary);
    return { found, complete, actions };
  };
