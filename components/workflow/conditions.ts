import type { AslObject, AslValue } from './asl';
import type { JsonPath, PathValue, PathsOfType } from './paths';

/** A Choice rule's condition. */
export interface Condition {
  toAsl(): AslObject;
  describe(): string;
}

const leaf = (path: string, op: string, value: AslValue, shown: string): Condition => ({
  toAsl: () => ({ Variable: path, [op]: value }),
  describe: () => `${path} ${shown}`,
});

/** Conditions over payload `I`: paths must exist and values must have the path's type. */
export class Conditions<I> {
  stringEquals<P extends PathsOfType<I, string>>(path: P, value: NonNullable<PathValue<I, P>> & string): Condition {
    return leaf(path, 'StringEquals', value, `== '${value}'`);
  }
  booleanEquals<P extends PathsOfType<I, boolean>>(path: P, value: boolean): Condition {
    return leaf(path, 'BooleanEquals', value, `== ${value}`);
  }
  numericEquals<P extends PathsOfType<I, number>>(path: P, value: number): Condition {
    return leaf(path, 'NumericEquals', value, `== ${value}`);
  }
  numericGreaterThan<P extends PathsOfType<I, number>>(path: P, value: number): Condition {
    return leaf(path, 'NumericGreaterThan', value, `> ${value}`);
  }
  numericLessThan<P extends PathsOfType<I, number>>(path: P, value: number): Condition {
    return leaf(path, 'NumericLessThan', value, `< ${value}`);
  }
  isPresent<P extends JsonPath<I>>(path: P, present = true): Condition {
    return leaf(path, 'IsPresent', present, present ? 'is present' : 'is absent');
  }
  and(...conditions: Condition[]): Condition {
    return { toAsl: () => ({ And: conditions.map((c) => c.toAsl()) }), describe: () => conditions.map((c) => c.describe()).join(' and ') };
  }
  or(...conditions: Condition[]): Condition {
    return { toAsl: () => ({ Or: conditions.map((c) => c.toAsl()) }), describe: () => conditions.map((c) => c.describe()).join(' or ') };
  }
  not(condition: Condition): Condition {
    return { toAsl: () => ({ Not: condition.toAsl() }), describe: () => `not (${condition.describe()})` };
  }
}
