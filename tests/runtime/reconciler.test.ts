/**
 * The reconciler's core with in-memory deps: which stuck orders it re-drives and how, when it gives up, that it
 * never touches an order that moved on, and that a run ends with its time, not with the backlog.
 */
import type { FulfillmentMessage, WorkflowInput } from '../../runtime/codecs';
import { makeLogger } from '../../runtime/log';
import type { FailedOrderRecord } from '../../runtime/orders';
import {
  type InFlightOrder,
  RECONCILE_CONCURRENCY,
  RECONCILE_MARGIN_MS,
  type ReconcilerDeps,
  reconcile,
  redriveExecutionName,
} from '../../runtime/reconciler';

const NOW = new Date('2026-12-04T12:00:00Z');
const order = (
  orderId: string,
  status: 'ACCEPTED' | 'PENDING' | 'FAILED',
  minutesAgo: number,
  redriveAttempts?: number,
): InFlightOrder => ({
  orderId,
  status,
  customerId: 'CUST-0001',
  items: [{ productId: 'SKU-1', quantity: 1 }],
  createdAt: '2026-12-04T10:00:00.000Z',
  updatedAt: new Date(NOW.getTime() - minutesAgo * 60_000).toISOString(),
  ...(redriveAttempts === undefined ? {} : { redriveAttempts }),
});

/**
 * Stuck orders as the in-flight index gives them: those before `olderThan`, oldest first, `pageSize` at a time;
 * `pages` records each page as it is read.
 */
const paged = (orders: InFlightOrder[], pageSize: number, pages: number[] = []) =>
  async function* (olderThan: string) {
    const stuck = orders.filter((o) => o.updatedAt < olderThan).sort((a, b) => (a.updatedAt < b.updatedAt ? -1 : 1));
    for (let start = 0; start < stuck.length; start += pageSize) {
      pages.push(start / pageSize);
      yield* stuck.slice(start, start + pageSize);
    }
  };

/** A table of in-flight orders and the calls made. */
const world = (orders: InFlightOrder[], moved: string[] = []) => {
  const started: { name: string; input: WorkflowInput }[] = [];
  const sent: FulfillmentMessage[] = [];
  const failed: FailedOrderRecord[] = [];
  const completed: string[] = [];
  const lines: Record<string, unknown>[] = [];
  const deps: ReconcilerDeps = {
    stuckOrders: paged(orders, 100),
    claim: async (seen) => !moved.includes(seen.orderId),
    startExecution: async (name, input) => void started.push({ name, input }),
    sendMessage: async (m) => void sent.push(m),
    markFailed: async (r) => (failed.push(r), true),
    completeFailed: async (orderId) => (completed.push(orderId), true),
    now: () => NOW,
    log: makeLogger('reconciler', 'DEBUG', {}, (l) => lines.push(JSON.parse(l) as Record<string, unknown>)),
  };
  return { deps, started, sent, failed, completed, lines };
};

describe('the reconciler', () => {
  it('restarts the workflow of a stuck ACCEPTED order and re-sends the message of a stuck PENDING one; leaves recent ones', async () => {
    const w = world([order('a', 'ACCEPTED', 30), order('p', 'PENDING', 20), order('fresh', 'PENDING', 5)]);
    const report = await reconcile({ stuckAfterMs: 15 * 60_000, maxAttempts: 3 })(w.deps);
    expect(report).toEqual({
      found: 2,
      complete: true,
      actions: [
        { orderId: 'a', status: 'ACCEPTED', action: 'RESTARTED_WORKFLOW', attempt: 1 },
        { orderId: 'p', status: 'PENDING', action: 'RESENT_MESSAGE', attempt: 1 },
      ],
    });
    expect(w.started).toEqual([
      {
        name: redriveExecutionName('a', 1),
        input: {
          orderId: 'a',
          customerId: 'CUST-0001',
          items: [{ productId: 'SKU-1', quantity: 1 }],
          acceptedAt: '2026-12-04T10:00:00.000Z',
        },
      },
    ]);
    expect(w.sent).toEqual([{ orderId: 'p', customerId: 'CUST-0001', items: [{ productId: 'SKU-1', quantity: 1 }] }]);
    expect(w.lines.filter((l) => l.StuckOrdersRedriven === 1)).toHaveLength(2);
  });

  it('gives up after maxAttempts: FAILED with PROCESSING_ERROR and its record, counted', async () => {
    const w = world([order('p', 'PENDING', 60, 3)]);
    const report = await reconcile({ stuckAfterMs: 15 * 60_000, maxAttempts: 3 })(w.deps);
    expect(report.actions).toEqual([{ orderId: 'p', status: 'PENDING', action: 'GAVE_UP', attempt: 4 }]);
    expect(w.failed).toEqual([expect.objectContaining({ orderId: 'p', failureReason: 'PROCESSING_ERROR', error: 'StuckOrder' })]);
    expect(w.sent).toEqual([]);
    expect(w.lines.filter((l) => l.StuckOrdersFailed === 1)).toHaveLength(1);
  });

  it('leaves an order that moved on since it was read, and does nothing at all in a dry run', async () => {
    const moved = world([order('a', 'ACCEPTED', 30)], ['a']);
    expect((await reconcile({ stuckAfterMs: 15 * 60_000, maxAttempts: 3 })(moved.deps)).actions[0].action).toBe('MOVED_ON');
    expect(moved.started).toEqual([]);
    const dry = world([order('a', 'ACCEPTED', 30), order('p', 'PENDING', 60, 3)]);
    const report = await reconcile({ stuckAfterMs: 15 * 60_000, maxAttempts: 3, dryRun: true })(dry.deps);
    // (oldest first: p has waited longer)
    expect(report.actions.map((a) => a.action)).toEqual(['GAVE_UP', 'RESTARTED_WORKFLOW']);
    expect([dry.started, dry.sent, dry.failed]).toEqual([[], [], []]);
  });
});

