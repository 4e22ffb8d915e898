import * as t from 'io-ts';
import { isLeft } from 'fp-ts/Either';

/**
 * The stack configuration: one io-ts codec, one decode, errors that name the key, the value and what is
 * allowed. Defaults live in `CONFIG_DEFAULTS` and are mirrored in Pulumi.yaml (a test keeps the two equal).
 */

export const CONFIG_NAMESPACE = 'dofs';

/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const refine = <C extends t.Mixed>(codec: C, ok: (a: t.TypeOf<C>) => boolean, allowed: string) =>
  t.refinement(codec, ok, allowed) as unknown as t.Type<t.TypeOf<C>, t.OutputOf<C>, unknown>;

const rate = refine(t.number, (n) => n >= 0 && n <= 1, 'a number from 0 to 1');
const intIn = (min: number, max: number) =>
  refine(t.number, (n) => Number.isInteger(n) && n >= min && n <= max, `a whole number from ${min} to ${max}`);

/** Fault injection for one function: the share of invocations (or records) that throw or time out. */
const FunctionFaults = t.exact(t.partial({ errorRate: rate, timeoutRate: rate }));
const Faults = t.exact(
  t.partial({
    apiHandler: FunctionFaults,
    validator: FunctionFaults,
    storeOrder: FunctionFaults,
    fulfillment: FunctionFaults,
    dlqHandler: FunctionFaults,
    /** Share of SendToQueue calls that fail (local cloud only: on AWS the SQS integration cannot be faulted). */
    sendToQueue: FunctionFaults,
  }),
);
export type Faults = t.TypeOf<typeof Faults>;
export type FaultTarget = keyof Faults;

const fields = {
  fulfillmentSuccessRate: rate,
  workflowType: t.keyof({ STANDARD: null, EXPRESS: null }),
  maxReceiveCount: intIn(1, 1000),
  fulfillmentBatchSize: intIn(1, 100),
  fulfillmentBatchWindowSeconds: intIn(0, 300),
  fulfillmentTimeoutSeconds: intIn(3, 900),
  logRetentionDays: refine(t.number, (n) => (LOG_RETENTION_DAYS as readonly number[]).includes(n), `one of ${LOG_RETENTION_DAYS.join(', ')}`),
  logLevel: t.keyof({ DEBUG: null, INFO: null, WARN: null, ERROR: null }),
  workflowLogLevel: t.keyof({ ALL: null, ERROR: null, FATAL: null, OFF: null }),
  tracing: t.boolean,
  apiThrottleRateLimit: refine(t.number, (n) => n > 0 && n <= 10000, 'a number of requests per second above 0, at most 10000'),
  apiThrottleBurstLimit: intIn(1, 5000),
  alarmEmail: refine(t.string, (s) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(s), 'an e-mail address'),
  pointInTimeRecovery: t.boolean,
  deletionProtection: t.boolean,
  faults: Faults,
};
type Fields = typeof fields;
type Key = keyof Fields;
export type StackConfig = { [K in Exclude<Key, 'alarmEmail' | 'faults'>]: t.TypeOf<Fields[K]> } & {
  alarmEmail?: string;
  faults?: Faults;
};

/** The defaults (Pulumi.yaml repeats them for the CLI). */
export const CONFIG_DEFAULTS: Omit<StackConfig, 'alarmEmail' | 'faults'> = {
  fulfillmentSuccessRate: 0.7,
  workflowType: 'STANDARD',
  maxReceiveCount: 3,
  fulfillmentBatchSize: 10,
  fulfillmentBatchWindowSeconds: 1,
  fulfillmentTimeoutSeconds: 10,
  logRetentionDays: 14,
  logLevel: 'INFO',
  workflowLogLevel: 'ERROR',
  tracing: true,
  apiThrottleRateLimit: 50,
  apiThrottleBurstLimit: 100,
  pointInTimeRecovery: false,
  deletionProtection: false,
};

/** Stacks on which fault injection is refused. */
export const PROTECTED_STACKS = ['prod'];

/** A config problem, for the one error that lists them all. */
export class StackConfigError extends Error {
  readonly name = 'StackConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid stack configuration:\n- ${problems.join('\n- ')}`);
  }
}

export const show = (v: unknown) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));

/** What {@link decodeKeys} makes of one namespace of a stack's raw config. */
export interface DecodedKeys {
  /** The decoded value of every key that was given and is valid. */
  readonly values: Record<string, unknown>;
  /** The given value of every known key, as parsed from its text (JSON where it parses, else the text). */
  readonly given: Record<string, unknown>;
  /** One line per unknown key or bad value, naming the key, the value and what is allowed. */
  readonly problems: string[];
}

