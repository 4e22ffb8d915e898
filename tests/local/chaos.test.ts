/**
 * The chaos benchmark's run (tests/support/chaos.ts, `npm run chaos`) at 500 orders per workflow type: 5%
 * errors and 5% timeouts in every function and in SendToQueue, 5% SQS redeliveries, 10% duplicate POSTs with
 * the same key and body (some concurrent with the first), and under EXPRESS 10% of executions run twice.
 * Every figure of the conservation ledger is 0, and every key started exactly one workflow of its own: the
 * reconciler's re-drives and the executions the local Step Functions ran twice are counted apart. No timing
 * is asserted; the hang guard bounds each wait.
 */
import { type ChaosReport, formatChaosReport, runChaos } from '../support/chaos';

const ORDERS = 500;

describe.each(['EXPRESS', 'STANDARD'] as const)('chaos under %s', (workflow) => {
  let report: ChaosReport;

  beforeAll(async () => {
    report = await runChaos({ orders: ORDERS, faultRate: 0.05, duplicates: 0.1, workflow });
    console.log(formatChaosReport(report));
  });

  it(`loses none of ${ORDERS} orders and ends each once: the ledger's figures are all 0`, () => {
    expect(report.accepted).toBe(ORDERS);
    expect(report.conservation).toEqual({
      lost: 0,
      unbalanced: 0,
      doubleTerminal: 0,
      backwards: 0,
      keysWithTwoOrders: 0,
      unaccounted: 0,
      failedWithoutOneRecord: 0,
      recordsForOthers: 0,
      recordReasonMismatch: 0,
      queuesNotDrained: 0,
      inFlightIndexed: 0,
      neverAccepted: 0,
      keysNotStartedOnce: 0,
    });
  });

  it('starts one workflow per key, the duplicate POSTs included', () => {
    expect(report.workflows.perKey).toEqual({ '1': ORDERS });
    expect(report.workflows.perDuplicatedKey).toEqual({ '1': ORDERS * 0.1 });
    expect(Object.values(report.posts.duplicateKeys).reduce((a, b) => a + b, 0)).toBe(ORDERS * 0.1);
  });

  it('had the faults it was given: retried POSTs, failures of both kinds, and (EXPRESS) executions run twice', () => {
    expect(report.posts.retried).toBeGreaterThan(0);
    expect(report.outcomes.OUT_OF_STOCK).toBeGreaterThan(0);
    expect(report.outcomes.FULFILLED).toBeGreaterThan(0);
    expect(report.outcomes.REJECTED).toBeGreaterThan(0);
    // STANDARD runs each execution exactly once: the knob is not given to it
    expect(report.workflows.injectedDuplicates > 0).toBe(workflow === 'EXPRESS');
  });
});
