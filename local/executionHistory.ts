/**
 * An execution's history as GetExecutionHistory returns it, recorded while the interpreter
 * (aws-local-stepfunctions, `local/interpreter.ts`) runs the execution. Pure: no I/O, no clock but
 * `Date.now()` for the events' timestamps.
 *
 * What is recorded, by the events' names in the API reference
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html):
 * - ExecutionStarted, then ExecutionSucceeded, ExecutionFailed, ExecutionAborted or ExecutionTimedOut;
 * - `<Type>StateEntered` for every state and `<Type>StateExited` for every state but Fail (Task, Choice,
 *   Pass, Wait, Succeed);
 * - a Task on a Lambda function ARN: LambdaFunctionScheduled, LambdaFunctionStarted, then
 *   LambdaFunctionSucceeded, LambdaFunctionFailed or LambdaFunctionTimedOut, once per attempt;
 * - a Task on a service integration (`arn:aws:states:::sqs:sendMessage`, ...): TaskScheduled, TaskStarted,
 *   then TaskSucceeded, TaskFailed or TaskTimedOut, once per attempt.
 * A retry shows only as the next attempt's events and a caught error as the state's Exited event, as on
 * AWS. Ids count from 1; `previousEventId` is the event before, except for ExecutionStarted, the first
 * state's Entered event and ExecutionAborted, which have 0. The shapes, the details' members and the
 * numbering follow AWS histories recorded by LocalStack's validated snapshots
 * (`tests/aws/services/stepfunctions/v2/test_sfn_api.snapshot.json`: test_start_execution,
 * test_stop_execution, test_get_execution_history_reversed; `error_handling/test_task_lambda.snapshot.json`;
 * `services/test_sqs_task_service.snapshot.json`; `services/test_dynamodb_task_service.snapshot.json`;
 * `timeouts/test_timeouts.snapshot.json`; `error_handling/test_states_errors.snapshot.json`).
 * Not recorded: Map and Parallel states' own events (the order workflow has neither), activities,
 * callbacks and `.sync` integrations' TaskSubmitted.
 */

/** One event, in the API's shape; `timestamp` is in ms here and in seconds on the wire. */
export interface HistoryEvent {
  readonly id: number;
  readonly previousEventId: number;
  readonly timestamp: number;
  readonly type: string;
  readonly [details: `${string}EventDetails`]: Record<string, unknown>;
}

/** An event of aws-local-stepfunctions' `eventLogs`, the members read here. */
export interface InterpreterEvent {
  readonly type: string;
  readonly timestamp: number;
  readonly state?: { readonly name: string; readonly type: string; readonly input?: unknown; readonly output?: unknown };
  readonly Error?: string;
}

/** What a Task state's resource is, for the names of its events. */
export type TaskTarget =
  | { readonly kind: 'lambda'; readonly resource: string; readonly timeoutInSeconds?: number }
  | {
      readonly kind: 'service';
      readonly resourceType: string;
      readonly resource: string;
      readonly timeoutInSeconds?: number;
      readonly heartbeatInSeconds?: number;
    };

/**
 * The target of a Task state: a plain Lambda function ARN (optionally qualified) is a Lambda task;
 * `arn:aws:states:::<service>:<action>` a service integration, whose events name the service as
 * `resourceType` and the action as `resource` (`sqs`, `sendMessage`). Anything else (an activity) is
 * undefined: its events are not recorded.
 */
export const taskTargetOf = (state: {
  readonly Resource?: string;
  readonly TimeoutSeconds?: number;
  readonly HeartbeatSeconds?: number;
}): TaskTarget | undefined => {
  const resource = state.Resource ?? '';
  const timeouts = {
    ...(state.TimeoutSeconds !== undefined ? { timeoutInSeconds: state.TimeoutSeconds } : {}),
  };
  if (/^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[^:]+(:[^:]+)?$/.test(resource)) return { kind: 'lambda', resource, ...timeouts };
  const service = /^arn:aws[a-z-]*:states:::([a-z0-9-]+):(.+)$/.exec(resource);
  if (!service) return undefined;
  return {
    kind: 'service',
    resourceType: service[1],
    resource: service[2],
    ...timeouts,
    ...(state.HeartbeatSeconds !== undefined ? { heartbeatInSeconds: state.HeartbeatSeconds } : {}),
  };
};

