/**
 * Timeouts injected in one function at a time, on the conservation harness (CONTRACT.md, "Local cloud":
 * every order terminal, also with 5% injected timeouts in any function). A timeout is what Lambda reports
 * (Sandbox.Timedout, the invocation alone), after the function's compressed timeout; the workflow's
 * retries and the queues' redelivery must absorb it as they would on AWS. How long orders took is
 * printed, not asserted (a figure of this machine's speed; `npm run chaos` measures it): the bound is
 * checked from the declared waits by the infra tests (local/waits.ts).
 */
import { GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { expectConserved, orderBodies, outcomes, postAll, readLedger, waitAllTerminal } from '../support/ledger';
import { type RunningCloud, startCloud } from '../support/localCloud';

const ORDERS = 200;

const cases = [
  // A workflow task's timeout is retried (Sandbox.Timedout is in its Retry): no order fails for it.
  { target: 'validator', fn: 'dofs-validator', faults: { validator: { timeoutRate: 0.05 } }, processingErrors: 0 },
  { target: 'storeOrder', fn: 'dofs-store-order', faults: { storeOrder: { timeoutRate: 0.05 } }, processingErrors: 0 },
  // A consumer's timeout fails its whole batch, which SQS redelivers; a message received maxReceiveCount
  // times goes to the DLQ, so PROCESSING_ERROR is a possible, recorded outcome.
  { target: 'fulfillment', fn: 'dofs-fulfillment', faults: { fulfillment: { timeoutRate: 0.05 } }, processingErrors: undefined },
  // Every valid order reaches the DLQ (fulfillment always fails), and the dlq-handler times out now and then.
  {
    target: 'dlqHandler',
    fn: 'dofs-dlq-handler',
    faults: { fulfillment: { errorRate: 1 }, dlqHandler: { timeoutRate: 0.05 } },
    processingErrors: ORDERS - ORDERS / 10,
  },
] as const;

describe.each(cases)('with 5 percent timeouts in $target', ({ fn, faults, processingErrors }) => {
  let cloud: RunningCloud;
  beforeAll(async () => {
    cloud = await startCloud(['--config', `faults=${JSON.stringify(faults)}`]);
  });
  afterAll(async () => {
    await cloud?.stop();
  });

  it(`ends every one of ${ORDERS} orders exactly once, and loses none`, async () => {
    // Given orders, every tenth breaking a business rule
    const bodies = orderBodies(ORDERS);
    // When they are posted
    const answers = await postAll(cloud, bodies);
    expect(answers.map((a) => a.status)).toEqual(bodies.map(() => 202));
    const ids = answers.map((a) => a.orderId);
    const rejected = ids.filter((_, i) => i % 10 === 0);

    // Then every order ends, once, with its failed-orders record if it failed, and the queues drain
    await waitAllTerminal(cloud, ids);
    const ledger = await readLedger(cloud);
    expectConserved(ledger, ids, rejected);
    // and timeouts did happen, as Lambda reports them
    const timeouts = cloud.output.filter((l) => l.startsWith(`[${fn} `) && l.includes('Task timed out after')).length;
    expect(timeouts).toBeGreaterThan(0);
    const counts = outcomes(ledger.orders);
    // PROCESSING_ERROR as the case expects it (a workflow task's timeouts never cause one)
    expect(counts.PROCESSING_ERROR).toBe(processingErrors ?? counts.PROCESSING_ERROR);
    // (figures only: the time each order took, from its own createdAt and updatedAt)
    const took = ledger.orders.map((o) => Date.parse(o.updatedAt) - Date.parse(o.createdAt)).sort((a, b) => a - b);
    const at = (q: number) => (took[Math.min(took.length - 1, Math.floor(q * took.length))] / 1000).toFixed(2);
    console.log(
      `${fn}: ${timeouts} timeouts; ${JSON.stringify(counts)}; time to terminal p50 ${at(0.5)} s, p99 ${at(0.99)} s, max ${at(1)} s`,
    );
  });
});

describe('with 5 percent timeouts in SendToQueue', () => {
  // The SQS integration hangs past its task's timeout, every other time after the message was sent (its answer
  // lost, so the retry sends it again): Step Functions retries States.Timeout, and two messages are still one order.
  let cloud: RunningCloud;
  beforeAll(async () => {
    cloud = await startCloud(['--config', `faults=${JSON.stringify({ sendToQueue: { timeoutRate: 0.05 } })}`]);
  });
  afterAll(async () => {
    await cloud?.stop();
  });

  it(`ends every one of ${ORDERS} orders exactly once, none for a queue failure, and the timeouts are in the histories`, async () => {
    // Given orders, every tenth breaking a business rule, when they are posted
    const bodies = orderBodies(ORDERS);
    const answers = await postAll(cloud, bodies);
    expect(answers.map((a) => a.status)).toEqual(bodies.map(() => 202));
    const ids = answers.map((a) => a.orderId);

    // Then every order ends once, and a SendToQueue timeout failed none (it is retried)
    await waitAllTerminal(cloud, ids);
    const ledger = await readLedger(cloud);
    expectConserved(
      ledger,
      ids,
      ids.filter((_, i) => i % 10 === 0),
    );
    expect(outcomes(ledger.orders).PROCESSING_ERROR).toBe(0);
    // and the executions' histories show SendToQueue timing out, as Step Functions records a task's timeout
    const sfn = new SFNClient({
      endpoint: cloud.sfnEndpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    try {
      const { executions = [] } = await sfn.send(new ListExecutionsCommand({ stateMachineArn: cloud.stateMachineArn, maxResults: 1000 }));
      let timedOut = 0;
      for (const e of executions) {
        const { events = [] } = await sfn.send(new GetExecutionHistoryCommand({ executionArn: e.executionArn, maxResults: 1000 }));
        timedOut += events.filter((ev) => ev.type === 'TaskTimedOut' && ev.taskTimedOutEventDetails?.resource === 'sendMessage').length;
      }
      expect(timedOut).toBeGreaterThan(0);
      console.log(`sendToQueue: ${timedOut} SendToQueue timeouts; ${JSON.stringify(outcomes(ledger.orders))}`);
    } finally {
      sfn.destroy();
    }
  });
});
