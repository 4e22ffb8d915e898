import { ChoiceState } from './choice';
import { ERROR_NAMES, LAMBDA_TIMEOUT_AND_SERVICE_ERRORS } from './errors';
import { LAMBDA_TASK_TIMEOUT_MARGIN_SECONDS, LambdaTask } from './integrations/lambda';
import { StateFactory } from './factory';
import { type RetryDefaults, DEFAULT_RETRY } from './retry';
import type { State, StateOwner } from './state';
import { Task } from './task';
import { DEFAULT_EXECUTION_TIMEOUT_SECONDS, Workflow } from './workflow';

/** Thrown by `build()` with every problem `validate()` found. */
export class WorkflowValidationError extends Error {
  readonly name = 'WorkflowValidationError';
  constructor(readonly problems: readonly string[]) {
    super(`the workflow is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n- ${problems.join('\n- ')}`);
  }
}

export interface WorkflowProps {
  readonly comment?: string;
  /** Execution timeout. @default DEFAULT_EXECUTION_TIMEOUT_SECONDS (300) */
  readonly timeoutSeconds?: number;
  /** The retry policy every rule starts from. Set once, here. @default DEFAULT_RETRY */
  readonly defaultRetry?: Partial<RetryDefaults>;
}

/**
 * Builds a state machine whose execution input is `Start`. The first state comes from `start()`; every
 * later one from the state before it (`next()`, `when()`, `otherwise()`, `catch()`), so its input type is
 * that state's output, inferred. Every state registers here, so the builder finds the ones that were made
 * but never reached. `validate()` or `build()` checks the graph as a whole.
 */
export class WorkflowBuilder<Start> implements StateOwner {
  readonly defaultRetry: RetryDefaults;
  private readonly created: State<any, unknown>[] = [];
  private readonly problems: string[] = [];

  constructor(readonly props: WorkflowProps = {}) {
    this.defaultRetry = { ...DEFAULT_RETRY, ...props.defaultRetry };
  }

  /** @internal called by every state's constructor. */
  register(state: State<any, unknown>): void {
    this.created.push(state);
  }

  /** @internal wiring mistakes found while the graph is built. */
  report(problem: string): void {
    this.problems.push(problem);
  }

  /** A factory for the first state: its input is the execution input `Start`. Pass that state to `build()`. */
  start(): StateFactory<Start> {
    return new StateFactory<Start>(this);
  }

  /** @internal a factory whose states `wire` connects as they are made. */
  factory<I>(wire: (state: State<I, unknown>) => void): StateFactory<I> {
    return new StateFactory<I>(this, wire);
  }

  /** Every problem of the graph that starts at `start`, each naming its state; empty if none. */
  validate(start: State<Start, unknown>): string[] {
    const problems = [...this.problems];
    const reached = reachable(start);

    const byName = new Map<string, State<any, unknown>[]>();
    for (const s of new Set([...this.created, ...reached])) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
    for (const [name, states] of byName) {
      if (states.length > 1) problems.push(`duplicate state name '${name}' (${states.length} states)`);
    }
    for (const s of reached) {
      if (s.owner !== this) problems.push(`state '${s.name}' is reused: it belongs to another workflow`);
    }
    for (const s of this.created) {
      if (!reached.has(s)) problems.push(`state '${s.name}' is unreachable from '${start.name}'`);
    }
    for (const s of reached) {
      if (s instanceof ChoiceState && s.ruleCount() === 0) problems.push(`choice '${s.name}' has no rules`);
      if (s instanceof Task) problems.push(...ruleProblems(s));
      problems.push(...s.danglingProblems());
      if (s.name.length === 0 || s.name.length > 80) problems.push(`state name '${s.name}' must be 1-80 characters`);
    }
    const canEnd = statesThatCanEnd(reached);
    for (const s of reached) {
      if (!canEnd.has(s)) problems.push(`state '${s.name}' has no path to a terminal state (Succeed, Fail or End)`);
      if (s instanceof LambdaTask) problems.push(...lambdaTimeoutProblems(s));
    }
    const timeout = this.props.timeoutSeconds ?? DEFAULT_EXECUTION_TIMEOUT_SECONDS;
    const worst = worstPath(start);
    if (worst && worst.seconds > timeout) {
      problems.push(
        `the execution's TimeoutSeconds ${timeout} is shorter than its worst case, ${worst.seconds} s when every task on ` +
          `${worst.states.join(' → ')} times out after all its retries: such an execution would end TIMED_OUT, with no Catch to run`,
      );
    }
    return problems;
  }

  /** Validates and returns the finished workflow; throws {@link WorkflowValidationError} listing every problem. */
  build(start: State<Start, unknown>): Workflow<Start> {
    const problems = this.validate(start);
    if (problems.length > 0) throw new WorkflowValidationError(problems);
    return new Workflow<Start>(start, [...reachable(start)], this.props);
  }
}

