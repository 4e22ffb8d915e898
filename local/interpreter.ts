import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';
import { ExecutionHistory, type TaskTarget, taskTargetOf } from './executionHistory';
import { FunctionError } from './functions';
import { threadClock } from './runningClock';
import type { ExecutionOutcome, ExecutionRequest, ExecutionRunner } from './stepFunctions';

/** The interpreter, for tests: it is installed under local/ (local/package.json), out of their reach. */
export { ExecutionError, StateMachine };

/** How a Task's resource is carried out locally (the state machine's own ASL is not changed). */
export type TaskRunner = (input: never) => Promise<unknown>;

/**
 * The task runner of a Lambda task (plain function ARN): the state's input is the event, the function's
 * result the task's result. A function error reaches the state machine as Step Functions hands it on:
 * the Error is the function's error type (what Retry and Catch match, see the tutorial "Handling error
 * conditions in a Step Functions state machine") and the Cause is the error payload Lambda returned, the
 * runtime's `{errorType, errorMessage, trace}` as JSON text (LocalStack's recorded AWS behaviour,
 * localstack-core stepfunctions lambda_eval_utils.py, passes the payload as the cause). The interpreter
 * takes a thrown error's `name` as the Error and its `message` as the Cause.
 */
export const lambdaTask =
  (invoke: (event: unknown) => Promise<unknown>): TaskRunner =>
  async (input: unknown) => {
    try {
      return await invoke(input);
    } catch (e) {
      if (e instanceof FunctionError) throw Object.assign(new Error(e.payload), { name: e.name });
      throw e;
    }
  };

/**
 * Step Functions' payload quota: a task's result (as every state's input and output) is at most 256 KiB
 * as a UTF-8 string ("Step Functions service quotas"). A larger result fails the state with
 * States.DataLimitExceeded, a terminal error that States.ALL does not catch ("Error handling in Step
 * Functions workflows", error names), with the cause LocalStack records from AWS
 * (localstack-core stepfunctions state_task_lambda.py `_verify_size_quota`).
 */
export const STATE_DATA_LIMIT_BYTES = 262_144;

type StateDefinition = {
  readonly Type: string;
  readonly Resource?: string;
  readonly TimeoutSeconds?: number;
  readonly HeartbeatSeconds?: number;
  readonly Retry?: unknown;
  readonly Catch?: unknown;
};

/**
 * `run` with the payload quota applied to its result. The error is made terminal for the interpreter
 * (neither retried nor caught, by States.ALL or States.TaskFailed) unless the state names
 * States.DataLimitExceeded in a rule of its own, which then matches it by name.
 */
const withDataLimit =
  (state: StateDefinition, run: TaskRunner): TaskRunner =>
  async (input: never) => {
    const result = await run(input);
    if (Buffer.byteLength(JSON.stringify(result ?? null)) > STATE_DATA_LIMIT_BYTES) {
      const named = JSON.stringify([state.Retry ?? [], state.Catch ?? []]).includes('"States.DataLimitExceeded"');
      throw Object.assign(
        new Error(`The state/task '${state.Resource}' returned a result with a size exceeding the maximum number of bytes service limit.`),
        { name: 'States.DataLimitExceeded', isRetryable: named, isCatchable: named },
      );
    }
    return result;
  };

/**
 * `run` under the Task's TimeoutSeconds, counted on this thread's {@link threadClock} rather than the
 * interpreter's wall-clock timer: the back end runs at a lower priority, and on a busy host a compressed
 * timeout of a second or two on the wall clock would time out tasks that were only not scheduled. The
 * error is the interpreter's own: `States.Timeout`, with no cause (AWS gives it none). Unlike AWS, a
 * `States.TaskFailed` rule would match it here; no rule in the program names `States.TaskFailed`.
 */
const withTimeout =
  (timeoutMs: number, run: TaskRunner): TaskRunner =>
  (input: never) =>
    new Promise((resolve, reject) => {
      const cancel = threadClock.after(timeoutMs, () => reject(Object.assign(new Error('States.Timeout'), { name: 'States.Timeout' })));
      run(input).then(
        (v) => (cancel(), resolve(v)),
        (e: unknown) => (cancel(), reject(e as Error)),
      );
    });

/** The interpreter's own TimeoutSeconds for a Task whose timeout {@link withTimeout} keeps: out of reach (23 days, under setTimeout's 2^31 ms). */
const UNREACHED_TIMEOUT_SECONDS = 2_000_000;

