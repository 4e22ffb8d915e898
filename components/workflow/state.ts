import type { AslObject, PolicyStatement } from './asl';
import type { StateFactory } from './factory';
import type { RetryDefaults } from './retry';

/** An edge of the state graph, for validation and diagrams. */
export interface Edge {
  readonly to: State<any, unknown>;
  readonly kind: 'next' | 'choice' | 'default' | 'catch';
  readonly label?: string;
}

/** The part of the workflow builder that states report to. */
export interface StateOwner {
  register(state: State<any, unknown>): void;
  report(problem: string): void;
  readonly defaultRetry: RetryDefaults;
  /** A factory whose states `wire` connects as they are made (the owner makes it: no import cycle). */
  factory<I>(wire: (state: State<I, unknown>) => void): StateFactory<I>;
}

/**
 * A state whose input is `I` and whose output is `O`. The phantom members make `I` contravariant and `O`
 * covariant, so `a.next(b)` compiles only if `a`'s output is assignable to `b`'s input.
 */
export abstract class State<I, O> {
  declare protected readonly __input: (input: I) => void;
  declare protected readonly __output: () => O;
  abstract readonly type: 'Task' | 'Choice' | 'Pass' | 'Wait' | 'Succeed' | 'Fail';

  constructor(
    readonly owner: StateOwner,
    readonly name: string,
    readonly comment?: string,
  ) {
    owner.register(this);
  }

  /** The states this one can move to. */
  abstract edges(): Edge[];

  /** The ASL of this state; `Next`/`End` are derived from the wiring. */
  abstract toAsl(): AslObject;

  /** IAM statements this state needs in the state machine's role. */
  policyStatements(): PolicyStatement[] {
    return [];
  }

  /** Wiring left unfinished: a factory this state handed out that made no state. */
  danglingProblems(): string[] {
    return [];
  }

  protected base(): AslObject {
    return this.comment === undefined ? { Type: this.type } : { Type: this.type, Comment: this.comment };
  }
}

/**
 * Where a transition goes: an existing state, or a continuation that makes the state from a factory
 * typed by the payload at that point, so the new state's input type is inferred, never written.
 */
export type Target<P, N extends State<P, unknown>> = N | ((from: StateFactory<P>) => N);

/**
 * @internal Connects `target` with `wire`, for `next`, `catch`, `when` and `otherwise`. A continuation's
 * factory wires the state made through it; if the continuation made none, the state it returns is wired.
 */
export const connect = <P, N extends State<P, unknown>>(
  owner: StateOwner,
  target: Target<P, N>,
  wire: (state: State<P, unknown>) => void,
): N => {
  if (target instanceof State) {
    wire(target);
    return target;
  }
  let wired = false;
  const state = target(
    owner.factory<P>((s) => {
      wired = true;
      wire(s);
    }),
  );
  if (!wired) wire(state);
  return state;
};

/** The output type of a state, for naming the payload at a point of the graph. */
export type OutputOf<S> = S extends State<any, infer O> ? O : never;

/** A state that continues to a next one; without `next()` it ends the execution successfully. */
export abstract class Chainable<I, O> extends State<I, O> {
  private nextState?: State<any, unknown>;
  private nextPending = false;

  /**
   * Continue after this state. `next()` returns a factory for the next state, whose input is this
   * state's output: `task.next().choice('Check')`. `next(target)` continues with an existing state, whose
   * input must accept this state's output, or with a continuation (`next(fragment)`). Returns the next state.
   */
  next(): StateFactory<O>;
  next<N extends State<O, unknown>>(target: Target<O, N>): N;
  next<N extends State<O, unknown>>(target?: Target<O, N>): N | StateFactory<O> {
    const wire = (state: State<O, unknown>) => this.setNext(state);
    if (target !== undefined) return connect(this.owner, target, wire);
    this.nextPending = true;
    return this.owner.factory<O>(wire);
  }

  private setNext(state: State<any, unknown>): void {
    if (this.nextState !== undefined) {
      this.owner.report(`state '${this.name}' is reused: next() was called twice ('${this.nextState.name}', then '${state.name}')`);
    } else {
      this.nextState = state;
    }
  }

  danglingProblems(): string[] {
    return this.nextPending && this.nextState === undefined ? [`state '${this.name}': next() made no state`] : [];
  }

  edges(): Edge[] {
    return this.nextState ? [{ to: this.nextState, kind: 'next' }] : [];
  }

  protected transition(): AslObject {
    return this.nextState ? { Next: this.nextState.name } : { End: true };
  }
}
