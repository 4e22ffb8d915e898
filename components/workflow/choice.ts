import type { AslObject } from './asl';
import { type Condition, Conditions } from './conditions';
import type { StateFactory } from './factory';
import { type Edge, type Target, State, connect } from './state';

interface ChoiceRule {
  readonly condition: Condition;
  next?: State<any, unknown>;
}

/** A Choice over payload `I`; every branch receives `I` unchanged. */
export class ChoiceState<I> extends State<I, I> {
  readonly type = 'Choice' as const;
  private readonly rules: ChoiceRule[] = [];
  private defaultState?: State<any, unknown>;
  private defaultPending = false;

  /**
   * A rule, tried in order: when `condition` holds, go on. `when(condition)` returns a factory for the
   * branch's first state, whose input is this choice's: `choice.when((c) => ...).pass('Describe', ...)`.
   * `when(condition, target)` goes to an existing state or a continuation, and returns this choice.
   */
  when(condition: (c: Conditions<I>) => Condition): StateFactory<I>;
  when<N extends State<I, unknown>>(condition: (c: Conditions<I>) => Condition, target: Target<I, N>): this;
  when<N extends State<I, unknown>>(condition: (c: Conditions<I>) => Condition, target?: Target<I, N>): this | StateFactory<I> {
    const rule: ChoiceRule = { condition: condition(new Conditions<I>()) };
    this.rules.push(rule);
    const wire = (next: State<I, unknown>) => {
      if (rule.next !== undefined) {
        this.owner.report(
          `state '${this.name}': rule ${this.rules.indexOf(rule) + 1} was given two states ('${rule.next.name}', then '${next.name}')`,
        );
      } else {
        rule.next = next;
      }
    };
    if (target === undefined) return this.owner.factory<I>(wire);
    connect(this.owner, target, wire);
    return this;
  }

  /**
   * Where to go when no rule holds. `otherwise()` returns a factory for that state; `otherwise(target)`
   * goes to an existing state or a continuation, and returns this choice.
   */
  otherwise(): StateFactory<I>;
  otherwise<N extends State<I, unknown>>(target: Target<I, N>): this;
  otherwise<N extends State<I, unknown>>(target?: Target<I, N>): this | StateFactory<I> {
    const wire = (next: State<I, unknown>) => {
      if (this.defaultState !== undefined) {
        this.owner.report(`state '${this.name}': otherwise() was called twice`);
      } else {
        this.defaultState = next;
      }
    };
    if (target === undefined) {
      this.defaultPending = true;
      return this.owner.factory<I>(wire);
    }
    connect(this.owner, target, wire);
    return this;
  }

  ruleCount(): number {
    return this.rules.length;
  }

  danglingProblems(): string[] {
    const problems = this.rules.flatMap((r, i) =>
      r.next === undefined ? [`state '${this.name}': rule ${i + 1} (${r.condition.describe()}) made no state`] : [],
    );
    if (this.defaultPending && this.defaultState === undefined) problems.push(`state '${this.name}': otherwise() made no state`);
    return problems;
  }

  edges(): Edge[] {
    const edges: Edge[] = this.rules.flatMap((r) =>
      r.next === undefined ? [] : [{ to: r.next, kind: 'choice' as const, label: r.condition.describe() }],
    );
    if (this.defaultState) edges.push({ to: this.defaultState, kind: 'default', label: 'otherwise' });
    return edges;
  }

  toAsl(): AslObject {
    const asl: AslObject = {
      ...this.base(),
      Choices: this.rules.map((r) => ({ ...r.condition.toAsl(), Next: r.next?.name ?? null })),
    };
    if (this.defaultState) asl.Default = this.defaultState.name;
    return asl;
  }
}