const ruleProblems = (task: Task<any, unknown>): string[] => {
  const problems: string[] = [];
  const check = (what: string, lists: readonly (readonly string[])[]) =>
    lists.forEach((errors, i) => {
      for (const e of errors) {
        if (!ERROR_NAMES.includes(e as never)) problems.push(`state '${task.name}': ${what} names unknown error '${e}'`);
      }
      if (errors.length === 0) problems.push(`state '${task.name}': ${what} rule ${i + 1} names no errors`);
      if (errors.includes('States.ALL') && errors.length > 1) {
        problems.push(`state '${task.name}': ${what} rule ${i + 1} lists 'States.ALL' with other errors; it must stand alone`);
      }
      if (errors.includes('States.ALL') && i !== lists.length - 1) {
        problems.push(`state '${task.name}': ${what} rule ${i + 1} uses 'States.ALL' but is not the last rule`);
      }
    });
  check(
    'Retry',
    task.retryRules().map((r) => r.errors),
  );
  check(
    'Catch',
    task.catchRules().map((c) => c.errors),
  );
  for (const r of task.retryRules()) {
    if (!Number.isInteger(r.maxAttempts) || r.maxAttempts < 0)
      problems.push(`state '${task.name}': maxAttempts ${r.maxAttempts} must be a whole number >= 0`);
    if (!Number.isInteger(r.intervalSeconds) || r.intervalSeconds < 1)
      problems.push(`state '${task.name}': intervalSeconds ${r.intervalSeconds} must be a whole number >= 1`);
    if (r.backoffRate < 1) problems.push(`state '${task.name}': backoffRate ${r.backoffRate} must be >= 1`);
  }
  return problems;
};

const reachable = (start: State<any, unknown>): Set<State<any, unknown>> => {
  const seen = new Set<State<any, unknown>>();
  const stack = [start];
  while (stack.length > 0) {
    const s = stack.pop()!;
    if (seen.has(s)) continue;
    seen.add(s);
    for (const e of s.edges()) stack.push(e.to);
  }
  return seen;
};

/** A state can end if it is terminal or one of its non-catch successors can end. */
const statesThatCanEnd = (states: Set<State<any, unknown>>): Set<State<any, unknown>> => {
  const canEnd = new Set<State<any, unknown>>();
  for (const s of states) if (s.edges().every((e) => e.kind === 'catch')) canEnd.add(s);
  let grew = true;
  while (grew) {
    grew = false;
    for (const s of states) {
      if (!canEnd.has(s) && s.edges().some((e) => e.kind !== 'catch' && canEnd.has(e.to))) {
        canEnd.add(s);
        grew = true;
      }
    }
  }
  return canEnd;
};

/**
 * A Lambda task's timeout is just above its function's: above it, so that the function's own timeout
 * (Sandbox.Timedout, with its log line) ends a slow invocation, not States.Timeout; at most
 * LAMBDA_TASK_TIMEOUT_MARGIN_SECONDS above, so that a hung Invoke is given up soon. If it retries at all,
 * it retries timeouts and the Lambda service's errors.
 */
const lambdaTimeoutProblems = (task: LambdaTask<any, unknown>): string[] => {
  const problems: string[] = [];
  const t = task.timeoutSeconds();
  const f = task.functionTimeoutSeconds;
  if (!(t > f) || t > f + LAMBDA_TASK_TIMEOUT_MARGIN_SECONDS) {
    problems.push(
      `state '${task.name}': TimeoutSeconds ${t} must be above its function's timeout of ${f} s and at most ` +
        `${LAMBDA_TASK_TIMEOUT_MARGIN_SECONDS} s more (${f + 1}-${f + LAMBDA_TASK_TIMEOUT_MARGIN_SECONDS})`,
    );
  }
  const rules = task.retryRules();
  const retried = new Set(rules.flatMap((r) => r.errors as readonly string[]));
  const missing = LAMBDA_TIMEOUT_AND_SERVICE_ERRORS.filter((e) => !retried.has(e));
  if (rules.length > 0 && !retried.has('States.ALL') && missing.length > 0) {
    problems.push(
      `state '${task.name}': Retry does not name ${missing.join(', ')}: a timeout or a Lambda service error would fail the state at once`,
    );
  }
  return problems;
};

/** The longest a task can take when every attempt times out: attempts × TimeoutSeconds + the longest backoff before each retry. */
const taskWorstSeconds = (task: Task<any, unknown>): number => {
  let total = task.timeoutSeconds();
  for (const r of task.retryRules()) {
    for (let i = 0; i < r.maxAttempts; i++)
      total += task.timeoutSeconds() + Math.min(r.intervalSeconds * r.backoffRate ** i, r.maxDelaySeconds);
  }
  return total;
};

/** The path from `start` whose tasks take longest when each times out after all its retries; undefined if the graph has a cycle (no bound). */
const worstPath = (start: State<any, unknown>): { seconds: number; states: string[] } | undefined => {
  const memo = new Map<State<any, unknown>, { seconds: number; states: string[] }>();
  const visiting = new Set<State<any, unknown>>();
  const walk = (s: State<any, unknown>): { seconds: number; states: string[] } | undefined => {
    const known = memo.get(s);
    if (known) return known;
    if (visiting.has(s)) return undefined;
    visiting.add(s);
    let longest = { seconds: 0, states: [] as string[] };
    for (const e of s.edges()) {
      const rest = walk(e.to);
      if (!rest) return undefined;
      if (rest.seconds > longest.seconds) longest = rest;
    }
    visiting.delete(s);
    const own = s instanceof Task ? taskWorstSeconds(s) : 0;
    const result = { seconds: own + longest.seconds, states: [s.name, ...longest.states] };
    memo.set(s, result);
    return result;
  };
  return walk(start);
};
