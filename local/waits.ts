/**
 * The waits of the local cloud, compressed by one factor from what the program declares (CONTRACT.md,
 * "Local cloud"): the state machine as the interpreter runs it, and the longest an order can wait when
 * one function times out every time, computed from the declared resources. `npm start` prints them; the
 * infra tests check them against the contract's local bound on every stack.
 */
import { TIME_COMPRESSION, lastSegment, localMs } from './common';
import { type Recorded, ofType } from './mockProgram';

/** CONTRACT.md, "Local cloud": every order reaches a terminal status within this, also with 5% injected timeouts. */
export const LOCAL_BOUND_MS = 10_000;

type Json = Record<string, unknown>;

/** Step Functions' defaults for a retrier ("Retrying after an error", concepts-error-handling.html). */
const RETRY_DEFAULTS = { IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 } as const;
/** A Task's TimeoutSeconds when it sets none (Task state reference, state-task.html). */
const TASK_TIMEOUT_DEFAULT_SECONDS = 60;

/**
 * A copy of the state machine's definition with every wait in it compressed: each Task's TimeoutSeconds
 * and HeartbeatSeconds, each retrier's IntervalSeconds and MaxDelaySeconds (so backoff and full jitter
 * keep their shape) and each Wait state's Seconds. Fractions of a second are kept: the interpreter
 * multiplies them into milliseconds. The execution's own TimeoutSeconds is kept as declared: no order's
 * path waits for it, and on a stalled host it must not end an execution that AWS would let finish.
 * Only the interpreter sees the copy; the declared definition is validated as it is.
 */
export const compressDefinition = <D extends { States: Record<string, unknown> }>(definition: D): D => {
  const scale = (seconds: unknown) => (typeof seconds === 'number' ? seconds / TIME_COMPRESSION : seconds);
  const States: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(definition.States)) {
    const state = { ...(s as Json) };
    if (state.Type === 'Task') state.TimeoutSeconds = scale(state.TimeoutSeconds ?? TASK_TIMEOUT_DEFAULT_SECONDS);
    if (state.HeartbeatSeconds !== undefined) state.HeartbeatSeconds = scale(state.HeartbeatSeconds);
    if (state.Type === 'Wait' && state.Seconds !== undefined) state.Seconds = scale(state.Seconds);
    if (Array.isArray(state.Retry)) {
      state.Retry = (state.Retry as Json[]).map((r) => ({
        ...r,
        IntervalSeconds: scale(r.IntervalSeconds ?? RETRY_DEFAULTS.IntervalSeconds),
        ...(r.MaxDelaySeconds !== undefined ? { MaxDelaySeconds: scale(r.MaxDelaySeconds) } : {}),
      }));
    }
    States[name] = state;
  }
  return { ...definition, States };
};

/** The longest a Task can take, in local ms, when every attempt runs to its timeout: attempts × timeout + the longest backoffs. */
const worstTaskMs = (state: Json, attemptMs: number): number => {
  let total = attemptMs;
  for (const r of (state.Retry as Json[] | undefined) ?? []) {
    const attempts = Number(r.MaxAttempts ?? RETRY_DEFAULTS.MaxAttempts);
    const interval = Number(r.IntervalSeconds ?? RETRY_DEFAULTS.IntervalSeconds);
    const rate = Number(r.BackoffRate ?? RETRY_DEFAULTS.BackoffRate);
    const cap = r.MaxDelaySeconds === undefined ? Infinity : Number(r.MaxDelaySeconds);
    for (let i = 0; i < attempts; i++) total += attemptMs + localMs(Math.min(interval * rate ** i, cap));
  }
  return total;
};

/** One function's timeouts and the longest an order waits when that function times out every time. */
export interface FunctionWait {
  readonly name: string;
  /** Its timeout here, ms: compressed, but for the API's functions, whose timeout is a client's wait. */
  readonly timeoutMs: number;
  /** What calls it: a state machine task, a queue, or the API. */
  readonly calledBy: string;
  /** The wait an order can meet when every call of it times out, ms (undefined: no order waits on it, e.g. the API's). */
  readonly worstMs?: number;
  /** How that wait is made up. */
  readonly path: string;
}

/**
 * For each function, the longest an order waits when every call of it times out, from the declared
 * resources, with every wait compressed:
 * - a state machine task: each attempt ends at the function's timeout (or the task's, if sooner), plus
 *   each retry's longest backoff; then the task's Catch ends the order;
 * - a queue's consumer: each receive ends when the visibility timeout lets the message be received again
 *   (the batching window first), `maxReceiveCount` times; then the dead-letter queue's consumer records
 *   it (its batching window, and one visibility timeout if it too timed out once).
 * The rest of an order's path (the calls that succeed) takes milliseconds and is not counted.
 */
