/**
 * Type-level JSONPath: which reference paths exist in a payload type, what type each one selects, and
 * what a payload looks like after `ResultPath` writes into it. Only the reference-path subset of JSONPath
 * that Amazon States Language allows in `ResultPath` is modelled: `$` and dotted field names.
 */

type Prev = [never, 0, 1, 2, 3, 4, 5];

/** Dotted field paths below a type, to a bounded depth. Arrays end a path (no indexing). */
type KeyPaths<T, D extends number> = [D] extends [never]
  ? never
  : T extends readonly unknown[]
    ? never
    : T extends object
      ? { [K in keyof T & string]-?: K | `${K}.${KeyPaths<NonNullable<T[K]>, Prev[D]>}` }[keyof T & string]
      : never;

/** Every reference path into `T`: `'$'`, `'$.orderId'`, `'$.validation.valid'`, ... */
export type JsonPath<T> = '$' | `$.${KeyPaths<T, 5>}`;

type KeyValue<T, R extends string> = R extends `${infer K}.${infer Rest}`
  ? K extends keyof T
    ? KeyValue<NonNullable<T[K]>, Rest>
    : never
  : R extends keyof T
    ? T[R]
    : never;

/** The type a reference path selects from `T`. */
export type PathValue<T, P extends string> = P extends '$' ? T : P extends `$.${infer R}` ? KeyValue<T, R> : never;

/** Paths into `T` whose value is a `V` (optional fields included). */
export type PathsOfType<T, V> = {
  [P in JsonPath<T>]: [NonNullable<PathValue<T, P>>] extends [never] ? never : NonNullable<PathValue<T, P>> extends V ? P : never;
}[JsonPath<T>];

/** Flattens intersections so that tsc messages show one object type. */
export type Simplify<T> = T extends object ? (T extends readonly unknown[] ? T : { [K in keyof T]: T[K] } & {}) : T;

type SetKey<I, K extends string, R> = K extends `${infer H}.${infer Rest}`
  ? Simplify<Omit<I, H> & { [k in H]: SetKey<H extends keyof I ? NonNullable<I[H]> : Record<never, never>, Rest, R> }>
  : Simplify<Omit<I, K> & { [k in K]: R }>;

/** A `ResultPath`: `'$'` replaces the input, `'$.a.b'` writes into it, `null` discards the result. */
export type ResultPath = '$' | `$.${string}` | null;

/** The payload after `ResultPath` has placed result `R` into input `I`. */
export type ApplyResultPath<I, R, P extends ResultPath> = P extends null
  ? I
  : P extends '$'
    ? R
    : P extends `$.${infer K}`
      ? SetKey<I, K, R>
      : never;

/** A reference to a field of the current payload, inside a payload template (`Parameters`, `MessageBody`...). */
export class PathRef<V> {
  /** Phantom: the type the path selects. */
  declare readonly __value?: V;
  constructor(readonly path: string) {}
}

/** An intrinsic function call inside a payload template, e.g. `States.JsonToString($.total)`. */
export class Intrinsic<V> {
  declare readonly __value?: V;
  constructor(readonly expression: string) {}
}

/** A typed reference maker for payload `I`: `$('$.orderId')` is a `PathRef<string>` if `orderId: string`. */
export type RefFn<I> = <P extends JsonPath<I>>(path: P) => PathRef<PathValue<I, P>>;

/** What a payload template evaluates to at run time: every `PathRef<V>`/`Intrinsic<V>` becomes a `V`. */
export type Resolved<T> =
  T extends PathRef<infer V>
    ? V
    : T extends Intrinsic<infer V>
      ? V
      : T extends readonly (infer E)[]
        ? Resolved<E>[]
        : T extends object
          ? { [K in keyof T]: Resolved<T[K]> }
          : T;

/** A value that a payload template accepts where a `V` is expected: a literal `V` or a path selecting one. */
export type Template<V> =
  PathRef<V> | Intrinsic<V> | (V extends readonly (infer E)[] ? Template<E>[] : V extends object ? { [K in keyof V]: Template<V[K]> } : V);

/** The typed reference maker handed to template functions. */
export const ref =
  <I>(): RefFn<I> =>
  (path: string) =>
    new PathRef(path);

/** `States.JsonToString(path)`: a number or object rendered as a string (DynamoDB `N` values need it). */
export const jsonToString = (r: PathRef<unknown>): Intrinsic<string> => new Intrinsic<string>(`States.JsonToString(${r.path})`);

/** Fields of the Step Functions context object (`$$`). */
export const contextRef = {
  /** When the current state was entered (ISO 8601). */
  stateEnteredTime: new PathRef<string>('$$.State.EnteredTime'),
  /** The execution's name: the order id. */
  executionName: new PathRef<string>('$$.Execution.Name'),
};
