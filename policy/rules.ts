/**
 * DOFS's CrossGuard rules: what AWS enforces at deploy or run time that Pulumi's mocks never do (each a
 * finding of the issue-14 review), and the security rules a reviewer brings from checkov, cfn-nag and
 * serverless-rules. Every rule is a stack validation over the resources' inputs, so that a rule can relate
 * resources (a task and its function, a queue and its consumer). tests/policy/pack.test.ts runs each rule
 * on dev, staging and prod under mocks (all pass) and on a fixture that breaks it (it fails).
 *
 * Values that are not known yet (another resource's ARN during a first preview) are never guessed: @pulumi/policy
 * then reports the whole rule as not run during preview, and it runs at the end of `pulumi up`.
 */
/* eslint-disable @typescript-eslint/no-unsafe-member-access -- resource inputs are untyped JSON: every read is optional-chained and checked */
import type { PolicyResource, ReportViolation, StackValidationPolicy } from '@pulumi/policy';
import { API_SHAPING_TYPES } from '../components/orderApi';
import { LAMBDA_TASK_TIMEOUT_MARGIN_SECONDS } from '../components/workflow';
import { LOG_DELIVERY_ACTIONS } from '../components/workflow/asl';

type Props = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The subset of a policy resource the rules read (what the tests build from recorded resources). */
export type RuleResource = Pick<PolicyResource, 'type' | 'name' | 'urn' | 'props'>;

/** A rule: a stack validation whose resources are those the rules read. */
export interface DofsRule extends StackValidationPolicy {
  /** The finding or the checkov / cfn-nag / serverless-rules check the rule stands for. */
  readonly source: string;
}

const ofType = (resources: readonly RuleResource[], type: string) => resources.filter((r) => r.type === type);
const parse = (v: unknown): Props | undefined => {
  if (typeof v !== 'string') return v !== null && typeof v === 'object' ? v : undefined;
  try {
    return JSON.parse(v) as Props;
  } catch {
    return undefined;
  }
};
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
/** A resource's name as it appears at the end of its ARN (`...:function:dofs-validator`, `...:dofs-orders`). */
const arnNames = (r: RuleResource) => [r.props.arn, r.props.name, r.name].filter((x): x is string => typeof x === 'string');
const sameThing = (ref: unknown, r: RuleResource) =>
  typeof ref === 'string' && arnNames(r).some((n) => ref === n || ref.endsWith(`:${n}`) || ref.endsWith(`/${n}`));

const rule = (
  name: string,
  description: string,
  source: string,
  check: (resources: readonly RuleResource[], report: (message: string, r?: RuleResource) => void) => void,
): DofsRule => ({
  name,
  description,
  source,
  enforcementLevel: 'mandatory',
  validateStack: (args, reportViolation: ReportViolation) =>
    check(args.resources, (message, r) => reportViolation(r ? `${r.name}: ${message}` : message, r?.urn)),
});

/** Identity policy documents: role policies, customer managed policies and roles' inline policies. */
const identityDocuments = (resources: readonly RuleResource[]) => [
  ...ofType(resources, 'aws:iam/rolePolicy:RolePolicy').map((r) => ({ r, doc: parse(r.props.policy) })),
  ...ofType(resources, 'aws:iam/policy:Policy').map((r) => ({ r, doc: parse(r.props.policy) })),
  ...ofType(resources, 'aws:iam/role:Role').flatMap((r) =>
    list(r.props.inlinePolicies as Props[] | undefined).map((p) => ({ r, doc: parse(p.policy) })),
  ),
];
const statementsOf = (doc: Props | undefined) => list(doc?.Statement as Props | Props[] | undefined);

/**
 * Actions AWS authorizes only on "*" (no resource type in the Service Authorization Reference,
 * https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html),
 * the documented exceptions to "no * resource". tests/infra/policyData.test.ts checks each against AWS's data.
 */
