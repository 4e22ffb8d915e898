import { ChoiceState } from './choice';
import { ERROR_NAMES } from './errors';
import { StateFactory } from './factory';
import { type RetryDefaults, DEFAULT_RETRY } from './retry';
import type { State, StateOwner } from './state';
import { Task } from './task';
import { Workflow } from './workflow';

/** Thrown by `build()` with every problem `validate()` found. */
export class WorkflowValidationError extends Error {
  readonly name = 'WorkflowValidationError';
  constructor(readonly problems: readonly string[]) {
    super(`the workflow is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n- ${problems.join('\n- ')}`);
  }
}

export interface WorkflowProps {
  readonly comment?: string;
  /** Execution timeout. @default 300 */
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