/** One call of a Task's resource: what it was given and, once settled, how it ended. */
export interface TaskAttempt {
  readonly input: unknown;
  readonly at: number;
  result?:
    | { readonly ok: true; readonly output: unknown; readonly at: number }
    | { readonly ok: false; readonly error: string; readonly cause: string; readonly at: number };
}

/** How an execution ended (ExecutionOutcome); ABORTED is recorded by `abort`, when StopExecution is called. */
export interface HistoryEnd {
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

const NOT_TRUNCATED = { truncated: false } as const;
const json = (value: unknown) => JSON.stringify(value ?? null);
const defined = (details: Record<string, unknown>) => Object.fromEntries(Object.entries(details).filter(([, v]) => v !== undefined));

/**
 * The recorder of one execution. The interpreter feeds it its events in order (`observe`); the task
 * runner reports each call of a resource (`taskCalled`), which the interpreter makes in the same tick as
 * the event that begins the attempt (StateEntered, StateRetried), so that the attempt is known when that
 * event is observed, however far the event stream lags. A terminal event closes the history; events
 * after it are ignored (an aborted execution's task may still be running).
 */
export class ExecutionHistory {
  readonly events: HistoryEvent[] = [];
  private closed = false;
  /** Calls made and not yet begun in the history, per state. */
  private readonly called = new Map<string, TaskAttempt[]>();
  /** Attempts begun in the history whose end is not yet recorded, per state. */
  private readonly open = new Map<string, TaskAttempt>();

  constructor(
    private readonly targets: Readonly<Record<string, TaskTarget>>,
    private readonly region: string,
  ) {}

  get ended(): boolean {
    return this.closed;
  }

  /** ExecutionStarted: the input as StartExecution was given it, and the state machine's role. */
  started(input: string, roleArn: string): void {
    this.add('ExecutionStarted', { executionStartedEventDetails: { input, inputDetails: NOT_TRUNCATED, roleArn } });
  }

  /** A Task state's resource is called (by the task runner): the attempt its next begin event records. */
  taskCalled(stateName: string, input: unknown): TaskAttempt {
    const attempt: TaskAttempt = { input, at: Date.now() };
    const queue = this.called.get(stateName) ?? [];
    queue.push(attempt);
    this.called.set(stateName, queue);
    return attempt;
  }

  /** One event of the interpreter's `eventLogs`, in order. */
  observe(event: InterpreterEvent): void {
    const state = event.state;
    if (this.closed || !state) return;
    const isTask = state.type === 'Task';
    switch (event.type) {
      case 'StateEntered':
        this.add(
          `${state.type}StateEntered`,
          { stateEnteredEventDetails: { name: state.name, input: json(state.input), inputDetails: NOT_TRUNCATED } },
          event.timestamp,
        );
        if (isTask) this.beginAttempt(state.name);
        return;
      case 'StateRetried':
        if (isTask) this.beginAttempt(state.name);
        return;
      case 'StateFailed':
        if (isTask) this.endAttempt(state.name, event.Error, event.timestamp);
        return;
      case 'StateExited':
        if (isTask) this.endAttempt(state.name, undefined, event.timestamp);
        this.add(
          `${state.type}StateExited`,
          { stateExitedEventDetails: { name: state.name, output: json(state.output), outputDetails: NOT_TRUNCATED } },
          event.timestamp,
        );
        return;
      default:
      // StateCaught shows as the state's Exited event; execution-level events are recorded by `end`/`abort`.
    }
  }

