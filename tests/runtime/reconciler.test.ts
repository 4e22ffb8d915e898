/**
 * The reconciler's core with in-memory deps: which stuck orders it re-drives and how, when it gives up, and
 * that it never touches an order that moved on.
 */
import type { FulfillmentMessage, WorkflowInput } from '../../runtime/codecs';
import { makeLogger } from '../../runtime/log';
import type { FailedOrderRecord } from '../../runtime/orders';
import { type InFlightOrder, type ReconcilerDeps, reconcile, redriveExecutionName } from '../../runtime/reconciler';

const NOW = new Date('2026-12-04T12:00:00Z');
const order = (orderId: string, status: 'ACCEPTED' | 'PENDING', minutesAgo: number, redriveAttempts?: number): InFlightOrder => ({
  orderId,
  status,
  customerId: 'CUST-0001',
  items: [{ productId: 'SKU-1', quantity: 1 }],
  createdAt: '2026-12-04T10:00:00.000Z',
  updatedAt: new Date(NOW.getTime() - minutesAgo * 60_000).toISOString(),
  ...(redriveAttempts === undefined ? {} : { redriveAttempts }),
});

/** A table of in-flight orders and the calls made, with a table-side filter as DynamoDB's scan would apply. */
const world = (orders: InFlightOrder[], moved: string[] = []) => {
  const started: { name: string; input: WorkflowInput }[] = [];
  const sent: FulfillmentMessage[] = [];
  const failed: FailedOrderRecord[] = [];
  const lines: Record<string, unknown>[] = [];
  const deps: ReconcilerDeps = {
    stuckOrders: async (olderThan) => orders.filter((o) => o.updatedAt < olderThan),
    claim: async (seen) => !moved.includes(seen.orderId),
    startExecution: async (name, input) => void started.push({ name, input }),
    sendMessage: async (m) => void sent.push(m),
    markFailed: async (r) => (failed.push(r), true),
    now: () => NOW,
    log: makeLogger('reconciler', 'DEBUG', {}, (l) => lines.push(JSON.parse(l) as Record<string, unknown>)),
  };
  return { deps, started, sent, failed, lines };
};

describe('the reconciler', () => {
  it('restarts the workflow of a stuck ACCEPTED order and re-sends the message of a stuck PENDING one; leaves recent ones', async () => {
    const w = world([order('a', 'ACCEPTED', 30), order('p', 'PENDING', 20), order('fresh', 'PENDING', 5)]);
    const report = await reconcile({ stuckAfterMs: 15 * 60_000, maxAttempts: 3 })(w.deps);
    expect(report).toEqual({
      found: 2,
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
    expect(report.actions.map((a) => a.action)).toEqual(['RESTARTED_WORKFLOW', 'GAVE_UP']);
    expect([dry.started, dry.sent, dry.failed]).toEqual([[], [], []]);
  });
});
