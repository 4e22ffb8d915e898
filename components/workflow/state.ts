import type { AslObject, PolicyStatement } from './asl';
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

  protected base(): AslObject {
    return this.comment === undefined ? { Type: this.type } : { Type: this.type, Comment: this.comment };
  }
}

/** The output type of a state, for naming the payload at a point of the graph. */
export type OutputOf<S> = S extends State<any, infer O> ? O : never;

/** A state that continues to a next one; without `next()` it ends the execution successfully. */
export abstract class Chainable<I, O> extends State<I, O> {
  private nextState?: State<any, unknown>;

  /** Continue with `state`, whose input must accept this state's output. Returns `state` for chaining. */
  next<N extends State<O, unknown>>(state: N): N {
    if (this.nextState !== undefined) {
      this.owner.report(
        `state '${this.name}' is reused: next() was called twice ('${this.nextState.name}', then '${state.name}')`,
      );
    } else {
      this.nextState = state;
    }
    return state;
  }

  edges(): Edge[] {
    return this.nextState ? [{ to: this.nextState, kind: 'next' }] : [];
  }

  protected transition(): AslObject {
    return this.nextState ? { Next: this.nextState.name } : { End: true };
  }
}