/** A Task's TimeoutSeconds when it sets none (Task state reference, state-task.html). */
const TASK_TIMEOUT_DEFAULT_SECONDS = 60;

/** Validates a definition as the interpreter does (asl-validator, paths, ARNs): throws on the first problem. */
const validated = (definition: InterpreterSpec['definition']): StateMachine =>
  new StateMachine(definition as never, { validationOptions: { checkPaths: true, checkArn: true } });

export interface InterpreterSpec {
  readonly definition: { readonly States: Record<string, StateDefinition> };
  /** One runner per Task state name. */
  readonly tasks: Record<string, TaskRunner>;
  /**
   * The definition as it is run, when it differs from the declared one: the local cloud runs a copy whose
   * waits are compressed (`local/waits.ts` `compressDefinition`). The declared one is validated.
   */
  readonly interpreted?: { readonly States: Record<string, StateDefinition> };
  /** A fixed pause before each retry, in ms, in place of the retriers' backoff (tests). */
  readonly retryIntervalMs?: number;
  /** Executions interpreted at once; the others wait, RUNNING, as a few hundred bytes each. */
  readonly maxConcurrent: number;
  /**
   * Record each execution's history (GetExecutionHistory) with the state machine's role and region, as a
   * STANDARD state machine does; without it, none is kept (EXPRESS keeps none either).
   */
  readonly history?: { readonly roleArn: string; readonly region: string };
}

/** An execution the interpreter was given and has not finished: its history and how to stop it. */
interface Live {
  readonly history?: ExecutionHistory;
  abort?: () => void;
  /** Its result is known: too late to stop it. */
  settled?: boolean;
  /** `run`'s promise: settled once its outcome is handed on. */
  finished?: Promise<ExecutionOutcome>;
  stopped?: { readonly error?: string; readonly cause?: string };
}

/**
 * The rendered ASL run by aws-local-stepfunctions, with Lambda tasks and service integrations carried out
 * by `tasks`. Returns the runner behind the local Step Functions endpoint. At most `maxConcurrent`
 * executions are interpreted at once: a burst of thousands of StartExecutions would otherwise hold
 * thousands of interpreter states (and their waiting task payloads) in memory while the back end, at its
 * lower priority, catches up. `stop` aborts an execution, waiting or running, as StopExecution does; the
 * task it was running is not interrupted (nor is a Lambda invocation on AWS), its result is dropped.
 */
