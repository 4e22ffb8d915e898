/**
 * `npm run chaos -- --orders 10000 --fault-rate 0.05 --duplicates 0.1 --workflow EXPRESS`: starts one local
 * cloud of that workflow type with errors and timeouts (each at the fault rate) in every function and in
 * SendToQueue, SQS redeliveries at the fault rate and, under EXPRESS, that share of duplicate executions; posts
 * the orders as a well-behaved client does (an Idempotency-Key each, 5xx and timeouts retried with the same key,
 * a share posted twice, some of those beside the first), printing progress; waits until every accepted order is
 * terminal and prints the conservation ledger (tests/support/chaos.ts). A benchmark: figures are printed, no
 * timing is asserted; it exits 1 if any conservation figure is not 0.
 */
import { conservationFailures, formatChaosReport, runChaos } from '../tests/support/chaos';
import { failWith, parseFlags } from './cli';

const WORKFLOWS = ['STANDARD', 'EXPRESS'] as const;
const fail = failWith('chaos');
const flags = parseFlags(
  'chaos',
  {
    orders: { type: 'string', default: '10000' },
    'fault-rate': { type: 'string', default: '0.05' },
    duplicates: { type: 'string', default: '0.1' },
    workflow: { type: 'string', default: 'EXPRESS' },
    'duplicate-executions': { type: 'string' },
    'max-in-flight': { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '16' },
  },
  '--orders N --fault-rate R --duplicates R --workflow EXPRESS|STANDARD [--duplicate-executions R] [--max-in-flight N] [--concurrency N]',
);
const rate = (name: string, text: string) => {
  const n = Number(text);
  if (!/^\d*\.?\d+$/.test(text) || n > 1) fail(`--${name} '${text}' is not allowed: expected a number from 0 to 1`);
  return n;
};
const whole = (name: string, text: string, max: number) => {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > max) fail(`--${name} '${text}' is not allowed: expected a whole number from 1 to ${max}`);
  return n;
};
const workflow = flags.workflow as (typeof WORKFLOWS)[number];
if (!WORKFLOWS.includes(workflow)) fail(`--workflow '${flags.workflow}' is not allowed: expected EXPRESS or STANDARD`);
const options = {
  orders: whole('orders', flags.orders, 100_000),
  faultRate: rate('fault-rate', flags['fault-rate']),
  duplicates: rate('duplicates', flags.duplicates),
  // Under EXPRESS, executions run twice at the --duplicates share unless given apart; STANDARD runs each once.
  ...(flags['duplicate-executions'] === undefined
    ? {}
    : { duplicateExecutions: rate('duplicate-executions', flags['duplicate-executions']) }),
  workflow,
  maxInFlight: whole('max-in-flight', flags['max-in-flight'], 100_000),
  concurrency: whole('concurrency', flags.concurrency, 256),
};

const main = async () => {
  console.log(
    `chaos: ${options.orders} orders under ${workflow}, fault rate ${options.faultRate}, duplicates ${options.duplicates}; starting the local cloud...`,
  );
  const report = await runChaos({ ...options, progress: (line) => console.log(line) });
  console.log(formatChaosReport(report));
  const broken = conservationFailures(report);
  if (broken > 0) fail(`${broken} conservation failures (see the ledger above)`);
};

main().catch((e: unknown) => fail((e as Error).stack ?? String(e)));
