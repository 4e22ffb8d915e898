/**
 * `npm run ops -- redrive`: moves the dead-letter queue's messages back to the orders queue with SQS's
 * message move task (StartMessageMoveTask, then ListMessageMoveTasks until the task ends), printing its
 * progress (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue-redrive.html),
 * with the dlq-handler's event source mapping paused meanwhile (UpdateEventSourceMapping,
 * https://docs.aws.amazon.com/lambda/latest/api/API_UpdateEventSourceMapping.html).
 * The local cloud answers the same calls (local/messageMoves.ts).
 */
import {
  CancelMessageMoveTaskCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { GetEventSourceMappingCommand, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { OpsError } from './outputs';
import type { Target } from './target';

export interface RedriveOptions {
  /** MaxNumberOfMessagesPerSecond (1–500); unset: as fast as SQS moves them. */
  readonly perSecond?: number;
  /** Milliseconds between two looks at the task. */
  readonly pollMs: number;
}

export interface RedriveResult {
  readonly status: 'NOTHING_TO_MOVE' | 'COMPLETED' | 'FAILED' | 'CANCELLED';
  readonly moved: number;
  readonly toMove: number;
  readonly failureReason?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads every `pollMs` until `done` or `boundMs` passed (then with what it last read), showing each value to `seen`. */
const watch = async <T>(
  read: () => Promise<T>,
  done: (v: T) => boolean,
  pollMs: number,
  boundMs: number,
  seen: (v: T) => void = () => undefined,
) => {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const v = await read();
    seen(v);
    if (done(v) || Date.now() > deadline) return v;
    await sleep(pollMs);
  }
};

/** The mapping's states that take an update; any other (Enabling, Disabling, Updating, Creating) is waited out. */
const SETTLED = ['Enabled', 'Disabled'];
/** How long a mapping may stay in a transition before the command gives up waiting (AWS documents no bound). */
const MAPPING_SETTLE_MS = 5 * 60_000;
/** Moves in a row: a message that came back from the dlq-handler after a move started is moved by the next. */
const MAX_MOVES = 3;

/**
 * Moves the dead letters back to the orders queue. The dlq-handler's event source mapping is paused first
 * (UpdateEventSourceMapping Enabled=false), or its pollers would take the messages before the move task and
 * record them FAILED; the messages it held come back once their visibility timeout ends. It is resumed when
 * the move ends, however it ends: on SIGINT, SIGTERM or SIGHUP the move task is cancelled first
 * (CancelMessageMoveTask), so that the dlq-handler never competes with a move. A mapping found disabled before
 * the command ran is left disabled, loudly: dead letters are not recorded while it is.
 */
export const redrive = async (target: Target, options: RedriveOptions, progress: (line: string) => void): Promise<RedriveResult> => {
  const { sqs, lambda } = target.clients;
  const { dlqUrl, operations } = target.outputs;
  const dlqAttributes = async () => {
    const a = (
      await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: dlqUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'VisibilityTimeout'],
        }),
      )
    ).Attributes;
    return {
      visible: Number(a?.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(a?.ApproximateNumberOfMessagesNotVisible ?? 0),
      visibilitySeconds: Number(a?.VisibilityTimeout ?? 30),
    };
  };
  const uuid = operations.dlqHandlerMappingUuid;
  const stateOf = async () => (await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State ?? 'Unknown';
  /** Waits out a transition, then sets `enabled`; a ResourceInUseException (a transition began meanwhile) is waited out too. */
  const setEnabled = async (enabled: boolean) => {
    const deadline = Date.now() + MAPPING_SETTLE_MS;
    for (;;) {
      const state = await watch(stateOf, (st) => SETTLED.includes(st), options.pollMs, Math.max(0, deadline - Date.now()));
      if (!SETTLED.includes(state))
        throw new OpsError(
          `the dlq-handler's mapping ${uuid} is still ${state} after ${MAPPING_SETTLE_MS / 60_000} minutes: try again later`,
        );
      try {
        await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: enabled }));
        return;
      } catch (e) {
        if ((e as Error).name !== 'ResourceInUseException' || Date.now() > deadline) throw e;
      }
    }
  };

  const before = await watch(stateOf, (st) => SETTLED.includes(st), options.pollMs, MAPPING_SETTLE_MS);
  const pause = before === 'Enabled';
  let running: { cancel: () => Promise<void> } | undefined;
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    progress(`${signal}: cancelling the move${pause ? ' and resuming the dlq-handler' : ''} before stopping...`);
    void (async () => {
      await running?.cancel();
      if (pause) await setEnabled(true);
    })()
      .catch((e: Error) =>
        progress(
          `could not finish cleanly (${e.name}: ${e.message}): check the mapping ${uuid} and the move tasks of ${operations.dlqArn}`,
        ),
      )
      .finally(() => process.exit(130));
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  if (pause) {
    for (const sig of signals) process.on(sig, onSignal);
    await setEnabled(false);
    progress(`paused the dlq-handler's event source mapping ${uuid}, so that it does not take the dead letters first`);
  } else {
    progress(
      `WARNING: the dlq-handler's event source mapping ${uuid} is ${before}: dead letters are not being recorded. It is left ${before}; ` +
        `enable it when you are done: aws lambda update-event-source-mapping --uuid ${uuid} --enabled`,
    );
  }
  try {
    if (pause) {
      const state = await watch(stateOf, (st) => st === 'Disabled', options.pollMs, MAPPING_SETTLE_MS);
      if (state !== 'Disabled') throw new OpsError(`the dlq-handler's mapping ${uuid} is still ${state} after 5 minutes; try again later`);
    }
    let total: RedriveResult = { status: 'NOTHING_TO_MOVE', moved: 0, toMove: 0 };
    for (let round = 1; round <= MAX_MOVES && !interrupted; round++) {
      // The messages the dlq-handler held come back once their visibility timeout ends: waited for at most one
      // timeout (and a little), as the counts are approximate and may lag behind.
      let said = -1;
      const first = await dlqAttributes();
      const settled = await watch(
        dlqAttributes,
        (a) => a.inFlight === 0,
        options.pollMs,
        first.visibilitySeconds * 1000 + 5_000,
        (a) => {
          if (a.inFlight !== said && a.inFlight > 0) {
            progress(`waiting for ${a.inFlight} dead letter(s) in flight to come back (visibility timeout ${a.visibilitySeconds} s)...`);
          }
          said = a.inFlight;
        },
      );
      progress(
        `the dead-letter queue holds about ${settled.visible} message(s)${settled.inFlight > 0 ? `, and ${settled.inFlight} still in flight` : ''}`,
      );
      if (settled.visible + settled.inFlight === 0) break;
      const moved = await moveAll(target, options, progress, (r) => (running = r));
      running = undefined;
      total = { ...moved, moved: total.moved + moved.moved, toMove: total.toMove + moved.toMove };
      if (moved.status !== 'COMPLETED') break;
    }
    if (total.status === 'NOTHING_TO_MOVE') progress('nothing to redrive');
    const left = await dlqAttributes();
    if (total.status === 'COMPLETED' && left.visible + left.inFlight > 0) {
      progress(
        `${left.visible + left.inFlight} message(s) are still on the dead-letter queue: run redrive again, or let the dlq-handler record them`,
      );
    }
    return total;
  } finally {
    if (pause && !interrupted) {
      for (const sig of signals) process.off(sig, onSignal);
      await setEnabled(true);
      progress(`resumed the dlq-handler's event source mapping ${uuid}`);
    }
  }
};