export const makeInterpreter = (spec: InterpreterSpec, log: (line: string) => void): ExecutionRunner => {
  validated(spec.definition);
  // Task timeouts are kept by withTimeout, from the definition as it is run; the interpreter's are put out of reach.
  const interpreted = spec.interpreted ?? spec.definition;
  const timeoutsKept = Object.fromEntries(
    Object.entries(interpreted.States).map(([name, state]) => [
      name,
      state.Type === 'Task' ? { ...state, TimeoutSeconds: UNREACHED_TIMEOUT_SECONDS } : state,
    ]),
  );
  // The compressed copy has fractions of a second where the declared definition has whole ones: it was validated as declared.
  const machine = new StateMachine({ ...interpreted, States: timeoutsKept } as never, { validationOptions: { noValidate: true } });
  const retryIntervalOverrides: Record<string, number> = {};
  const targets: Record<string, TaskTarget> = {};
  for (const [name, state] of Object.entries(spec.definition.States)) {
    if (state.Retry && spec.retryIntervalMs !== undefined) retryIntervalOverrides[name] = spec.retryIntervalMs;
    const target = state.Type === 'Task' ? taskTargetOf(state) : undefined;
    if (target) targets[name] = target;
  }
  const tasks = Object.fromEntries(
    Object.entries(spec.tasks).map(([name, run]) => [name, withDataLimit(spec.definition.States[name] ?? { Type: 'Task' }, run)]),
  );
  /** The task runners of one execution: each call of a resource is an attempt in its history. */
  const recorded = (history: ExecutionHistory) =>
    Object.fromEntries(
      Object.entries(tasks).map(([name, run]) => [
        name,
        async (input: never) => {
          const attempt = history.taskCalled(name, input);
          try {
            const output = await run(input);
            attempt.result = { ok: true, output, at: Date.now() };
            return output;
          } catch (e) {
            attempt.result = { ok: false, error: (e as Error).name, cause: (e as Error).message, at: Date.now() };
            throw e;
          }
        },
      ]),
    );
  /** Runners under their Task's timeout, outside the recording: a timed-out attempt has no result, and its history says TimedOut. */
  const timed = (runners: Record<string, TaskRunner>) =>
    Object.fromEntries(
      Object.entries(runners).map(([name, run]) => [
        name,
        withTimeout((interpreted.States[name]?.TimeoutSeconds ?? TASK_TIMEOUT_DEFAULT_SECONDS) * 1000, run),
      ]),
    );
  const untracked = timed(tasks);
  const histories = new Map<string, ExecutionHistory>();
  const live = new Map<string, Live>();
  let running = 0;
  const waiting: (() => void)[] = [];

  const interpret = async ({ executionArn, name, input }: ExecutionRequest, state: Live): Promise<ExecutionOutcome> => {
    const { history } = state;
    const execution = machine.run(JSON.parse(input) as never, {
      overrides: { taskResourceLocalHandlers: (history ? timed(recorded(history)) : untracked) as never, retryIntervalOverrides },
      context: {
        Execution: { Id: executionArn, Name: name },
        State: {
          get EnteredTime() {
            return new Date().toISOString();
          },
        },
      },
    });
    state.abort = execution.abort;
    // The event stream lags the execution by microtasks and ends with the execution's own end event; an
    // abort ends it after every event before the abort, where ExecutionAborted goes.
    const observed = history
      ? (async () => {
          for await (const event of execution.eventLogs) {
            if (event.type === 'ExecutionAborted') history.abort(state.stopped?.error, state.stopped?.cause);
            else history.observe(event);
          }
        })()
      : Promise.resolve();
    // Set in the same microtask run as the result: a stop (a message, a macrotask) sees either a running
    // execution, which the abort then ends, or a settled one.
    const result = execution.result.finally(() => (state.settled = true));
    let outcome: ExecutionOutcome;
    try {
      outcome = { status: 'SUCCEEDED', output: JSON.stringify(await result) };
    } catch (e) {
      if (e instanceof ExecutionAbortedError) outcome = { status: 'ABORTED', ...state.stopped };
      // The state machine's own TimeoutSeconds: TIMED_OUT, as DescribeExecution reports it (API_DescribeExecution.html, status).
      else if (e instanceof ExecutionTimeoutError) outcome = { status: 'TIMED_OUT' };
      else {
        const cause = e instanceof ExecutionError ? (e.cause as Error) : (e as Error);
        const error = cause?.name ?? 'Error';
        // The interpreter's own errors (States.Timeout) carry their name as message; AWS gives them no cause.
        outcome = { status: 'FAILED', error, ...(cause?.message && cause.message !== error ? { cause: cause.message } : {}) };
        log(`[state-machine ${name.slice(0, 8)}] execution failed: ${outcome.error}: ${outcome.cause ?? '(no cause)'}`);
      }
    }
    await observed;
    history?.end(outcome);
    return outcome;
  };

  return {
    run: (request) => {
      const state: Live = {};
      if (spec.history) {
        const history = new ExecutionHistory(targets, spec.history.region);
        history.started(request.input, spec.history.roleArn);
        histories.set(request.executionArn, history);
        Object.assign(state, { history });
      }
      live.set(request.executionArn, state);
      state.finished = (async (): Promise<ExecutionOutcome> => {
        try {
          if (running >= spec.maxConcurrent) await new Promise<void>((r) => waiting.push(r));
          running++;
          try {
            // Stopped while it waited: it never starts.
            return state.stopped ? { status: 'ABORTED', ...state.stopped } : await interpret(request, state);
          } finally {
            running--;
            waiting.shift()?.();
          }
        } finally {
          live.delete(request.executionArn);
        }
      })();
      return state.finished;
    },
    stop: (executionArn, reason) => {
      const state = live.get(executionArn);
      if (!state) return Promise.resolve(false);
      // Ended, its outcome not yet handed on: false once it is (callers see the outcome first).
      if (state.settled) return state.finished!.then(() => false);
      if (state.stopped) return Promise.resolve(true);
      state.stopped = reason;
      if (state.abort) state.abort();
      else state.history?.abort(reason.error, reason.cause); // still waiting for its turn
      return Promise.resolve(true);
    },
    // After the microtasks queued so far: the history then holds every event the interpreter has dispatched.
    history: async (executionArn) => {
      await new Promise((r) => setImmediate(r));
      return histories.get(executionArn)?.events ?? [];
    },
  };
};
