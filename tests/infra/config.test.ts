import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { validateBatching } from '../../components/fulfillmentQueue';
import { validateThrottling } from '../../components/orderApi';
import { CONFIG_DEFAULTS, StackConfigError, decodeConfig } from '../../config';
import { ROOT, stackConfig } from './harness';

const problemsOf = (raw: Record<string, string>, stack = 'dev'): readonly string[] => {
  try {
    decodeConfig(raw, stack);
  } catch (e) {
    if (e instanceof StackConfigError) return e.problems;
    throw e;
  }
  return [];
};

describe('stack config', () => {
  it('applies the defaults when a stack sets nothing', () => {
    expect(decodeConfig({}, 'dev')).toEqual(CONFIG_DEFAULTS);
  });

  it('keeps Pulumi.yaml defaults equal to the code defaults, with a type and description for each key', () => {
    const project = parse(fs.readFileSync(path.join(ROOT, 'Pulumi.yaml'), 'utf8')) as {
      config: Record<string, { type?: string; default?: unknown; description?: string }>;
    };
    for (const [key, value] of Object.entries(CONFIG_DEFAULTS)) {
      const declared = project.config[`dofs:${key}`];
      expect({ key, default: declared?.default }).toEqual({ key, default: value });
      expect(declared?.type).toBeDefined();
      expect(declared?.description?.length).toBeGreaterThan(10);
    }
  });

  it("keeps the README's config table equal to the code defaults and to each committed stack file", () => {
    // Given the table under "### Configuration": | `key` | default | allowed | dev / staging / prod |
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Configuration'));
    const rows = new Map(
      [...section.matchAll(/^\| `(\w+)` +\| ([^|]+) \| [^|]+ \| ([^|]+) \|$/gm)].map((m) => [
        m[1],
        { def: m[2].trim(), perStack: m[3].trim() },
      ]),
    );
    const known = Object.keys(decodeConfig({}, 'dev')).concat('alarmEmail', 'permissionsBoundary', 'faults', 'alarmThresholds');
    expect([...rows.keys()].sort()).toEqual([...new Set(known)].sort());
    for (const [key, value] of Object.entries(CONFIG_DEFAULTS)) {
      // Then its default column is the code's default
      expect({ key, default: rows.get(key)?.def }).toEqual({ key, default: String(value) });
      // and its per-stack column says what each stack file sets ("default" when none sets it)
      const set = ['dev', 'staging', 'prod'].map((stack) => stackConfig(stack)[`dofs:${key}`]);
      const expected = set.every((v) => v === undefined) ? 'default' : set.map((v) => v ?? String(value)).join(' / ');
      expect({ key, perStack: rows.get(key)?.perStack }).toEqual({ key, perStack: expected });
    }
  });

  it("keeps the runbook's disaster-recovery table equal to each stack's point-in-time recovery", () => {
    const runbook = fs.readFileSync(path.join(ROOT, 'docs', 'runbook.md'), 'utf8');
    for (const stack of ['dev', 'staging', 'prod']) {
      const row = new RegExp(`^\\| ${stack} +\\| ([^|]+)\\|`, 'm').exec(runbook);
      const pitr = decodeConfig(stackConfig(stack), stack).pointInTimeRecovery;
      expect({ stack, pitr: row?.[1].trim().startsWith('on') }).toEqual({ stack, pitr });
    }
  });

  it.each(['dev', 'staging', 'prod'])('decodes the committed %s stack file', (stack) => {
    expect(() => decodeConfig(stackConfig(stack), stack)).not.toThrow();
  });

  it("refuses setting the account's CloudWatch role within delivery's boundary, naming both keys", () => {
    expect(problemsOf({ 'dofs:apiGatewayAccount': 'managed', 'dofs:permissionsBoundary': 'delivery' })).toEqual([
      "dofs:apiGatewayAccount = 'managed' cannot go with dofs:permissionsBoundary = 'delivery': deployments/ sets the account's " +
        'CloudWatch role itself; remove apiGatewayAccount, or permissionsBoundary for a deploy outside delivery',
    ]);
    expect(problemsOf({ 'dofs:permissionsBoundary': 'arn:aws:iam::123456789012:role/x' })[0]).toMatch(
      /^dofs:permissionsBoundary = 'arn:aws:iam::123456789012:role\/x' is not allowed: expected "delivery"/,
    );
  });

  it('names the key, the value and what is allowed for a bad value', () => {
    expect(problemsOf({ 'dofs:fulfillmentSuccessRate': '1.5' })).toEqual([
      'dofs:fulfillmentSuccessRate = 1.5 is not allowed: expected a number from 0 to 1',
    ]);
    expect(problemsOf({ 'dofs:workflowType': 'FAST' })).toEqual([
      `dofs:workflowType = 'FAST' is not allowed: expected "STANDARD" | "EXPRESS"`,
    ]);
    expect(problemsOf({ 'dofs:logRetentionDays': '10' })[0]).toMatch(
      /^dofs:logRetentionDays = 10 is not allowed: expected one of 1, 3, 5, 7, 14,/,
    );
    expect(problemsOf({ 'dofs:maxReceiveCount': '2.5' })).toEqual([
      'dofs:maxReceiveCount = 2.5 is not allowed: expected a whole number from 1 to 1000',
    ]);
    expect(problemsOf({ 'dofs:tracing': 'yes' })).toEqual([`dofs:tracing = 'yes' is not allowed: expected boolean`]);
    // Lambda refuses a mapping's maximumConcurrency below 2 (API_ScalingConfig).
    expect(problemsOf({ 'dofs:fulfillmentMaxConcurrency': '1' })).toEqual([
      'dofs:fulfillmentMaxConcurrency = 1 is not allowed: expected a whole number from 2 to 1000',
    ]);
    expect(problemsOf({ 'dofs:apiGatewayAccount': 'yes' })).toEqual([
      `dofs:apiGatewayAccount = 'yes' is not allowed: expected "managed" | "existing"`,
    ]);
  });

  it('refuses unknown keys and lists every problem at once', () => {
    const problems = problemsOf({ 'dofs:fulfilmentRate': '0.5', 'dofs:maxReceiveCount': '0', 'aws:region': 'eu-west-1' });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^dofs:fulfilmentRate is not a known key; known keys: fulfillmentSuccessRate, /);
    expect(problems[1]).toBe('dofs:maxReceiveCount = 0 is not allowed: expected a whole number from 1 to 1000');
  });

  it('requires the protections on prod and refuses fault injection there', () => {
    expect(problemsOf({}, 'prod')).toEqual([
      "dofs:pointInTimeRecovery = false is not allowed on 'prod': expected true",
      "dofs:alarmEmail is not set on 'prod': its alarms would tell nobody (pulumi config set dofs:alarmEmail <on-call address>)",
      "dofs:deletionProtection = false is not allowed on 'prod': expected true",
    ]);
    const faults = JSON.stringify({ fulfillment: { errorRate: 0.5 } });
    expect(problemsOf({ ...stackConfig('prod'), 'dofs:faults': faults }, 'prod')).toEqual([
      "dofs:faults is refused on the 'prod' stack: fault injection is for test stacks only",
    ]);
    expect(decodeConfig({ 'dofs:faults': faults }, 'dev').faults).toEqual({ fulfillment: { errorRate: 0.5 } });
  });

  it('refuses a stuck-order bound shorter than fulfillment may legitimately take, naming the keys', () => {
    expect(problemsOf({ 'dofs:stuckOrderMinutes': '3' })).toEqual([
      'dofs:stuckOrderMinutes = 3 is too short: an order may be PENDING for 180 s while fulfillment retries it ' +
        '(dofs:fulfillmentTimeoutSeconds × 6 × dofs:maxReceiveCount); expected more than 3',
    ]);
    expect(decodeConfig({ 'dofs:stuckOrderMinutes': '4' }, 'dev').stuckOrderMinutes).toBe(4);
  });

  it('takes alarm thresholds per stack, naming an unknown one or a bad value', () => {
    expect(decodeConfig({ 'dofs:alarmThresholds': '{"api5xxRate":0.02}' }, 'dev').alarmThresholds).toEqual({ api5xxRate: 0.02 });
    expect(problemsOf({ 'dofs:alarmThresholds': '{"latency":5}' })).toEqual([
      "dofs:alarmThresholds has unknown fields 'latency'; allowed: systemFailures, functionErrors, throttles, dlqWaitingMinutes, dlqMessagesReceived, api5xxRate, apiLatencyP99Ms, failedExecutions, stuckOrders",
    ]);
    expect(problemsOf({ 'dofs:alarmThresholds': '{"api5xxRate":2}' })[0]).toMatch(
      /^dofs:alarmThresholds = \{"api5xxRate":2\} is not allowed/,
    );
  });

  it('names unknown fault targets and fields', () => {
    expect(problemsOf({ 'dofs:faults': JSON.stringify({ warehouse: { errorRate: 1 } }) })[0]).toMatch(
      /^dofs:faults names unknown functions 'warehouse'; allowed: apiHandler, validator/,
    );
    expect(problemsOf({ 'dofs:faults': JSON.stringify({ fulfillment: { errRate: 1 } }) })).toEqual([
      "dofs:faults has unknown fields 'fulfillment.errRate'; allowed per function: errorRate, timeoutRate",
    ]);
  });

  it('refuses a batch over 10 without a batching window, naming both keys', () => {
    expect(problemsOf({ 'dofs:fulfillmentBatchSize': '20', 'dofs:fulfillmentBatchWindowSeconds': '0' })).toEqual([
      'dofs:fulfillmentBatchSize = 20 needs dofs:fulfillmentBatchWindowSeconds of at least 1 (it is 0): ' +
        'Lambda takes more than 10 messages per batch from SQS only with a batching window',
    ]);
    expect(problemsOf({ 'dofs:fulfillmentBatchSize': '10', 'dofs:fulfillmentBatchWindowSeconds': '0' })).toEqual([]);
    expect(problemsOf({ 'dofs:fulfillmentBatchSize': '20', 'dofs:fulfillmentBatchWindowSeconds': '1' })).toEqual([]);
  });

  it("the components' argument checks name their own arguments when called without key names", () => {
    expect(validateBatching({ batchSize: 11, batchWindowSeconds: 0 })[0]).toMatch(/^batchSize = 11 needs batchWindowSeconds of at least 1/);
    expect(validateThrottling({ throttleRateLimit: 5, throttleBurstLimit: 4 })).toEqual([
      'throttleBurstLimit = 4 is below throttleRateLimit = 5: the burst must be at least the rate',
    ]);
  });

  it('refuses a burst below the rate', () => {
    expect(problemsOf({ 'dofs:apiThrottleRateLimit': '100', 'dofs:apiThrottleBurstLimit': '10' })).toEqual([
      'dofs:apiThrottleBurstLimit = 10 is below dofs:apiThrottleRateLimit = 100: the burst must be at least the rate',
    ]);
  });
});