/**
 * Decodes the keys of one namespace of a raw stack config (`namespace:key` → text, as
 * `pulumi.runtime.allConfig()` gives it) with one codec per key; keys of other namespaces are ignored.
 * A value is first decoded as the text itself (strings), then as the JSON it holds (numbers, booleans, objects).
 */
export const decodeKeys = (raw: Readonly<Record<string, string>>, namespace: string, fields: Readonly<Record<string, t.Mixed>>): DecodedKeys => {
  const values: Record<string, unknown> = {};
  const given: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [fullKey, text] of Object.entries(raw)) {
    const [ns, key] = fullKey.split(':', 2);
    if (ns !== namespace) continue;
    const codec = fields[key];
    if (codec === undefined) {
      problems.push(`${fullKey} is not a known key; known keys: ${Object.keys(fields).join(', ')}`);
      continue;
    }
    let value: unknown = text;
    let decoded = codec.decode(text);
    if (isLeft(decoded)) {
      try {
        value = JSON.parse(text);
        decoded = codec.decode(value);
      } catch {
        // not JSON: the text is the value, and it did not decode
      }
    }
    given[key] = value;
    if (isLeft(decoded)) {
      const detail = decoded.left
        .map((e) => {
          const path = e.context.map((c) => c.key).filter((k) => k !== '').join('.');
          return path ? `${path} = ${show(e.value)} (expected ${e.context[e.context.length - 1].type.name})` : '';
        })
        .filter((s) => s !== '');
      problems.push(`${fullKey} = ${show(value)} is not allowed: expected ${codec.name}${detail.length > 0 ? ` (${detail.join('; ')})` : ''}`);
      continue;
    }
    values[key] = decoded.right;
  }
  return { values, given, problems };
};

/**
 * Decodes the raw stack config (`namespace:key` → string, as `pulumi.runtime.allConfig()` gives it).
 * Keys of other namespaces (`aws:region`) are ignored; unknown `dofs:` keys and bad values are errors.
 */
export const decodeConfig = (raw: Readonly<Record<string, string>>, stack: string): StackConfig => {
  const { values, given, problems } = decodeKeys(raw, CONFIG_NAMESPACE, fields);
  const out: Record<string, unknown> = { ...CONFIG_DEFAULTS, ...values };
  if (values.faults !== undefined) {
    const fullKey = `${CONFIG_NAMESPACE}:faults`;
    const faults = given.faults as Record<string, object>;
    const unknownTargets = Object.keys(faults).filter((k) => !(k in Faults.type.props));
    const unknownFields = Object.entries(faults).flatMap(([target, f]) =>
      Object.keys(f ?? {}).filter((k) => !['errorRate', 'timeoutRate'].includes(k)).map((k) => `${target}.${k}`),
    );
    if (unknownTargets.length > 0) {
      problems.push(`${fullKey} names unknown functions ${unknownTargets.map(show).join(', ')}; allowed: ${Object.keys(Faults.type.props).join(', ')}`);
    } else if (unknownFields.length > 0) {
      problems.push(`${fullKey} has unknown fields ${unknownFields.map(show).join(', ')}; allowed per function: errorRate, timeoutRate`);
    } else if (PROTECTED_STACKS.includes(stack)) {
      problems.push(`${fullKey} is refused on the '${stack}' stack: fault injection is for test stacks only`);
    }
  }
  if (PROTECTED_STACKS.includes(stack) && out.pointInTimeRecovery !== true) {
    problems.push(`${CONFIG_NAMESPACE}:pointInTimeRecovery = ${show(out.pointInTimeRecovery)} is not allowed on '${stack}': expected true`);
  }
  if (PROTECTED_STACKS.includes(stack) && out.deletionProtection !== true) {
    problems.push(`${CONFIG_NAMESPACE}:deletionProtection = ${show(out.deletionProtection)} is not allowed on '${stack}': expected true`);
  }
  if ((out.apiThrottleBurstLimit as number) < (out.apiThrottleRateLimit as number)) {
    problems.push(
      `${CONFIG_NAMESPACE}:apiThrottleBurstLimit = ${out.apiThrottleBurstLimit} is below ${CONFIG_NAMESPACE}:apiThrottleRateLimit = ${out.apiThrottleRateLimit}: the burst must be at least the rate`,
    );
  }
  if (problems.length > 0) throw new StackConfigError(problems);
  return out as StackConfig;
};
