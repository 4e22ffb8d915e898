import * as t from 'io-ts';
import { decodeKeys, show } from './configKeys';
import { ALARM_DEFAULTS } from './components/alarms';
import { API_GATEWAY_ACCOUNT_MODES } from './components/apiGatewayAccount';
import { FULFILLMENT_QUEUE_DEFAULTS, MAPPING_MAX_CONCURRENCY, validateBatching } from './components/fulfillmentQueue';
import { FUNCTION_DEFAULTS } from './components/lambdaFunction';
import { ORCHESTRATOR_DEFAULTS } from './components/orchestrator';
import { ORDER_API_DEFAULTS, RECONCILE_DEFAULTS, validateThrottling } from './components/orderApi';
import { ORDER_STORE_DEFAULTS } from './components/orderStore';

/**
 * The stack configuration: one io-ts codec, one decode, errors that name the key, the value and what is
 * allowed. Defaults live in `CONFIG_DEFAULTS` and are mirrored in Pulumi.yaml (a test keeps the two equal).
 */

export const CONFIG_NAMESPACE = 'dofs';

/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const refine = <C extends t.Mixed>(codec: C, ok: (a: t.TypeOf<C>) => boolean, allowed: string) =>
  t.refinement(codec, ok, allowed) as unknown as t.Type<t.TypeOf<C>, t.OutputOf<C>, unknown>;

const rate = refine(t.number, (n) => n >= 0 && n <= 1, 'a number from 0 to 1');
const intIn = (min: number, max: number) =>
  refine(t.number, (n) => Number.isInteger(n) && n >= min && n <= max, `a whole number from ${min} to ${max}`);

/** Fault injection for one function: the share of its invocations that time out, and of its invocations (a queue consumer: of its records) that throw. */
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
  fulfillmentMaxConcurrency: intIn(MAPPING_MAX_CONCURRENCY.min, MAPPING_MAX_CONCURRENCY.max),
  logRetentionDays: refine(
    t.number,
    (n) => (LOG_RETENTION_DAYS as readonly number[]).includes(n),
    `one of ${LOG_RETENTION_DAYS.join(', ')}`,
  ),
  logLevel: t.keyof({ DEBUG: null, INFO: null, WARN: null, ERROR: null }),
  workflowLogLevel: t.keyof({ ALL: null, ERROR: null, FATAL: null, OFF: null }),
  tracing: t.boolean,
  apiThrottleRateLimit: refine(t.number, (n) => n > 0 && n <= 10000, 'a number of requests per second above 0, at most 10000'),
  apiThrottleBurstLimit: intIn(1, 5000),
  stuckOrderMinutes: intIn(2, 1440),
  redriveMaxAttempts: intIn(1, 10),
  reconcileEveryMinutes: intIn(1, 60),
  alarmEmail: refine(t.string, (s) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(s), 'an e-mail address'),
  permissionsBoundary: refine(
    t.string,
    (s) => s === 'delivery' || /^arn:aws[a-z-]*:iam::\d{12}:policy\/[\w+=,.@/-]{1,512}$/.test(s),
    `"delivery" (the boundary deployments/ makes for this stack) or an IAM policy ARN`,
  ),
  pointInTimeRecovery: t.boolean,
  deletionProtection: t.boolean,
  apiGatewayAccount: t.keyof(
    Object.fromEntries(API_GATEWAY_ACCOUNT_MODES.map((m) => [m, null])) as Record<(typeof API_GATEWAY_ACCOUNT_MODES)[number], null>,
  ),
  faults: Faults,
  alarmThresholds: t.exact(
    t.partial({
      systemFailures: intIn(1, 100_000),
      functionErrors: intIn(1, 100_000),
      throttles: intIn(1, 100_000),
      dlqWaitingMinutes: refine(
        t.number,
        (n) => Number.isInteger(n) && n >= 5 && n <= 1440 && n % 5 === 0,
        'a multiple of 5 minutes from 5 to 1440',
      ),
      dlqMessagesReceived: intIn(1, 100_000),
      api5xxRate: refine(t.number, (n) => n > 0 && n <= 1, 'a share above 0, at most 1'),
      apiLatencyP99Ms: intIn(1, 29_000),
      failedExecutions: intIn(1, 100_000),
      stuckOrders: intIn(1, 100_000),
    }),
  ),
};
type Fields = typeof fields;
type Key = keyof Fields;
export type StackConfig = {
  [K in Exclude<Key, 'alarmEmail' | 'permissionsBoundary' | 'faults' | 'alarmThresholds'>]: t.TypeOf<Fields[K]>;
} & {
  /** Overrides of the alarms' thresholds (components/alarms.ts ALARM_DEFAULTS). */
  alarmThresholds?: t.TypeOf<Fields['alarmThresholds']>;
  alarmEmail?: string;
  /** The permissions boundary every role of the stack carries: 'delivery' or a policy ARN; none when unset. */
  permissionsBoundary?: string;
  faults?: Faults;
};

/**
 * The defaults, taken from the components that apply them. Pulumi.yaml and the README's config table
 * repeat them for people; tests/infra/config.test.ts keeps both equal to these.
 */
