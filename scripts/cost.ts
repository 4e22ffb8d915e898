/**
 * `npm run cost -- --stack prod --orders-per-month 1000000`: what a month of orders costs on AWS, computed from the
 * stack's own resources (the program under Pulumi's mocks) and config, the per-order counts of the code paths
 * (scripts/cost/perOrder.ts) and list prices (scripts/cost/prices.ts). Prints a table per service with the stack
 * under a STANDARD and an EXPRESS workflow side by side, and the original design (the seed report's) on the same
 * work; then the totals, the cost per million orders and the ratio of the seed's cost to EXPRESS.
 */
import * as fs from 'fs';
import * as path from 'path';
import { failWith, parseFlags } from './cli';
import {
  DURATION_KEYS,
  type DesignFacts,
  type Durations,
  type LineItem,
  type Workload,
  monthlyCost,
  outcomeMix,
  totalOf,
} from './cost/model';
import { SEED_DURATIONS, dofsDurations, dofsFacts, seedFacts } from './cost/facts';
import { OUTCOMES } from './cost/perOrder';
import { PRICES } from './cost/prices';

const STACKS = ['dev', 'staging', 'prod'];
const WORKFLOWS = ['STANDARD', 'EXPRESS', 'both'];
const DURATION_NAMES = [...DURATION_KEYS, ...DURATION_KEYS.map((k) => `seed.${k}`)];

const fail = failWith('cost');
const flags = parseFlags(
  'cost',
  {
    stack: { type: 'string' },
    'orders-per-month': { type: 'string' },
    'polls-per-order': { type: 'string', default: '3' },
    'rejected-share': { type: 'string', default: '0.05' },
    'dead-letter-share': { type: 'string', default: '0.001' },
    'stored-orders': { type: 'string' },
    'duration-ms': { type: 'string', multiple: true, default: [] },
    workflow: { type: 'string', default: 'both' },
  },
  `--stack ${STACKS.join('|')} --orders-per-month N [--polls-per-order N] [--rejected-share R] [--dead-letter-share R] ` +
    `[--stored-orders N] [--duration-ms NAME=MS ...] [--workflow ${WORKFLOWS.join('|')}]`,
);

const wholeNumber = (name: string, text: string, min: number) => {
  if (!/^\d+$/.test(text) || Number(text) < min || !Number.isSafeInteger(Number(text)))
    fail(`--${name} '${text}' is not allowed: expected a whole number of at least ${min}`);
  return Number(text);
};
const share = (name: string, text: string) => {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1)
    fail(`--${name} '${text}' is not allowed: expected a number from 0 to 1`);
  return n;
};

if (flags.stack === undefined) fail(`--stack is required: expected one of ${STACKS.join(', ')}`);
const stack = flags.stack!;
if (!STACKS.includes(stack)) fail(`--stack '${stack}' is not allowed: expected one of ${STACKS.join(', ')}`);
if (flags['orders-per-month'] === undefined) fail('--orders-per-month is required: expected a whole number of at least 1');
const ordersPerMonth = wholeNumber('orders-per-month', flags['orders-per-month']!, 1);
const pollsPerOrder = wholeNumber('polls-per-order', flags['polls-per-order'], 0);
const rejectedShare = share('rejected-share', flags['rejected-share']);
const deadLetterShare = share('dead-letter-share', flags['dead-letter-share']);
if (rejectedShare + deadLetterShare > 1)
  fail(
    `--rejected-share ${rejectedShare} and --dead-letter-share ${deadLetterShare} are not allowed together: their sum must be at most 1`,
  );
const storedOrders = flags['stored-orders'] === undefined ? ordersPerMonth : wholeNumber('stored-orders', flags['stored-orders'], 0);
const workflow = flags.workflow;
if (!WORKFLOWS.includes(workflow)) fail(`--workflow '${workflow}' is not allowed: expected one of ${WORKFLOWS.join(', ')}`);
const durationOverrides: Record<string, number> = {};
for (const d of flags['duration-ms']) {
  const m = /^([a-z.-]+)=(\d+(?:\.\d+)?)$/.exec(d);
  if (!m || !DURATION_NAMES.includes(m[1]) || Number(m[2]) <= 0)
    fail(`--duration-ms '${d}' is not allowed: expected NAME=MS with MS above 0 and NAME one of ${DURATION_NAMES.join(', ')}`);
  durationOverrides[m![1]] = Number(m![2]);
}

