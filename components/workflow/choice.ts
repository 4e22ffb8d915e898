import type { AslObject } from './asl';
import { type Condition, Conditions } from './conditions';
import { type Edge, State } from './state';

/** A Choice over payload `I`; every branch receives `I` unchanged. */
export class ChoiceState<I> extends State<I, I> {
  readonly type = 'Choice' as const;
  private readonly rules: { condition: Condition; next: State<any, unknown> }[] = [];
  private defaultState?: State<any, unknown>;

  /** Go to `next` when `condition` holds; rules are tried in order. */
  when<N extends State<I, unknown>>(condition: (c: Conditions<I>) => Condition, next: N): this {
    this.rules.push({ condition: condition(new Conditions<I>()), next });
    return this;
  }

  /** Go to `next` when no rule holds. */
  otherwise<N extends State<I, unknown>>(next: N): this {
    if (this.defaultState !== undefined) {
      this.owner.report(`state '${this.name}': otherwise() was called twice`);
    } else {
      this.defaultState = next;
    }
    return this;
  }

  ruleCount(): number {
    return this.rules.length;
  }

  edges(): Edge[] {
    const edges: Edge[] = this.rules.map((r) => ({ to: r.next, kind: 'choice' as const, label: r.condition.describe() }));
    if (this.defaultState) edges.push({ to: this.defaultState, kind: 'default', label: 'otherwise' });
    return edges;
  }

  toAsl(): AslObject {
    const asl: AslObject = {
      ...this.base(),
      Choices: this.rules.map((r) => ({ ...r.condition.toAsl(), Next: r.next.name })),
    };
    if (this.defaultState) asl.Default = this.defaultState.name;
    return asl;
  }
}
