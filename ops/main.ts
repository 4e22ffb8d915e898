/**
 * `npm run ops -- <command>`: the operator's commands, the same against a deployed stack and a local cloud.
 * docs/runbook.md says which to run for each alarm.
 */
import { parseArgs } from 'util';
import { localCloudFile } from '../local/discovery';
import { OpsError } from './outputs';
import { operatorLogger, reconcileNow, replay } from './reconcile';
import { redrive } from './redrive';
import { checkOrderId, formatStatus, orderStatus } from './status';
import { type Target, awsTarget, localTarget } from './target';

export const USAGE = `usage: npm run ops -- <command> [flags]

commands:
  status ORDER_ID        the order, its failed-orders record, its executions, its queue messages and every
                         log line that names it, in time order
  redrive                move the dead-letter queue's messages back to the orders queue (SQS message move task)
  replay ORDER_ID        re-drive one order ACCEPTED or PENDING now (a new execution, or its message again)
  reconcile              re-drive every order stuck past the stack's bound, as the scheduled reconciler does
    --dry-run            only say what it would do
    --older-than-minutes N   the bound instead of the stack's stuckOrderMinutes

which system:
  --stack NAME           the stack (default dev)
  --local                the local cloud of that stack (\`npm start\`), found under $DOFS_DATA_DIR or .dofs
  --outputs FILE         a deployed stack's outputs from a file (\`pulumi stack output --json > FILE\`) instead of
                         running the Pulumi CLI; AWS credentials and region come from the SDK's usual chain

output:
  --json                 the result as JSON on stdout (progress stays on stderr)
  --verbose              the reconciler's own log lines on stderr
  --rate N               redrive: at most N messages a second (1-500)`;

const COMMANDS = ['status', 'redrive', 'replay', 'reconcile'] as const;
type Command = (typeof COMMANDS)[number];

const positiveNumber = (flag: string, text: string | undefined, { max, integer }: { max?: number; integer?: boolean } = {}) => {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (
    text.trim() === '' ||
    !Number.isFinite(n) ||
    n < (integer ? 1 : 0) ||
    (integer && !Number.isInteger(n)) ||
    (max !== undefined && n > max)
  ) {
    throw new OpsError(
      `${flag} '${text}' is not allowed: expected ${integer ? 'a whole number' : 'a number'} from ${integer ? 1 : 0}${max !== undefined ? ` to ${max}` : ' up'}`,
      2,
    );
  }
  return n;
};

/** The command line, checked: a bad one names the flag or argument, its value and what is allowed (exit 2). */
export const parseCommandLine = (argv: string[]) => {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        stack: { type: 'string', default: 'dev' },
        local: { type: 'boolean', default: false },
        outputs: { type: 'string' },
        json: { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        'older-than-minutes': { type: 'string' },
        rate: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (e) {
    throw new OpsError(`${(e as Error).message.split('\n')[0]}; run 'npm run ops -- --help' for the commands and flags`, 2);
  }
  const v = parsed.values;
  const [command, ...args] = parsed.positionals;
  if (v.help) return { help: true as const };
  if (command === undefined) throw new OpsError(`a command is required: one of ${COMMANDS.join(', ')}; run 'npm run ops -- --help'`, 2);
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw new OpsError(`command '${command}' is not one of ${COMMANDS.join(', ')}`, 2);
  }
  const takesOrder = command === 'status' || command === 'replay';
  const extra = takesOrder ? args.slice(1) : args;
  if (extra.length > 0)
    throw new OpsError(`'${command}' takes ${takesOrder ? 'one ORDER_ID' : 'no argument'}; '${extra.join(' ')}' is extra`, 2);
  if (!/^[a-z0-9][a-z0-9-]{0,99}$/i.test(v.stack)) throw new OpsError(`--stack '${v.stack}' is not a stack name`, 2);
  if (v.local && v.outputs !== undefined) throw new OpsError('--local and --outputs name two different systems: pass one', 2);
  if (v['dry-run'] && command !== 'reconcile') throw new OpsError(`--dry-run is a flag of 'reconcile', not of '${command}'`, 2);
  if (v['older-than-minutes'] !== undefined && command !== 'reconcile') {
    throw new OpsError(`--older-than-minutes is a flag of 'reconcile', not of '${command}'`, 2);
  }
  if (v.rate !== undefined && command !== 'redrive') throw new OpsError(`--rate is a flag of 'redrive', not of '${command}'`, 2);
  return {
    help: false as const,
    command: command as Command,
    orderId: takesOrder ? checkOrderId(args[0]) : undefined,
    stack: v.stack,
    local: v.local,
    outputsFile: v.outputs,
    json: v.json,
    verbose: v.verbose,
    dryRun: v['dry-run'],
    olderThanMinutes: positiveNumber('--older-than-minutes', v['older-than-minutes']),
    rate: positiveNumber('--rate', v.rate, { max: 500, integer: true }),
  };
};