export const CONFIG_DEFAULTS: Omit<StackConfig, 'alarmEmail' | 'permissionsBoundary' | 'faults' | 'alarmThresholds'> = {
  fulfillmentSuccessRate: FULFILLMENT_QUEUE_DEFAULTS.fulfillmentSuccessRate,
  workflowType: ORCHESTRATOR_DEFAULTS.workflowType,
  maxReceiveCount: FULFILLMENT_QUEUE_DEFAULTS.maxReceiveCount,
  fulfillmentBatchSize: FULFILLMENT_QUEUE_DEFAULTS.batchSize,
  fulfillmentBatchWindowSeconds: FULFILLMENT_QUEUE_DEFAULTS.batchWindowSeconds,
  fulfillmentTimeoutSeconds: FULFILLMENT_QUEUE_DEFAULTS.fulfillmentTimeoutSeconds,
  fulfillmentMaxConcurrency: FULFILLMENT_QUEUE_DEFAULTS.maxConcurrency,
  logRetentionDays: FUNCTION_DEFAULTS.logRetentionDays,
  logLevel: FUNCTION_DEFAULTS.logLevel,
  workflowLogLevel: ORCHESTRATOR_DEFAULTS.workflowLogLevel,
  tracing: FUNCTION_DEFAULTS.tracing,
  apiThrottleRateLimit: ORDER_API_DEFAULTS.throttleRateLimit,
  apiThrottleBurstLimit: ORDER_API_DEFAULTS.throttleBurstLimit,
  stuckOrderMinutes: RECONCILE_DEFAULTS.stuckAfterMinutes,
  redriveMaxAttempts: RECONCILE_DEFAULTS.maxAttempts,
  reconcileEveryMinutes: RECONCILE_DEFAULTS.everyMinutes,
  pointInTimeRecovery: ORDER_STORE_DEFAULTS.pointInTimeRecovery,
  deletionProtection: ORDER_STORE_DEFAULTS.deletionProtection,
  apiGatewayAccount: 'existing',
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
      Object.keys(f ?? {})
        .filter((k) => !['errorRate', 'timeoutRate'].includes(k))
        .map((k) => `${target}.${k}`),
    );
    if (unknownTargets.length > 0) {
      problems.push(
        `${fullKey} names unknown functions ${unknownTargets.map(show).join(', ')}; allowed: ${Object.keys(Faults.type.props).join(', ')}`,
      );
    } else if (unknownFields.length > 0) {
      problems.push(`${fullKey} has unknown fields ${unknownFields.map(show).join(', ')}; allowed per function: errorRate, timeoutRate`);
    } else if (PROTECTED_STACKS.includes(stack)) {
      problems.push(`${fullKey} is refused on the '${stack}' stack: fault injection is for test stacks only`);
    }
  }
  if (PROTECTED_STACKS.includes(stack) && out.pointInTimeRecovery !== true) {
    problems.push(`${CONFIG_NAMESPACE}:pointInTimeRecovery = ${show(out.pointInTimeRecovery)} is not allowed on '${stack}': expected true`);
  }
  if (PROTECTED_STACKS.includes(stack) && out.alarmEmail === undefined) {
    problems.push(
      `${CONFIG_NAMESPACE}:alarmEmail is not set on '${stack}': its alarms would tell nobody (pulumi config set dofs:alarmEmail <on-call address>)`,
    );
  }
  if (values.alarmThresholds !== undefined) {
    const unknown = Object.keys(given.alarmThresholds as object).filter((k) => !(k in ALARM_DEFAULTS));
    if (unknown.length > 0) {
      problems.push(
        `${CONFIG_NAMESPACE}:alarmThresholds has unknown fields ${unknown.map(show).join(', ')}; allowed: ${Object.keys(ALARM_DEFAULTS).join(', ')}`,
      );
    }
  }
  if (PROTECTED_STACKS.includes(stack) && out.deletionProtection !== true) {
    problems.push(`${CONFIG_NAMESPACE}:deletionProtection = ${show(out.deletionProtection)} is not allowed on '${stack}': expected true`);
  }
  // Cross-field rules: the components' own checks, with the messages naming the keys a user sets.
  const key = (k: Key) => `${CONFIG_NAMESPACE}:${k}`;
  const c = out as StackConfig;
  problems.push(
    ...validateBatching(
      { batchSize: c.fulfillmentBatchSize, batchWindowSeconds: c.fulfillmentBatchWindowSeconds },
      { batchSize: key('fulfillmentBatchSize'), batchWindowSeconds: key('fulfillmentBatchWindowSeconds') },
    ),
    ...validateThrottling(
      { throttleRateLimit: c.apiThrottleRateLimit, throttleBurstLimit: c.apiThrottleBurstLimit },
      { throttleRateLimit: key('apiThrottleRateLimit'), throttleBurstLimit: key('apiThrottleBurstLimit') },
    ),
  );
  // An order stays PENDING legitimately while fulfillment retries it: maxReceiveCount receives, each up to the
  // queue's visibility timeout (6 times the function's). The reconciler must not take that for stuck.
  const pendingSeconds = c.fulfillmentTimeoutSeconds * 6 * c.maxReceiveCount;
  if (c.stuckOrderMinutes * 60 <= pendingSeconds) {
    problems.push(
      `${key('stuckOrderMinutes')} = ${c.stuckOrderMinutes} is too short: an order may be PENDING for ${pendingSeconds} s while ` +
        `fulfillment retries it (${key('fulfillmentTimeoutSeconds')} × 6 × ${key('maxReceiveCount')}); expected more than ${Math.ceil(pendingSeconds / 60)}`,
    );
  }
  if (c.apiGatewayAccount === 'managed' && c.permissionsBoundary === 'delivery') {
    // deployments/ sets the account's role itself; its boundaries hold nothing for API Gateway's logging.
    problems.push(
      `${key('apiGatewayAccount')} = 'managed' cannot go with ${key('permissionsBoundary')} = 'delivery': deployments/ sets the ` +
        `account's CloudWatch role itself; remove apiGatewayAccount, or permissionsBoundary for a deploy outside delivery`,
    );
  }
  if (problems.length > 0) throw new StackConfigError(problems);
  return out as StackConfig;
};