const usd = (n: number) => (n >= 100 ? `$${n.toFixed(0)}` : n >= 1 ? `$${n.toFixed(2)}` : `$${n.toFixed(3)}`);
const qty = (n: number) =>
  n >= 999.5e6
    ? `${(n / 1e9).toFixed(2)}G`
    : n >= 999.5e3
      ? `${(n / 1e6).toFixed(2)}M`
      : n >= 1e3
        ? `${(n / 1e3).toFixed(1)}k`
        : Number.isInteger(n) || n >= 10
          ? n.toFixed(0)
          : n.toFixed(2);
const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

const main = async () => {
  // The program only now: flags are refused without loading Pulumi.
  const { synth, stackConfig } = await import('../local/mockProgram');
  const raw = stackConfig(stack);
  const { resources, config } = await synth(stack, raw);
  const runtimeDir = path.join(__dirname, '..', 'runtime');
  const sources = fs
    .readdirSync(runtimeDir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => fs.readFileSync(path.join(runtimeDir, f), 'utf8'));

  const workload: Workload = {
    ordersPerMonth,
    pollsPerOrder,
    rejectedShare,
    deadLetterShare,
    fulfillmentSuccessRate: config.fulfillmentSuccessRate,
    storedOrders,
  };
  const designs: { facts: DesignFacts; durations: Durations }[] = [];
  for (const type of ['STANDARD', 'EXPRESS'] as const) {
    if (workflow !== 'both' && workflow !== type) continue;
    const facts = dofsFacts(resources, config, sources, type);
    const defaults = dofsDurations(storedOrders, facts.orderItemBytes, facts.functions['api-handler'].timeoutSeconds, facts.reconcilerRead);
    designs.push({ facts, durations: { ...defaults, ...pick(durationOverrides, '') } });
  }
  designs.push({ facts: seedFacts(), durations: { ...SEED_DURATIONS, ...pick(durationOverrides, 'seed.') } });
  const bills = designs.map((d) => monthlyCost(d.facts, workload, d.durations));

  const region = raw['aws:region'] ?? 'eu-west-1';
  const mix = outcomeMix(workload);
  const dofs = designs[0].facts;
  const fnLine = (['api-handler', 'validator', 'store-order', 'fulfillment', 'dlq-handler'] as const)
    .map((n) => `${n} ${dofs.functions[n].memoryMb} MB ${dofs.functions[n].architecture}`)
    .join(', ');
  const out: string[] = [];
  out.push(
    `DOFS monthly cost: stack ${stack} (${region}; runs ${config.workflowType}), ${ordersPerMonth.toLocaleString('en-US')} orders a month, list prices without free tiers`,
    `  orders: ${OUTCOMES.map((o) => `${(mix[o] * 100).toFixed(1)}% ${o}`).join(', ')} (fulfillmentSuccessRate ${config.fulfillmentSuccessRate}); ` +
      `${pollsPerOrder} GET polls an order; ${storedOrders.toLocaleString('en-US')} orders stored`,
    `  from the stack: ${fnLine}; log level ${config.logLevel} (Lambda application ${dofs.functions.validator.applicationLogLevel}, ` +
      `system ${dofs.functions.validator.systemLogLevel}), workflow log ${dofs.workflowLogLevel}; tracing ${config.tracing}; ` +
      `batch ${dofs.fulfillmentBatching.batchSize} within ${dofs.fulfillmentBatching.windowSeconds} s; maxReceiveCount ${dofs.maxReceiveCount}; ` +
      `reconciler every ${dofs.reconcileEveryMinutes} min; ${dofs.alarms} alarms, ${dofs.dashboards} dashboard, ${dofs.customMetrics} custom metrics, ${dofs.kmsKeys} KMS key`,
    '',
  );
  if (region !== PRICES.lambdaRequest.region)
    out.push(`  note: the prices are ${PRICES.lambdaRequest.region}'s; this stack is in ${region}`, '');

  const COL = 28;
  const LABEL = 46;
  const header = pad('', LABEL) + designs.map((d) => lpad(d.facts.label, COL)).join('');
  out.push(header);
  const services = [...new Set(bills.flatMap((b) => b.map((i) => i.service)))];
  const totals = bills.map(totalOf);
  for (const service of services) {
    const items = [...new Set(bills.flatMap((b) => b.filter((i) => i.service === service).map((i) => `${i.item}\u0000${i.unit}`)))];
    const sums = bills.map((b) => totalOf(b.filter((i) => i.service === service)));
    out.push(pad(service, LABEL) + sums.map((s) => lpad(usd(s), COL)).join(''));
    for (const key of items) {
      const [item, unit] = key.split('\u0000');
      const cells = bills.map((b) => {
        const line: LineItem | undefined = b.find((i) => i.service === service && i.item === item && i.unit === unit);
        return lpad(line ? `${qty(line.quantity)} ${unit.split(' ')[0]}  ${usd(line.usd)}` : '-', COL);
      });
      out.push(pad(`  ${item}${unit.includes(' ') ? ` (${unit.split(' ').slice(1).join(' ')})` : ''}`, LABEL) + cells.join(''));
    }
  }
  out.push(
    '',
    pad('total a month', LABEL) + totals.map((t) => lpad(usd(t), COL)).join(''),
    pad('per million orders', LABEL) + totals.map((t) => lpad(usd((t / ordersPerMonth) * 1e6), COL)).join(''),
    pad('transitions per order (REJ/FUL/OOS/DLQ)', LABEL) +
      designs.map((d) => lpad(OUTCOMES.map((o) => d.facts.counts.perOutcome[o].stateTransitions).join('/'), COL)).join(''),
  );
  const seedTotal = totals[totals.length - 1];
  const express = designs.findIndex((d) => d.facts.label === 'EXPRESS');
  const standard = designs.findIndex((d) => d.facts.label === 'STANDARD');
  if (express >= 0) out.push('', `seed / EXPRESS: ${(seedTotal / totals[express]).toFixed(2)}×`);
  if (standard >= 0) out.push(`seed / STANDARD: ${(seedTotal / totals[standard]).toFixed(2)}×`);
  const scan = (b: LineItem[]) => b.find((i) => i.item.startsWith('reconciler Scan'))?.usd ?? 0;
  if (express >= 0 && scan(bills[express]) > 0)
    out.push(
      `the reconciler's full-table Scan is ${usd(scan(bills[express]))} of EXPRESS's ${usd(totals[express])} and grows with the table; ` +
        `without it, seed / EXPRESS: ${(seedTotal / (totals[express] - scan(bills[express]))).toFixed(2)}×`,
    );
  out.push(
    '',
    `durations (ms): ${designs.map((d) => `${d.facts.label}: ${DURATION_KEYS.map((k) => `${k} ${d.durations[k]}`).join(', ')}`).join('; ')} ` +
      `(--duration-ms NAME=MS, seed.NAME=MS for the seed)`,
    `prices: ${PRICES.lambdaRequest.region}, looked up ${PRICES.lambdaRequest.lookedUp}, each with its source in scripts/cost/prices.ts; ` +
      'the per-order counts and their code paths: scripts/cost/perOrder.ts',
  );
  console.log(out.join('\n'));
};

/** The overrides of one design: `seed.` names for the seed, bare names for DOFS. */
function pick(overrides: Record<string, number>, prefix: string): Partial<Durations> {
  return Object.fromEntries(
    Object.entries(overrides)
      .filter(([k]) => (prefix === '' ? !k.includes('.') : k.startsWith(prefix)))
      .map(([k, v]) => [k.slice(prefix.length), v]),
  );
}

// Imported (tests/cost/cli.test.ts), the script checks its flags and stops there.
if (require.main === module)
  main().then(
    () => process.exit(0),
    (e: unknown) => fail((e as Error).stack ?? String(e)),
  );