export type CommandLine = Exclude<ReturnType<typeof parseCommandLine>, { help: true }>;

/** Runs one command against `target`; what it prints, and its exit code. */
export const runCommand = async (
  cl: CommandLine,
  target: Target,
  progress: (line: string) => void,
  print: (line: string) => void,
): Promise<number> => {
  const log = operatorLogger(cl.verbose);
  const emit = (value: unknown, lines: () => string[]) => {
    if (cl.json) print(JSON.stringify(value, null, 2));
    else for (const l of lines()) print(l);
  };
  switch (cl.command) {
    case 'status': {
      const report = await orderStatus(target, cl.orderId!, progress);
      emit(report, () => formatStatus(report));
      return report.order ? 0 : 1;
    }
    case 'redrive': {
      const result = await redrive(
        target,
        { pollMs: target.local ? 100 : 2000, ...(cl.rate !== undefined ? { perSecond: cl.rate } : {}) },
        progress,
      );
      emit(result, () => [
        `redrive ${result.status}: moved ${result.moved} of ${result.toMove}${result.failureReason ? ` (${result.failureReason})` : ''}`,
      ]);
      return result.status === 'COMPLETED' || result.status === 'NOTHING_TO_MOVE' ? 0 : 1;
    }
    case 'replay': {
      const action = await replay(target, cl.orderId!, progress, log);
      emit(action, () => [
        action.action === 'MOVED_ON'
          ? `order ${action.orderId} moved on while it was read; left alone (run status to see where it is)`
          : `order ${action.orderId}: ${action.action === 'RESTARTED_WORKFLOW' ? 'a new workflow execution started' : 'its fulfillment message sent again'} (re-drive ${action.attempt})`,
      ]);
      return 0;
    }
    case 'reconcile': {
      const report = await reconcileNow(target, { dryRun: cl.dryRun, olderThanMinutes: cl.olderThanMinutes }, progress, log);
      emit(report, () => {
        const count = (a: string) => report.actions.filter((x) => x.action === a).length;
        return [
          `${cl.dryRun ? 'dry run: ' : ''}found ${report.found} stuck order(s)${report.complete ? '' : ' (stopped early: run again for the rest)'}; ` +
            `${cl.dryRun ? 'would restart' : 'restarted'} ${count('RESTARTED_WORKFLOW')} workflow(s), ${cl.dryRun ? 'would resend' : 'resent'} ${count('RESENT_MESSAGE')} message(s), ` +
            `${cl.dryRun ? 'would give up' : 'gave up'} ${count('GAVE_UP')}, ${cl.dryRun ? 'would complete' : 'completed'} ${count('COMPLETED_FAILURE')} FAILED order(s) left without their record, ` +
            `${count('MOVED_ON')} moved on meanwhile`,
          ...report.actions.map((a) => `  ${a.orderId}  ${a.status}  ${a.action}  (re-drive ${a.attempt})`),
        ];
      });
      return 0;
    }
  }
};

const main = async (): Promise<number> => {
  const cl = parseCommandLine(process.argv.slice(2));
  if (cl.help) {
    console.log(USAGE);
    return 0;
  }
  const target = cl.local
    ? localTarget(localCloudFile(process.env.DOFS_DATA_DIR || undefined, cl.stack), cl.stack)
    : await awsTarget(cl.stack, cl.outputsFile);
  try {
    return await runCommand(
      cl,
      target,
      (line) => process.stderr.write(line + '\n'),
      (line) => process.stdout.write(line + '\n'),
    );
  } finally {
    target.clients.destroy();
  }
};

if (require.main === module) {
  main().then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      const err = e instanceof Error ? e : new Error(String(e));
      if (err instanceof OpsError) {
        process.stderr.write(`dofs ops: ${err.message}\n`);
        process.exitCode = err.exitCode;
      } else {
        // An AWS error: its name and message say what was refused (credentials, a missing resource, a denial).
        process.stderr.write(`dofs ops failed: ${err.name}: ${err.message}\n`);
        process.exitCode = 1;
      }
    },
  );
}
