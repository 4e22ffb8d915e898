/**
 * `npm run chaos -- --orders 200 --timeout-rate 0.05 --error-rate 0 --target validator,fulfillment`:
 * for each target function in turn, starts the local cloud with that share of its invocations (records,
 * for a queue consumer) timing out or failing, posts the orders, waits until every one is terminal, and
 * prints the conservation ledger (lost, double-terminal, FAILED without exactly one failed-orders record,
 * queues drained), the outcomes, the timeouts Lambda reported, and the time each order took to end
 * (p50/p99/max, from its own createdAt and updatedAt) against the contract's local bound.
 * A benchmark: it prints figures; the bound itself is checked from the declared waits by the infra tests.
 */
import { LOCAL_BOUND_MS } from '../local/waits';
import { orderBodies, outcomes, postAll, readLedger, waitAllTerminal } from '../tests/support/ledger';
import { startCloud } from '../tests/support/localCloud';
import { failWith, parseFlags } from './cli';

const TARGETS = {
  validator: 'dofs-validator',
  storeOrder: 'dofs-store-order',
  fulfillment: 'dofs-fulfillment',
  dlqHandler: 'dofs-dlq-handler',
};
type Target = keyof typeof TARGETS;

const fail = failWith('chaos');
const flags = parseFlags(
  'chaos',
  {
    orders: { type: 'string', default: '200' },
    'timeout-rate': { type: 'string', default: '0.05' },
    'error-rate': { type: 'string', default: '0' },
    target: { type: 'string', default: Object.keys(TARGETS).join(',') },
  },
  `--orders N --timeout-rate R --error-rate R --target ${Object.keys(TARGETS).join(',')}`,
);
const rate = (name: string, text: string) => {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1)
    fail(`--${name} '${text}' is not allowed: expected a number from 0 to 1`);
  return n;
};
const ORDERS = Number(flags.orders);
if (!/^\d+$/.test(flags.orders) || ORDERS < 1 || ORDERS > 100_000)
  fail(`--orders '${flags.orders}' is not allowed: expected a whole number from 1 to 100000`);
const TIMEOUT_RATE = rate('timeout-rate', flags['timeout-rate']);
const ERROR_RATE = rate('error-rate', flags['error-rate']);
const targets = flags.target.split(',').map((t) => t.trim()) as Target[];
for (const t of targets)
  if (!(t in TARGETS)) fail(`--target '${t}' is not allowed: expected one or more of ${Object.keys(TARGETS).join(', ')}, comma-separated`);

const run = async (target: Target) => {
  // The dlq-handler sees orders only once fulfillment has failed them for good: every valid order is sent there.
  const faults = {
    [target]: { timeoutRate: TIMEOUT_RATE, errorRate: ERROR_RATE },
    ...(target === 'dlqHandler' ? { fulfillment: { errorRate: 1 } } : {}),
  };
  const cloud = await startCloud(['--config', `faults=${JSON.stringify(faults)}`]);
  try {
    const started = Date.now();
    const answers = await postAll(cloud, orderBodies(ORDERS));
    const ids = answers.filter((a) => a.status === 202).map((a) => a.orderId);
    await waitAllTerminal(cloud, ids);
    const ledger = await readLedger(cloud);
    const stored = new Map(ledger.orders.map((o) => [o.orderId, o]));
    const lost = ids.filter((id) => !['REJECTED', 'FULFILLED', 'FAILED'].includes(stored.get(id)?.status ?? 'missing')).length;
    const records = new Map<string, number>();
    for (const r of ledger.failedRecords) records.set(r.orderId, (records.get(r.orderId) ?? 0) + 1);
    const failedWithoutOne = ledger.orders.filter((o) => o.status === 'FAILED' && records.get(o.orderId) !== 1).length;
    const recordsForOthers = [...records.keys()].filter((id) => stored.get(id)?.status !== 'FAILED').length;
    const drained = ledger.queues.every((q) => q.visible === '0' && q.inFlight === '0');
    const took = ledger.orders.map((o) => Date.parse(o.updatedAt) - Date.parse(o.createdAt)).sort((a, b) => a - b);
    const at = (q: number) => took[Math.min(took.length - 1, Math.floor(q * took.length))] ?? NaN;
    const timeouts = cloud.output.filter((l) => l.startsWith(`[${TARGETS[target]} `) && l.includes('Task timed out after')).length;
    const over = took.filter((t) => t > LOCAL_BOUND_MS).length;
    console.log(
      [
        `${target}: ${ORDERS} orders, ${answers.length - ids.length} not accepted, ${timeouts} timeouts reported, in ${((Date.now() - started) / 1000).toFixed(1)} s`,
        `  ledger: lost ${lost}, FAILED without exactly one record ${failedWithoutOne}, records for orders not FAILED ${recordsForOthers}, queues drained ${drained}`,
        `  outcomes: ${JSON.stringify(outcomes(ledger.orders))}`,
        `  time to terminal: p50 ${(at(0.5) / 1000).toFixed(2)} s, p99 ${(at(0.99) / 1000).toFixed(2)} s, max ${(at(1) / 1000).toFixed(2)} s; ` +
          `${over} over the local bound of ${LOCAL_BOUND_MS / 1000} s`,
      ].join('\n'),
    );
    return lost + failedWithoutOne + recordsForOthers + (drained ? 0 : 1);
  } finally {
    await cloud.stop();
  }
};

const main = async () => {
  console.log(`chaos: ${ORDERS} orders per target, timeouts ${TIMEOUT_RATE}, errors ${ERROR_RATE}, targets ${targets.join(', ')}`);
  let broken = 0;
  for (const target of targets) broken += await run(target);
  if (broken > 0) fail(`${broken} conservation failures (see above)`);
};

main().catch((e: unknown) => fail((e as Error).stack ?? String(e)));
