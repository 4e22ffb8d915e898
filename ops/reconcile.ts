/**
 * `npm run ops -- reconcile [--dry-run]` and `npm run ops -- replay ORDER_ID`: the reconciler's own core
 * (runtime/reconciler.ts) run from the operator's machine with the operator's credentials, so that a re-drive
 * by hand takes the same idempotent path, claimed with the same conditional write, as the scheduled one.
 * Its log lines and metrics stay on the operator's terminal (with --verbose): the StuckOrders* metrics count
 * the scheduled runs only.
 */
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { OpsError } from './outputs';
import type { Target } from './target';
import { type Logger, makeLogger } from '../runtime/log';
import { type OrderRecord, TERMINAL_STATUSES, makeOrderTables } from '../runtime/orders';
import { type InFlightOrder, type ReconcileReport, type ReconcilerDeps, reconcile, reconcilerTables } from '../runtime/reconciler';

/** How often a long run says how far it got. */
const PROGRESS_EVERY = 100;

const depsFor = (target: Target, log: Logger): ReconcilerDeps & { tables: ReturnType<typeof makeOrderTables> } => {
  const { outputs, clients } = target;
  const tables = makeOrderTables(clients.db, outputs.ordersTableName, outputs.failedOrdersTableName);
  return {
    tables,
    ...reconcilerTables(tables),
    startExecution: async (name, input) => {
      await clients.sfn.send(new StartExecutionCommand({ stateMachineArn: outputs.stateMachineArn, name, input: JSON.stringify(input) }));
    },
    sendMessage: async (message) => {
      await clients.sqs.send(new SendMessageCommand({ QueueUrl: outputs.queueUrl, MessageBody: JSON.stringify(message) }));
    },
    now: () => new Date(),
    log,
  };
};

export const operatorLogger = (verbose: boolean): Logger =>
  makeLogger('ops', 'INFO', {}, verbose ? (line) => process.stderr.write(line + '\n') : () => undefined);

export interface ReconcileOptions {
  readonly dryRun: boolean;
  /** Minutes an order must have sat ACCEPTED or PENDING; default the stack's `stuckOrderMinutes`. */
  readonly olderThanMinutes?: number;
}

/** Runs the reconciler once over the stack's stuck orders, saying how far it got every {@link PROGRESS_EVERY} orders. */
export const reconcileNow = async (
  target: Target,
  options: ReconcileOptions,
  progress: (line: string) => void,
  log: Logger = operatorLogger(false),
): Promise<ReconcileReport> => {
  const ops = target.outputs.operations;
  const minutes = options.olderThanMinutes ?? ops.stuckOrderMinutes;
  const { tables, ...deps } = depsFor(target, log);
  progress(
    `${options.dryRun ? 'looking for' : 're-driving'} orders ACCEPTED or PENDING for more than ${minutes} minute(s), and FAILED ones left without their record, in ${target.description} ` +
      `(gives up after ${ops.redriveMaxAttempts} re-drives)...`,
  );
  let read = 0;
  async function* counted(olderThan: string): AsyncGenerator<InFlightOrder> {
    for await (const order of tables.stuckOrders(olderThan)) {
      yield order;
      if (++read % PROGRESS_EVERY === 0) progress(`  ${read} stuck orders handled so far...`);
    }
  }
  return reconcile({ stuckAfterMs: minutes * 60_000, maxAttempts: ops.redriveMaxAttempts, dryRun: options.dryRun })({
    ...deps,
    stuckOrders: counted,
  });
};

/**
 * Re-drives one order now, whatever its age, through the reconciler's path: ACCEPTED starts a new execution,
 * PENDING sends its message again. A terminal order is refused: its status must never move backwards.
 */
export const replay = async (target: Target, orderId: string, progress: (line: string) => void, log: Logger = operatorLogger(false)) => {
  const { tables, ...deps } = depsFor(target, log);
  const order: OrderRecord | undefined = await tables.get(orderId);
  if (!order) throw new OpsError(`no order ${orderId} in ${target.outputs.ordersTableName} (${target.description})`);
  if (TERMINAL_STATUSES.includes(order.status)) {
    throw new OpsError(
      `order ${orderId} is ${order.status}${order.failureReason ? ` (${order.failureReason})` : ''} since ${order.updatedAt}: it is terminal, and a replay ` +
        `would move its status backwards, which the contract forbids; the client may POST the order again as a new one`,
    );
  }
  progress(`replaying order ${orderId} (${order.status} since ${order.updatedAt})...`);
  async function* only(): AsyncGenerator<InFlightOrder> {
    yield await Promise.resolve(order as InFlightOrder);
  }
  // Never given up by hand: the operator asked for one more try, whatever the count.
  const report = await reconcile({ stuckAfterMs: 0, maxAttempts: Number.MAX_SAFE_INTEGER })({ ...deps, stuckOrders: only });
  const action = report.actions[0];
  if (!action) throw new OpsError(`order ${orderId} was not re-driven`);
  return action;
};