  /** The execution's own end: its terminal event, once every interpreter event before it was observed. */
  end(outcome: HistoryEnd): void {
    if (this.closed || outcome.status === 'ABORTED') return;
    if (outcome.status === 'SUCCEEDED') {
      this.add('ExecutionSucceeded', {
        executionSucceededEventDetails: { output: outcome.output ?? 'null', outputDetails: NOT_TRUNCATED },
      });
    } else if (outcome.status === 'FAILED') {
      this.add('ExecutionFailed', { executionFailedEventDetails: defined({ error: outcome.error, cause: outcome.cause }) });
    } else {
      this.add('ExecutionTimedOut', { executionTimedOutEventDetails: defined({ error: outcome.error, cause: outcome.cause }) });
    }
    this.closed = true;
  }

  /** StopExecution: ExecutionAborted with the error and cause it was given, at once. */
  abort(error?: string, cause?: string): void {
    if (this.closed) return;
    this.add('ExecutionAborted', { executionAbortedEventDetails: defined({ error, cause }) });
    this.closed = true;
  }

  private beginAttempt(stateName: string): void {
    const attempt = this.called.get(stateName)?.shift();
    const target = this.targets[stateName];
    if (!attempt || !target) return; // the state failed before its resource was called (a path error)
    this.open.set(stateName, attempt);
    if (target.kind === 'lambda') {
      const { resource, timeoutInSeconds } = target;
      this.add(
        'LambdaFunctionScheduled',
        {
          lambdaFunctionScheduledEventDetails: defined({
            resource,
            input: json(attempt.input),
            inputDetails: NOT_TRUNCATED,
            timeoutInSeconds,
          }),
        },
        attempt.at,
      );
      this.add('LambdaFunctionStarted', {}, attempt.at);
    } else {
      const { resourceType, resource, timeoutInSeconds, heartbeatInSeconds } = target;
      this.add(
        'TaskScheduled',
        {
          taskScheduledEventDetails: defined({
            resourceType,
            resource,
            region: this.region,
            parameters: json(attempt.input),
            timeoutInSeconds,
            heartbeatInSeconds,
          }),
        },
        attempt.at,
      );
      this.add('TaskStarted', { taskStartedEventDetails: { resourceType, resource } }, attempt.at);
    }
  }

  /**
   * The end of the state's open attempt: how the call settled, or, when the state failed with
   * States.Timeout while the call still runs, a timeout (the interpreter's own TimeoutSeconds).
   */
  private endAttempt(stateName: string, stateError: string | undefined, at: number): void {
    const attempt = this.open.get(stateName);
    const target = this.targets[stateName];
    if (!attempt || !target) return;
    this.open.delete(stateName);
    const lambda = target.kind === 'lambda';
    const service = lambda ? {} : { resourceType: target.resourceType, resource: target.resource };
    const result = attempt.result;
    if (result?.ok) {
      const output = { output: json(result.output), outputDetails: NOT_TRUNCATED };
      if (lambda) this.add('LambdaFunctionSucceeded', { lambdaFunctionSucceededEventDetails: output }, result.at);
      else this.add('TaskSucceeded', { taskSucceededEventDetails: { ...service, ...output } }, result.at);
    } else if (result) {
      const failure = { error: result.error, cause: result.cause };
      if (lambda) this.add('LambdaFunctionFailed', { lambdaFunctionFailedEventDetails: failure }, result.at);
      else this.add('TaskFailed', { taskFailedEventDetails: { ...service, ...failure } }, result.at);
    } else if (stateError === 'States.Timeout') {
      if (lambda) this.add('LambdaFunctionTimedOut', { lambdaFunctionTimedOutEventDetails: { error: 'States.Timeout' } }, at);
      else this.add('TaskTimedOut', { taskTimedOutEventDetails: { ...service, error: 'States.Timeout' } }, at);
    }
  }

  private add(type: string, details: Record<string, Record<string, unknown>>, timestamp = Date.now()): void {
    const last = this.events[this.events.length - 1];
    const previousEventId = !last || last.type === 'ExecutionStarted' || type === 'ExecutionAborted' ? 0 : last.id;
    this.events.push({ id: this.events.length + 1, previousEventId, timestamp, type, ...details });
  }
}
