import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
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

  it.each(['dev', 'staging', 'prod'])('decodes the committed %s stack file', (stack) => {
    expect(() => decodeConfig(stackConfig(stack), stack)).not.toThrow();
  });

  it('names the key, the value and what is allowed for a bad value', () => {
    expect(problemsOf({ 'dofs:fulfillmentSuccessRate': '1.5' })).toEqual([
      'dofs:fulfillmentSuccessRate = 1.5 is not allowed: expected a number from 0 to 1',
    ]);
    expect(problemsOf({ 'dofs:workflowType': 'FAST' })).toEqual([
      `dofs:workflowType = 'FAST' is not allowed: expected "STANDARD" | "EXPRESS"`,
    ]);
    expect(problemsOf({ 'dofs:logRetentionDays': '10' })[0]).toMatch(/^dofs:logRetentionDays = 10 is not allowed: expected one of 1, 3, 5, 7, 14,/);
    expect(problemsOf({ 'dofs:maxReceiveCount': '2.5' })).toEqual([
      'dofs:maxReceiveCount = 2.5 is not allowed: expected a whole number from 1 to 1000',
    ]);
    expect(problemsOf({ 'dofs:tracing': 'yes' })).toEqual([`dofs:tracing = 'yes' is not allowed: expected boolean`]);
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
      "dofs:deletionProtection = false is not allowed on 'prod': expected true",
    ]);
    const faults = JSON.stringify({ fulfillment: { errorRate: 0.5 } });
    expect(problemsOf({ ...stackConfig('prod'), 'dofs:faults': faults }, 'prod')).toEqual([
      "dofs:faults is refused on the 'prod' stack: fault injection is for test stacks only",
    ]);
    expect(decodeConfig({ 'dofs:faults': faults }, 'dev').faults).toEqual({ fulfillment: { errorRate: 0.5 } });
  });

  it('names unknown fault targets and fields', () => {
    expect(problemsOf({ 'dofs:faults': JSON.stringify({ warehouse: { errorRate: 1 } }) })[0]).toMatch(
      /^dofs:faults names unknown functions 'warehouse'; allowed: apiHandler, validator/,
    );
    expect(problemsOf({ 'dofs:faults': JSON.stringify({ fulfillment: { errRate: 1 } }) })).toEqual([
      "dofs:faults has unknown fields 'fulfillment.errRate'; allowed per function: errorRate, timeoutRate",
    ]);
  });

  it('refuses a burst below the rate', () => {
    expect(problemsOf({ 'dofs:apiThrottleRateLimit': '100', 'dofs:apiThrottleBurstLimit': '10' })).toEqual([
      'dofs:apiThrottleBurstLimit = 10 is below dofs:apiThrottleRateLimit = 100: the burst must be at least the rate',
    ]);
  });
});