/** One message move task, to its end: `onStart` gets a way to cancel it. */
const moveAll = async (
  target: Target,
  options: RedriveOptions,
  progress: (line: string) => void,
  onStart: (task: { cancel: () => Promise<void> }) => void,
): Promise<RedriveResult> => {
  const { sqs } = target.clients;
  const { operations } = target.outputs;
  const startedAt = Date.now();
  const { TaskHandle } = await sqs.send(
    new StartMessageMoveTaskCommand({
      SourceArn: operations.dlqArn,
      DestinationArn: operations.queueArn,
      ...(options.perSecond !== undefined ? { MaxNumberOfMessagesPerSecond: options.perSecond } : {}),
    }),
  );
  onStart({
    cancel: async () => {
      try {
        await sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle }));
      } catch (e) {
        if ((e as Error).name !== 'ResourceNotFoundException') throw e; // it ended meanwhile
      }
      await watch(latest, (t) => t === undefined || (t.Status !== 'RUNNING' && t.Status !== 'CANCELLING'), options.pollMs, 60_000);
    },
  });
  progress(`message move task started: ${operations.dlqArn} → ${operations.queueArn}`);
  // The latest task of the DLQ: ListMessageMoveTasks gives a TaskHandle only while a task is RUNNING
  // (API_ListMessageMoveTasksResultEntry.html), and one task at most runs per queue, so the latest one that
  // started since this command did is this command's.
  async function latest(): Promise<ListMessageMoveTasksResultEntry | undefined> {
    const tasks = (await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: operations.dlqArn, MaxResults: 1 }))).Results ?? [];
    const t = tasks[0];
    // (The latest task is this command's; the time only guards against a listing from before the start, with
    // room for the operator's clock being off AWS's.)
    return t && (t.StartedTimestamp ?? 0) >= startedAt - 5 * 60_000 ? t : undefined;
  }
  let last = -1;
  for (;;) {
    const task = await latest();
    if (!task) throw new OpsError(`the message move task ${TaskHandle ?? '?'} is not listed on ${operations.dlqArn}`);
    const moved = task.ApproximateNumberOfMessagesMoved ?? 0;
    const toMove = task.ApproximateNumberOfMessagesToMove ?? 0;
    if (moved !== last) {
      progress(`moved ${moved} of ${toMove}`);
      last = moved;
    }
    if (task.Status === 'COMPLETED' || task.Status === 'FAILED' || task.Status === 'CANCELLED') {
      progress(`task ${task.Status}${task.FailureReason ? `: ${task.FailureReason}` : ''}: moved ${moved} of ${toMove}`);
      return { status: task.Status, moved, toMove, ...(task.FailureReason ? { failureReason: task.FailureReason } : {}) };
    }
    await sleep(options.pollMs);
  }
};
