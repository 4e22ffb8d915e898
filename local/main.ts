/**
 * `npm start`: the whole DOFS system on this machine. Runs the Pulumi program for a stack under the mock
 * monitor and serves its API on http://127.0.0.1:$PORT. Ctrl-C stops everything.
 */
import { parseArgs } from 'util';
import { LocalCloudError, TIME_COMPRESSION, knownStacks, startLocalCloud } from './cloud';

const USAGE = `usage: npm start -- [--stack dev] [--port 3000] [--persist] [--quiet] [--config key=value ...] [--revoke role:action ...]
                     [--duplicate-executions RATE] [--redeliveries RATE]

  --stack NAME        the stack whose Pulumi.<NAME>.yaml config to run (default dev)
  --port N            port on 127.0.0.1 for the API (default $PORT or 3000; 0 picks a free one)
  --persist           keep DynamoDB data under .dofs/<stack>/ between runs (default: in memory);
                      $DOFS_DATA_DIR, if set, is used instead of .dofs
  --quiet             do not stream the functions' log lines
  --config KEY=VALUE  override a stack config value, e.g. --config 'faults={"fulfillment":{"errorRate":1}}'
  --revoke GRANT      fault injection: take a grant ROLE:ACTION away from a declared role, to see what a
                      missing grant does, e.g. --revoke dofs-store-order-role:dynamodb:UpdateItem

  At-least-once behaviours of AWS, which the local cloud otherwise never shows (RATE: a share from 0 to 1):
  --duplicate-executions RATE   an EXPRESS state machine runs that share of its executions a second time,
                      alternately at once and after the first ends (asynchronous Express runs at least once);
                      ignored, with a line saying so, for a STANDARD one (which runs exactly once)
  --redeliveries RATE the event source mappings deliver that share of the messages they receive twice, as a
                      standard queue delivers more than one copy now and then`;

/** A share from 0 to 1, written in decimal (`0.05`, `.5`, `1`); anything else names the flag and what is allowed. */
const rateFlag = (flag: string, text: string): number => {
  const n = Number(text);
  if (!/^\d*\.?\d+$/.test(text) || n > 1) throw new LocalCloudError(`--${flag} '${text}' is not a rate: expected a number from 0 to 1`);
  return n;
};

/** Parses the flags; a bad one is a one-line error naming the flag, the value and what is allowed. */
export const parseFlags = (argv: string[], env: NodeJS.ProcessEnv) => {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        stack: { type: 'string', default: 'dev' },
        port: { type: 'string' },
        persist: { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false },
        config: { type: 'string', multiple: true, default: [] },
        revoke: { type: 'string', multiple: true, default: [] },
        'duplicate-executions': { type: 'string', default: '0' },
        redeliveries: { type: 'string', default: '0' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    throw new LocalCloudError(`${(e as Error).message.split('\n')[0]}; run 'npm start -- --help' for the flags`);
  }
  const v = parsed.values;
  const portText = v.port ?? env.PORT ?? '3000';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) {
    throw new LocalCloudError(`--port '${portText}' is not a port: expected a whole number from 0 to 65535`);
  }
  const config: Record<string, string> = {};
  for (const entry of v.config) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new LocalCloudError(`--config '${entry}' is not KEY=VALUE: expected e.g. --config fulfillmentSuccessRate=0.5`);
    const key = entry.slice(0, eq);
    config[key.includes(':') ? key : `dofs:${key}`] = entry.slice(eq + 1);
  }
  return {
    stack: v.stack,
    port,
    persist: v.persist,
    quiet: v.quiet,
    config,
    revoke: v.revoke,
    duplicateExecutions: rateFlag('duplicate-executions', v['duplicate-executions']),
    redeliveries: rateFlag('redeliveries', v.redeliveries),
    help: v.help,
  };
};

const main = async () => {
  const flags = parseFlags(process.argv.slice(2), process.env);
  if (flags.help) {
    console.log(USAGE);
    return;
  }
  const log = (line: string) => process.stdout.write(line + '\n');
  const cloud = await startLocalCloud({
    stack: flags.stack,
    port: flags.port,
    persist: flags.persist,
    dataRoot: process.env.DOFS_DATA_DIR || undefined,
    config: flags.config,
    log,
    functionLogs: !flags.quiet,
    revoke: flags.revoke,
    duplicateExecutions: flags.duplicateExecutions,
    redeliveries: flags.redeliveries,
  });
  log(`  Step Functions endpoint: ${cloud.sfnEndpoint}  state machine: ${cloud.stateMachineArn}`);
  log(`  waits are ${TIME_COMPRESSION}× shorter than on AWS; retry and receive counts are the same`);
  // Counted from the process start, so that it is the wait a user sees after `npm start`.
  log(
    `ready in ${process.uptime().toFixed(1)} s: DOFS API on ${cloud.url}  (POST ${cloud.url}/orders, GET ${cloud.url}/orders/{orderId}; Ctrl-C stops)`,
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log('stopping...');
    await cloud.stop();
    log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
};

if (require.main === module) {
  main().catch((e: unknown) => {
    const err = e instanceof Error ? e : new Error(String(e));
    if (err instanceof LocalCloudError || err.name === 'StackConfigError') {
      process.stderr.write(`dofs local cloud: ${err.message}\n`);
    } else {
      process.stderr.write(`dofs local cloud failed: ${err.stack ?? err.message}\n`);
    }
    process.exit(1);
  });
}

export { knownStacks };
