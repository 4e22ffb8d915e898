/**
 * Conservation over 500 orders, under each workflow type: every accepted order ends in exactly one terminal
 * status, every FAILED order has exactly one failed-orders record, and both queues are empty at the end. Faults
 * are on, so retries, redeliveries and the DLQ all take part.
 */
import { expectConserved, orderBodies, outcomes, postAll, readLedger, waitAllTerminal } from '../support/ledger';
import { type RunningCloud, startCloud } from '../support/localCloud';

const ORDERS = 500;

describe.each(['STANDARD', 'EXPRESS'] as const)('under %s', (workflowType) => {
  let cloud: RunningCloud;

  beforeAll(async () => {
    cloud = await startCloud([
      '--config',
      `workflowType=${workflowType}`,
      '--config',
      `faults=${JSON.stringify({ fulfillment: { errorRate: 0.25 }, storeOrder: { errorRate: 0.2 } })}`,
    ]);
  });
  afterAll(async () => {
    await cloud?.stop();
  });

  it(`conserves ${ORDERS} orders: one terminal status each, one failed-orders record per FAILED, empty queues`, async () => {
    // Given a mix of valid orders and tier-2 rejections
    const bodies = orderBodies(ORDERS);
    // When they are all posted, 16 at a time
    const answers = await postAll(cloud, bodies);
    expect(answers.map((a) => a.status)).toEqual(bodies.map(() => 202));
    const ids = answers.map((a) => a.orderId);
    expect(new Set(ids).size).toBe(ORDERS);

    // Then every one reaches a terminal status: however long that takes here, only the hang guard bounds it
    await waitAllTerminal(cloud, ids);
    const ledger = await readLedger(cloud);
    expectConserved(
      ledger,
      ids,
      ids.filter((_, i) => i % 10 === 0),
    );
    // and the business outcome and the DLQ both took part
    const counts = outcomes(ledger.orders);
    expect(counts.OUT_OF_STOCK).toBeGreaterThan(0);
    expect(counts.PROCESSING_ERROR).toBeGreaterThan(0);
    expect(counts.FULFILLED).toBeGreaterThan(0);
    console.log(`conservation (${workflowType}): ${ORDERS} orders: ${JSON.stringify(counts)}`);
  });
});