export const functionWaits = (resources: readonly Recorded[]): FunctionWait[] => {
  const functions = ofType(resources, 'aws:lambda/function:Function');
  const queues = ofType(resources, 'aws:sqs/queue:Queue');
  const mappings = ofType(resources, 'aws:lambda/eventSourceMapping:EventSourceMapping');
  const timeoutMs = (name: string) => localMs(functions.find((f) => f.name === name)?.inputs.timeout ?? 3);
  const byArn = (arn: string) => functions.find((f) => lastSegment(arn) === f.name || arn.endsWith(`:function:${f.name}`));
  const queueOf = (arn: string) => queues.find((q) => q.name === lastSegment(arn));
  const visibilityMs = (q: (typeof queues)[number] | undefined) =>
    Math.ceil((q?.inputs.visibilityTimeoutSeconds ?? 30) / TIME_COMPRESSION) * 1000;

  const waits = new Map<string, FunctionWait>();
  for (const sm of ofType(resources, 'aws:sfn/stateMachine:StateMachine')) {
    const { States } = JSON.parse(sm.inputs.definition) as { States: Record<string, Json> };
    for (const [stateName, state] of Object.entries(States)) {
      const fn = state.Type === 'Task' && typeof state.Resource === 'string' ? byArn(state.Resource) : undefined;
      if (!fn) continue;
      const attemptMs = Math.min(timeoutMs(fn.name), localMs(Number(state.TimeoutSeconds ?? TASK_TIMEOUT_DEFAULT_SECONDS)));
      const worstMs = worstTaskMs(state, attemptMs);
      const attempts =
        1 + ((state.Retry as Json[] | undefined) ?? []).reduce((n, r) => n + Number(r.MaxAttempts ?? RETRY_DEFAULTS.MaxAttempts), 0);
      waits.set(fn.name, {
        name: fn.name,
        timeoutMs: timeoutMs(fn.name),
        calledBy: `task ${stateName}`,
        worstMs,
        path: `${attempts} attempts of ${attemptMs.toFixed(0)} ms + backoff`,
      });
    }
  }
  const consumerOf = (queueArn: string) => mappings.find((m) => lastSegment(m.inputs.eventSourceArn ?? '') === lastSegment(queueArn));
  for (const m of mappings) {
    const fn = functions.find(
      (f) => lastSegment(String(m.inputs.functionName)) === f.name || String(m.inputs.functionName).includes(f.name),
    );
    const queue = queueOf(m.inputs.eventSourceArn ?? '');
    if (!fn || !queue) continue;
    const windowMs = localMs(m.inputs.maximumBatchingWindowInSeconds ?? 0);
    const receiveMs = windowMs + Math.max(visibilityMs(queue), timeoutMs(fn.name));
    const redrive = queue.inputs.redrivePolicy
      ? (JSON.parse(queue.inputs.redrivePolicy) as { deadLetterTargetArn: string; maxReceiveCount: number })
      : undefined;
    const dlqConsumer = redrive ? consumerOf(redrive.deadLetterTargetArn) : undefined;
    const dlq = redrive ? queueOf(redrive.deadLetterTargetArn) : undefined;
    // After the last receive the message moves to the DLQ, whose consumer records it: its window, and one timeout there too.
    const afterMs = dlqConsumer ? localMs(dlqConsumer.inputs.maximumBatchingWindowInSeconds ?? 0) + visibilityMs(dlq) : 0;
    // A queue without a redrive policy (the DLQ) redelivers until the call succeeds: each timeout adds one receive.
    const receives = redrive?.maxReceiveCount ?? 1;
    waits.set(fn.name, {
      name: fn.name,
      timeoutMs: timeoutMs(fn.name),
      calledBy: `queue ${queue.name}`,
      worstMs: receives * receiveMs + afterMs,
      path: redrive
        ? `${receives} receives of ${receiveMs.toFixed(0)} ms, then the dead-letter queue with one timeout there`
        : `${receiveMs.toFixed(0)} ms for each timed-out receive; redelivered until it succeeds`,
    });
  }
  for (const fn of functions) {
    if (!waits.has(fn.name))
      // A client's wait, kept as declared (see TIME_COMPRESSION).
      waits.set(fn.name, {
        name: fn.name,
        timeoutMs: (fn.inputs.timeout ?? 3) * 1000,
        calledBy: 'the API',
        path: 'a client waits, no order',
      });
  }
  return [...waits.values()];
};

/**
 * Lambda's refusal of an event source mapping whose function timeout exceeds its queue's visibility
 * timeout ("Lambda validates this requirement when you create or update an event source mapping",
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html), in the words of its
 * InvalidParameterValueException; undefined if it takes it. The back end refuses to start such a mapping.
 */
export const visibilityRefusal = (mapping: string, visibilityTimeoutSeconds: number, functionTimeoutSeconds: number): string | undefined =>
  functionTimeoutSeconds > visibilityTimeoutSeconds
    ? `mapping ${mapping}: InvalidParameterValueException: Queue visibility timeout: ${visibilityTimeoutSeconds} seconds is less than ` +
      `Function timeout: ${functionTimeoutSeconds} seconds (Lambda refuses the mapping, so pulumi up fails)`
    : undefined;