describe('a FAILED order the in-flight index still holds', () => {
  it('is completed (its record, then out of the index), never re-driven nor counted as an attempt; a dry run only lists it', async () => {
    const w = world([order('f', 'FAILED', 30, 3), order('a', 'ACCEPTED', 20)]);
    const report = await reconcile({ stuckAfterMs: 15 * 60_000, maxAttempts: 3 })(w.deps);
    expect(report.actions).toEqual([
      { orderId: 'f', status: 'FAILED', action: 'COMPLETED_FAILURE', attempt: 0 },
      { orderId: 'a', status: 'ACCEPTED', action: 'RESTARTED_WORKFLOW', attempt: 1 },
    ]);
    expect(w.completed).toEqual(['f']);
    expect([w.failed, w.sent, w.started.map((s) => s.input.orderId)]).toEqual([[], [], ['a']]);
    expect(w.lines.find((l) => l.orderId === 'f')).toMatchObject({ level: 'ERROR', failureKind: 'system' });
    const dry = world([order('f', 'FAILED', 30)]);
    expect((await reconcile({ stuckAfterMs: 0, maxAttempts: 3, dryRun: true })(dry.deps)).actions[0].action).toBe('COMPLETED_FAILURE');
    expect(dry.completed).toEqual([]);
  });
});

describe('a run with a backlog larger than its time', () => {
  // Given 100 stuck orders, read 10 a page, and an invocation whose time runs out after 10 re-drives of 100 ms
  const backlog = Array.from({ length: 100 }, (_, i) => order(`o-${String(i).padStart(3, '0')}`, 'PENDING', 200 - i));
  const run = async () => {
    const pages: number[] = [];
    const w = world(backlog);
    let left = RECONCILE_MARGIN_MS + 10 * 100;
    const deps: ReconcilerDeps = {
      ...w.deps,
      stuckOrders: paged(backlog, 10, pages),
      claim: async () => ((left -= 100), true),
      timeLeftMs: () => left,
    };
    const report = await reconcile({ stuckAfterMs: 15 * 60_000, maxAttempts: 3 })(deps);
    return { report, pages, w };
  };

  it('stops reading pages and claiming once the time runs short, and says the run was cut short', async () => {
    const { report, pages, w } = await run();
    // Then it read no more than the pages its ten re-drives and its busy workers needed: two of the ten at most
    expect(pages.length).toBeGreaterThanOrEqual(1);
    expect(pages.length).toBeLessThanOrEqual(2);
    expect(report.complete).toBe(false);
    // and re-drove every order it read, no more: the ten its time allowed, and those already in hand
    expect(report.found).toBe(report.actions.length);
    expect(report.found).toBeGreaterThanOrEqual(10);
    expect(report.found).toBeLessThanOrEqual(10 + RECONCILE_CONCURRENCY);
    expect(w.sent).toHaveLength(report.found);
    expect(w.lines).toContainEqual(
      expect.objectContaining({ level: 'WARN', message: expect.stringContaining('time ran short'), complete: false }),
    );
  });

  it('re-drives the oldest first, so that the next run starts where this one stopped', async () => {
    const { report } = await run();
    const oldest = backlog.slice(0, report.found).map((o) => o.orderId);
    expect(report.actions.map((a) => a.orderId).sort()).toEqual(oldest);
  });

  it('reads to the end, and says so, when the time suffices', async () => {
    const pages: number[] = [];
    const w = world(backlog);
    const report = await reconcile({ stuckAfterMs: 15 * 60_000, maxAttempts: 3 })({ ...w.deps, stuckOrders: paged(backlog, 10, pages) });
    expect(pages).toHaveLength(10);
    expect(report).toMatchObject({ found: 100, complete: true });
    expect(w.lines).toContainEqual(expect.objectContaining({ message: 'reconciled', found: 100, complete: true }));
  });
});