export const STAR_RESOURCE_ACTIONS: ReadonlySet<string> = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'logs:DescribeLogGroups',
  // Step Functions' vended log delivery (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html).
  ...LOG_DELIVERY_ACTIONS,
]);

export const RULES: readonly DofsRule[] = [
  // --- What AWS enforces at deploy or run time (the review's findings) ---
  rule(
    'apigateway-access-logging-needs-account-role',
    "A stage with access logging needs the API Gateway account's CloudWatch Logs role in the stack (set or read).",
    'review finding 1; https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html',
    (resources, report) => {
      const logging = ofType(resources, 'aws:apigateway/stage:Stage').filter((s) => s.props.accessLogSettings);
      // The engine passes stack policies registered resources only, never reads (pulumi/pulumi
      // pkg/resource/deploy/step_generator.go): an `existing` stack's Account.get is not here, but its
      // ApiGatewayAccount component is, and that component stops the program when the account has no role.
      const account = [...ofType(resources, 'aws:apigateway/account:Account'), ...ofType(resources, 'dofs:index:ApiGatewayAccount')];
      if (logging.length > 0 && account.length === 0) {
        for (const s of logging) report("access logging without the account's CloudWatch role: set dofs:apiGatewayAccount", s);
      }
    },
  ),
  rule(
    'lambda-emf-not-filtered-by-log-level',
    'A function that logs JSON keeps INFO lines: EMF metric lines carry no level and Lambda takes them as INFO.',
    'review finding 5; https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html',
    (resources, report) => {
      for (const fn of ofType(resources, 'aws:lambda/function:Function')) {
        const level = fn.props.loggingConfig?.applicationLogLevel as string | undefined;
        if (fn.props.loggingConfig?.logFormat === 'JSON' && level !== undefined && !['TRACE', 'DEBUG', 'INFO'].includes(level)) {
          report(`applicationLogLevel ${level} drops every EMF metric line: use INFO or lower and filter in code`, fn);
        }
      }
    },
  ),
  rule(
    'sns-alarm-topic-key-usable-by-cloudwatch',
    "A topic that alarms publish to is encrypted with a customer managed key whose policy lets CloudWatch use it (alias/aws/sns's cannot).",
    'review finding 6; https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services',
    (resources, report) => {
      const actions = new Set(
        [...ofType(resources, 'aws:cloudwatch/metricAlarm:MetricAlarm')].flatMap((a) => [
          ...list(a.props.alarmActions as string[] | undefined),
          ...list(a.props.okActions as string[] | undefined),
          ...list(a.props.insufficientDataActions as string[] | undefined),
        ]),
      );
      for (const topic of ofType(resources, 'aws:sns/topic:Topic').filter((t) => [...actions].some((a) => sameThing(a, t)))) {
        const keyRef = topic.props.kmsMasterKeyId as string | undefined;
        if (keyRef === undefined) continue; // unencrypted: the encryption rule reports it
        if (/alias\/aws\/sns$/.test(keyRef)) {
          report('alarms cannot publish to a topic encrypted with alias/aws/sns: use a key of your own', topic);
          continue;
        }
        const key = ofType(resources, 'aws:kms/key:Key').find((k) => sameThing(keyRef, k) || keyRef === k.props.keyId);
        if (!key) continue; // a key of another stack: its policy is not visible here
        const grants = statementsOf(parse(key.props.policy)).filter(
          (s) => s.Effect === 'Allow' && list(s.Principal?.Service as string | string[] | undefined).includes('cloudwatch.amazonaws.com'),
        );
        const granted = grants.flatMap((s) => list(s.Action as string | string[]));
        const missing = ['kms:Decrypt', 'kms:GenerateDataKey*'].filter((a) => !granted.includes(a));
        if (missing.length > 0) report(`the key's policy does not give cloudwatch.amazonaws.com ${missing.join(', ')}`, topic);
      }
    },
  ),
  rule(
    'sfn-task-timeout-just-exceeds-function-timeout',
    `Each Lambda task's TimeoutSeconds exceeds its function's timeout by at most ${LAMBDA_TASK_TIMEOUT_MARGIN_SECONDS} s (init is not in the function timeout).`,
    'review (issue 13): a task timeout below the function timeout abandons work that still runs; far above it, a lost invocation waits',
    (resources, report) => {
      const fns = ofType(resources, 'aws:lambda/function:Function');
      for (const sm of ofType(resources, 'aws:sfn/stateMachine:StateMachine')) {
        const states = (parse(sm.props.definition)?.States ?? {}) as Record<string, Props>;
        for (const [name, st] of Object.entries(states)) {
          if (st.Type !== 'Task' || typeof st.Resource !== 'string') continue;
          const fnRef = st.Resource.includes(':function:') ? st.Resource : (st.Parameters?.FunctionName as string | undefined);
          const fn = fns.find((f) => sameThing(fnRef, f));
          if (!fn) continue;
          const f = (fn.props.timeout as number | undefined) ?? 3;
          const t = st.TimeoutSeconds as number | undefined;
          if (t === undefined || t <= f || t > f + LAMBDA_TASK_TIMEOUT_MARGIN_SECONDS) {
            report(`task ${name}: TimeoutSeconds ${t ?? '(none: 99999999)'} for a function timeout of ${f} s`, sm);
          }
        }
      }
    },
  ),
  rule(
    'sqs-visibility-six-times-consumer-timeout',
    "A queue's visibility timeout is at least 6 times its Lambda consumer's timeout.",
    'https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html',
    (resources, report) => {
      for (const m of ofType(resources, 'aws:lambda/eventSourceMapping:EventSourceMapping')) {
        const queue = ofType(resources, 'aws:sqs/queue:Queue').find((q) => sameThing(m.props.eventSourceArn, q));
        const fn = ofType(resources, 'aws:lambda/function:Function').find((f) => sameThing(m.props.functionName, f));
        if (!queue || !fn) continue;
        const v = (queue.props.visibilityTimeoutSeconds as number | undefined) ?? 30;
        const t = (fn.props.timeout as number | undefined) ?? 3;
        if (v < 6 * t) report(`visibility timeout ${v} s is below 6 × ${fn.name}'s timeout of ${t} s`, queue);
      }
    },
  ),
  rule(
    'apigateway-deployment-triggers-cover-shape',
    'The deployment redeploys on any change to a method, integration, resource, model, validator or gateway response.',
    'review (weak): a stage serves the snapshot its deployment took; https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-deploy-api.html',
    (resources, report) => {
      const shaping = API_SHAPING_TYPES.flatMap((t) => ofType(resources, t));
      for (const d of ofType(resources, 'aws:apigateway/deployment:Deployment')) {
        const triggers = (d.props.triggers ?? {}) as Record<string, unknown>;
        const missing = shaping.filter((r) => !(r.name in triggers)).map((r) => r.name);
        if (missing.length > 0) report(`triggers do not cover ${missing.join(', ')}`, d);
      }
    },
  ),
  rule(
    'lambda-mapping-concurrency-bounded',
    'Each SQS event source mapping sets maximumConcurrency (2-1000), so a full queue cannot starve the API.',
    'review (weak); serverless-rules sqs/lambda concurrency; https://docs.aws.amazon.com/lambda/latest/api/API_ScalingConfig.html',
    (resources, report) => {
      for (const m of ofType(resources, 'aws:lambda/eventSourceMapping:EventSourceMapping')) {
        const c = m.props.scalingConfig?.maximumConcurrency as number | undefined;
        if (c === undefined || c < 2 || c > 1000) report(`maximumConcurrency is ${c ?? 'not set'}: expected 2 to 1000`, m);
      }
    },
  ),

  // --- Security rules (checkov, cfn-nag, serverless-rules) ---
  rule(
    'dynamodb-encrypted-and-protected-on-prod',
    'Tables are encrypted; tables tagged Stack=prod have deletion protection and point-in-time recovery.',
    'checkov CKV_AWS_28 (PITR), CKV_AWS_119 (encryption); cfn-nag W28',
    (resources, report) => {
      for (const t of ofType(resources, 'aws:dynamodb/table:Table')) {
        if (t.props.serverSideEncryption?.enabled !== true) report('server-side encryption is not enabled', t);
        if (t.props.tags?.Stack === 'prod') {
          if (t.props.deletionProtectionEnabled !== true) report('a prod table without deletion protection', t);
          if (t.props.pointInTimeRecovery?.enabled !== true) report('a prod table without point-in-time recovery', t);
        }
      }
    },
  ),
  rule(
    'sqs-encrypted',
    'Queues are encrypted at rest (SQS-managed SSE or KMS).',
    'checkov CKV_AWS_27; serverless-rules SQS',
    (resources, report) => {
      for (const q of ofType(resources, 'aws:sqs/queue:Queue')) {
        if (q.props.sqsManagedSseEnabled !== true && !q.props.kmsMasterKeyId) report('not encrypted at rest', q);
      }
    },
  ),
  rule(
    'sqs-tls-only',
    'Every queue has a policy that denies requests not made over TLS (aws:SecureTransport false).',
    'AWS Security Hub SQS.x / cfn-nag; https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-security-best-practices.html',
    (resources, report) => {
      const policies = ofType(resources, 'aws:sqs/queuePolicy:QueuePolicy');
      for (const q of ofType(resources, 'aws:sqs/queue:Queue')) {
        const own = policies.filter(
          (p) => p.props.queueUrl === undefined || p.props.queueUrl === q.props.url || sameThing(p.props.queueUrl, q),
        );
        const denies = own.some((p) =>
          statementsOf(parse(p.props.policy)).some(
            (s) => s.Effect === 'Deny' && String(s.Condition?.Bool?.['aws:SecureTransport']) === 'false',
          ),
        );
        if (!denies) report('no queue policy denies requests without TLS', q);
      }
    },
  ),
  rule('sns-encrypted', 'Topics are encrypted with KMS.', 'checkov CKV_AWS_26', (resources, report) => {
    for (const t of ofType(resources, 'aws:sns/topic:Topic')) if (!t.props.kmsMasterKeyId) report('not encrypted with KMS', t);
  }),
  rule('kms-key-rotation', 'Customer managed keys rotate.', 'checkov CKV_AWS_7', (resources, report) => {
    for (const k of ofType(resources, 'aws:kms/key:Key')) if (k.props.enableKeyRotation !== true) report('key rotation is off', k);
  }),
  rule(
    'iam-no-wildcard-actions',
    'No identity policy grants a wildcard action (`*` or `service:*`) or uses NotAction.',
    'checkov CKV_AWS_355, CKV2_AWS_40; cfn-nag F4, W12',
    (resources, report) => {
      for (const { r, doc } of identityDocuments(resources)) {
        for (const s of statementsOf(doc)) {
          if (s.NotAction !== undefined) report('a statement uses NotAction', r);
          for (const a of list(s.Action as string | string[] | undefined)) if (a.includes('*')) report(`wildcard action '${a}'`, r);
        }
      }
    },
  ),
  rule(
    'iam-star-resource-only-where-aws-allows-no-other',
    "A `*` resource only for actions that have no resource type in AWS's authorization data (STAR_RESOURCE_ACTIONS).",
    'checkov CKV_AWS_111, CKV_AWS_356; cfn-nag W11',
    (resources, report) => {
      for (const { r, doc } of identityDocuments(resources)) {
        for (const s of statementsOf(doc)) {
          if (s.Effect !== 'Allow' || !list(s.Resource as string | string[] | undefined).includes('*')) continue;
          const narrowable = list(s.Action as string | string[] | undefined).filter((a) => !STAR_RESOURCE_ACTIONS.has(a));
          if (narrowable.length > 0) report(`'*' resource for ${narrowable.join(', ')}`, r);
        }
      }
    },
  ),
  rule(
    'tracing-on',
    'Functions, state machines and API stages trace with X-Ray.',
    'checkov CKV_AWS_50 (Lambda), CKV_AWS_73 (API Gateway); serverless-rules Lambda/SFN/API tracing',
    (resources, report) => {
      for (const f of ofType(resources, 'aws:lambda/function:Function')) {
        if (f.props.tracingConfig?.mode !== 'Active') report('X-Ray tracing is not Active', f);
      }
      for (const sm of ofType(resources, 'aws:sfn/stateMachine:StateMachine')) {
        if (sm.props.tracingConfiguration?.enabled !== true) report('X-Ray tracing is off', sm);
      }
      for (const st of ofType(resources, 'aws:apigateway/stage:Stage'))
        if (st.props.xrayTracingEnabled !== true) report('X-Ray tracing is off', st);
    },
  ),
  rule(
    'logging-on-with-retention',
    'State machines and stages log, functions log to a group of their own, and every log group has a retention.',
    'checkov CKV_AWS_76 (stage access logs), CKV_AWS_338 (retention); serverless-rules log retention',
    (resources, report) => {
      for (const g of ofType(resources, 'aws:cloudwatch/logGroup:LogGroup'))
        if (!g.props.retentionInDays) report('no retention: logs kept forever', g);
      for (const st of ofType(resources, 'aws:apigateway/stage:Stage'))
        if (!st.props.accessLogSettings?.destinationArn) report('no access logs', st);
      for (const sm of ofType(resources, 'aws:sfn/stateMachine:StateMachine')) {
        const level = sm.props.loggingConfiguration?.level as string | undefined;
        if (!level || level === 'OFF' || !sm.props.loggingConfiguration?.logDestination) report('execution logging is off', sm);
      }
      for (const f of ofType(resources, 'aws:lambda/function:Function'))
        if (!f.props.loggingConfig?.logGroup) report('no log group of its own', f);
    },
  ),
  rule(
    'apigateway-throttled',
    'Every stage has method settings for */* with a rate and a burst limit.',
    'serverless-rules API Gateway throttling (ServerlessRules: api_gateway_throttling)',
    (resources, report) => {
      const settings = ofType(resources, 'aws:apigateway/methodSettings:MethodSettings').filter(
        (m) => m.props.methodPath === '*/*' && m.props.settings?.throttlingRateLimit > 0 && m.props.settings?.throttlingBurstLimit > 0,
      );
      for (const st of ofType(resources, 'aws:apigateway/stage:Stage')) {
        if (!settings.some((m) => m.props.stageName === undefined || m.props.stageName === st.props.stageName)) report('not throttled', st);
      }
    },
  ),
  rule(
    'async-consumers-have-dlq',
    "Every queue a function consumes redrives to a dead-letter queue, except a dead-letter queue itself (its consumer's failures stay in it, visible to its alarm).",
    'serverless-rules SQS redrive / Lambda async destinations; cfn-nag',
    (resources, report) => {
      const queues = ofType(resources, 'aws:sqs/queue:Queue');
      const dlqRefs = queues.map((q) => parse(q.props.redrivePolicy)?.deadLetterTargetArn as string | undefined).filter(Boolean);
      for (const m of ofType(resources, 'aws:lambda/eventSourceMapping:EventSourceMapping')) {
        const q = queues.find((x) => sameThing(m.props.eventSourceArn, x));
        if (!q || dlqRefs.some((ref) => sameThing(ref, q))) continue;
        if (!parse(q.props.redrivePolicy)?.deadLetterTargetArn) report(`consumed by ${m.name} with no dead-letter queue`, q);
      }
    },
  ),
];
