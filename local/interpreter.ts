import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import { FunctionError } from './functions';
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

type StateDefinition = { readonly Type: string; readonly Resource?: string; readonly Retry?: unknown; readonly Catch?: unknown };

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

export interface InterpreterSpec {
  readonly definition: { readonly States: Record<string, StateDefinition> };
  /** One runner per Task state name. */
  readonly tasks: Record<string, TaskRunner>;
  /** Retry pause per attempt, in ms: retry counts are kept, waits are compressed. */
  readonly retryIntervalMs: number;
  /** Executions interpreted at once; the others wait, RUNNING, as a few hundred bytes each. */
  readonly maxConcurrent: number;
}

/**
 * The rendered ASL run by aws-local-stepfunctions, with Lambda tasks and service integrations carried out
 * by `tasks`. Returns the runner behind the local Step Functions endpoint. At most `maxConcurrent`
 * executions are interpreted at once: a burst of thousands of StartExecutions would otherwise hold
 * thousands of interpreter states (and their waiting task payloads) in memory while the back end, at its
 * lower priority, catches up.
 */
export const makeInterpreter = (spec: InterpreterSpec, log: (line: string) => void): ExecutionRunner => {
  const machine = new StateMachine(spec.definition as never, { validationOptions: { checkPaths: true, checkArn: true } });
  const retryIntervalOverrides: Record<string, number> = {};
  for (const [name, state] of Object.entries(spec.definition.States)) {
    if (state.Retry) retryIntervalOverrides[name] = spec.retryIntervalMs;
  }
  const tasks = Object.fromEntries(
    Object.entries(spec.tasks).map(([name, run]) => [name, withDataLimit(spec.definition.States[name] ?? { Type: 'Task' }, run)]),
  );
  let running = 0;
  const waiting: (() => void)[] = [];
  const interpret = async ({ executionArn, name, input }: ExecutionRequest): Promise<ExecutionOutcome> => {
    const execution = machine.run(JSON.parse(input) as never, {
      overrides: { taskResourceLocalHandlers: tasks as never, retryIntervalOverrides },
      context: {
        Execution: { Id: executionArn, Name: name },
        State: {
          get EnteredTime() {
            return new Date().toISOString();
          },
        },
      },
    });
    try {
      return { status: 'SUCCEEDED', output: JSON.stringify(await execution.result) };
    } catch (e) {
      const cause = e instanceof ExecutionError ? (e.cause as Error) : (e as Error);
      const outcome = { status: 'FAILED' as const, error: cause?.name ?? 'Error', cause: cause?.message ?? '' };
      log(`[state-machine ${name.slice(0, 8)}] execution failed: ${outcome.error}: ${outcome.cause}`);
      return outcome;
    }
  };
  return async (request) => {
    if (running >= spec.maxConcurrent) await new Promise<void>((r) => waiting.push(r));
    running++;
    try {
      return await interpret(request);
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
};
