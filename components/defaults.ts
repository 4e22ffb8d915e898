/**
 * `args` with every field it leaves `undefined` taken from `defaults`: the one place a component applies
 * the defaults it exports (the stack config's defaults are built from the same constants).
 */
export const withDefaults = <D extends object, A extends { readonly [K in keyof D]?: D[K] }>(defaults: D, args: A): D & A => {
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [key, value] of Object.entries(args)) if (value !== undefined) out[key] = value;
  return out as D & A;
};

/** Names to use for a component's arguments in a problem message (a stack config key, or the arg itself). */
export type ArgNames<K extends string> = { readonly [P in K]: string };

/** Each argument named as itself: the names a component's constructor uses in its own error messages. */
export const ownNames = <K extends string>(...keys: K[]): ArgNames<K> =>
  Object.fromEntries(keys.map((k) => [k, k])) as unknown as ArgNames<K>;
