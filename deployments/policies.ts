/**
 * The IAM documents of delivery, as plain functions of plain values: the OIDC trust of the deploy and preview
 * roles, what each may do, and the permissions boundary of the roles a deployment creates. Every document is
 * scoped to one deploy target (a long-lived stack, or all review stacks together): names start with the
 * target's scope and tags carry it (components/scope.ts). Tests read them without mocks.
 */
import { ROLE_PATH } from '../components/policy';
import { DELIVERY_PATH, REVIEW_SCOPE_PREFIX, SCOPE_TAG, boundaryPolicyName, scopeOf } from '../components/scope';
import { LOG_DELIVERY_ACTIONS } from '../components/workflow/asl';
import { PROVIDER_ACTIONS } from './providerActions';

/** Pulumi Cloud's OIDC issuer, as IAM names it (the URL without its scheme). */
export const PULUMI_OIDC_HOST = 'api.pulumi.com/oidc';

/** The Pulumi project of the main program. */
export const DOFS_PROJECT = 'dofs';

/** The IAM path of the deploy and preview roles and of the boundaries: outside `/dofs/`, out of every deploy role's reach. */
export const DEPLOY_ROLE_PATH = DELIVERY_PATH;

/**
 * The audience of the tokens Pulumi Deployments mints: the organization's name
 * (https://www.pulumi.com/docs/pulumi-cloud/deployments/oidc/, "Token claims").
 */
export const audience = (organization: string) => organization;

/** Deployments operations, as the token's subject names them. */
export type Operation = 'preview' | 'update' | 'refresh' | 'destroy' | 'detect-drift';

/**
 * The subject of the token Pulumi Deployments mints for one deployment:
 * `pulumi:deploy:org:<org>:project:<project>:stack:<stack>:operation:<operation>:scope:write`
 * (https://www.pulumi.com/docs/pulumi-cloud/deployments/oidc/). Pulumi Cloud writes it; the code being
 * deployed cannot change it, so a trust policy on it decides which role a pull request's code can get.
 */
export const subject = (organization: string, stack: string, operation: Operation | '*') =>
  `pulumi:deploy:org:${organization}:project:${DOFS_PROJECT}:stack:${stack}:operation:${operation}:scope:write`;

/**
 * Where one deploy role may act: a long-lived stack, or every review stack (made by Pulumi Deployments for a
 * pull request from the review template, all sharing one role and one scope prefix).
 */
export type DeployTarget =
  | {
      readonly kind: 'stack';
      readonly stack: string;
      /** Whether a deployment may destroy it (never the last stack of the promotion order). */
      readonly destroy: boolean;
    }
  | { readonly kind: 'review' };

export const targetName = (t: DeployTarget) => (t.kind === 'stack' ? t.stack : 'review');

/** The IAM name pattern of every physical name of the target: `dofs-prod-*`, or `dofs_*` for review stacks. */
export const namePattern = (t: DeployTarget) => (t.kind === 'stack' ? `${scopeOf(t.stack)}-*` : `${REVIEW_SCOPE_PREFIX}*`);

/** The `DeployScope` tag values of the target, as a StringLike pattern. */
export const tagPattern = (t: DeployTarget) => (t.kind === 'stack' ? scopeOf(t.stack) : `${REVIEW_SCOPE_PREFIX}*`);

/** The name of the target's permissions boundary: the one the program derives for its stacks (components/scope.ts). */
export const boundaryName = (t: DeployTarget) => (t.kind === 'stack' ? boundaryPolicyName(t.stack) : boundaryPolicyName('pr-any'));

/** The ARN of the target's permissions boundary (made by deployments/, attached by the program: `dofs:permissionsBoundary: delivery`). */
export const boundaryArn = (account: string, t: DeployTarget) => `arn:aws:iam::${account}:policy${DELIVERY_PATH}${boundaryName(t)}`;

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource?: string | string[];
  readonly Principal?: Record<string, string>;
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

const webIdentity = (providerArn: string, organization: string, conditions: PolicyStatement['Condition']) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Federated: providerArn },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: { ...conditions, StringEquals: { [`${PULUMI_OIDC_HOST}:aud`]: audience(organization), ...conditions?.StringEquals } },
    },
  ] satisfies PolicyStatement[],
});

/** The operations each kind of role serves: writes (update, and destroy where allowed) and reads (plans and drift checks). */
export const writeOperations = (t: DeployTarget): Operation[] => (t.kind === 'review' || t.destroy ? ['update', 'destroy'] : ['update']);
export const readOperations: Operation[] = ['preview', 'refresh', 'detect-drift'];

/**
 * The trust of a role of `target` serving `operations`: web identity from Pulumi's issuer, the audience, and a
 * subject naming exactly those stacks and operations. Review stacks: any stack of the project except the
 * long-lived ones (their names are Pulumi Deployments' to choose).
 */
export const trustPolicy = (providerArn: string, organization: string, t: DeployTarget, operations: Operation[], longLived: string[]) =>
  t.kind === 'stack'
    ? webIdentity(providerArn, organization, {
        StringEquals: { [`${PULUMI_OIDC_HOST}:sub`]: operations.map((op) => subject(organization, t.stack, op)) },
      })
    : webIdentity(providerArn, organization, {
        StringLike: { [`${PULUMI_OIDC_HOST}:sub`]: operations.map((op) => subject(organization, '*', op)) },
        StringNotLike: { [`${PULUMI_OIDC_HOST}:sub`]: longLived.map((s) => subject(organization, s, '*')) },
      });

/**
 * What the deploy role of `target` may do: manage the services DOFS declares, on resources of its own scope
 * only (names starting `dofs-<stack>-`, or tagged `DeployScope=dofs-<stack>` where an ARN carries no name),
 * in one account and region, and IAM roles under `/dofs/` of its scope that carry its permissions boundary.
 * No `*` action; a `*` resource only where AWS allows no other.
 */
export const deployPolicy = (account: string, region: string, target: DeployTarget) => {
  const arn = (service: string, resource: string) => `arn:aws:${service}:${region}:${account}:${resource}`;
  const names = namePattern(target);
  const ownTag = { StringLike: { [`aws:ResourceTag/${SCOPE_TAG}`]: tagPattern(target) } };
  const newTag = { StringLike: { [`aws:RequestTag/${SCOPE_TAG}`]: tagPattern(target) } };
  const boundary = { StringEquals: { 'iam:PermissionsBoundary': boundaryArn(account, target) } };
  const roles = `arn:aws:iam::${account}:role${ROLE_PATH}${names}`;
  const statements: PolicyStatement[] = [
    {
      Sid: 'Tables',
      Effect: 'Allow',
      Action: [
        'dynamodb:CreateTable',
        'dynamodb:DeleteTable',
        'dynamodb:DescribeTable',
        'dynamodb:UpdateTable',
        'dynamodb:DescribeContinuousBackups',
        'dynamodb:UpdateContinuousBackups',
        'dynamodb:DescribeTimeToLive',
        'dynamodb:TagResource',
        'dynamodb:UntagResource',
        'dynamodb:ListTagsOfResource',
      ],
      Resource: arn('dynamodb', `table/${names}`),
    },
    {
      Sid: 'Queues',
      Effect: 'Allow',
      Action: [
        'sqs:CreateQueue',
        'sqs:DeleteQueue',
        'sqs:GetQueueAttributes',
        'sqs:SetQueueAttributes',
        'sqs:TagQueue',
        'sqs:UntagQueue',
        'sqs:ListQueueTags',
      ],
      Resource: arn('sqs', names),
    },
    {
      Sid: 'Functions',
      Effect: 'Allow',
      Action: [
        'lambda:CreateFunction',
        'lambda:DeleteFunction',
        'lambda:GetFunction',
        'lambda:UpdateFunctionCode',
        'lambda:UpdateFunctionConfiguration',
        'lambda:ListVersionsByFunction',
        'lambda:GetFunctionCodeSigningConfig',
        'lambda:AddPermission',
        'lambda:RemovePermission',
        'lambda:GetPolicy',
        // The api-handler's asynchronous invocation settings: no retry of a failed reconciler run (components/orderApi.ts).
        'lambda:PutFunctionEventInvokeConfig',
        'lambda:GetFunctionEventInvokeConfig',
        'lambda:DeleteFunctionEventInvokeConfig',
        'lambda:TagResource',
        'lambda:UntagResource',
        'lambda:ListTags',
      ],
      Resource: arn('lambda', `function:${names}`),
    },
    {
      // A mapping's ARN is a UUID: the function it feeds scopes it (lambda:FunctionArn, Service Authorization Reference).
      Sid: 'EventSourceMappings',
      Effect: 'Allow',
      Action: ['lambda:GetEventSourceMapping', 'lambda:UpdateEventSourceMapping', 'lambda:DeleteEventSourceMapping'],
      Resource: arn('lambda', 'event-source-mapping:*'),
      Condition: { ArnLike: { 'lambda:FunctionArn': arn('lambda', `function:${names}`) } },
    },
    {
      // @pulumi/aws 7 tags mappings and reads their tags back (tests/deployments/providerCalls.test.ts). Lambda's
      // tag actions take no lambda:FunctionArn: these three are the one thing a deploy role may do to another
      // stack's mapping (its tags; never its function, batch or state).
      Sid: 'EventSourceMappingTags',
      Effect: 'Allow',
      Action: ['lambda:ListTags', 'lambda:TagResource', 'lambda:UntagResource'],
      Resource: arn('lambda', 'event-source-mapping:*'),
    },
    {
      // CreateEventSourceMapping has no resource type: AWS requires "*", narrowed by the function it targets.
      Sid: 'NewEventSourceMappings',
      Effect: 'Allow',
      Action: ['lambda:CreateEventSourceMapping'],
      Resource: '*',
      Condition: { ArnLike: { 'lambda:FunctionArn': arn('lambda', `function:${names}`) } },
    },
    {
      Sid: 'StateMachine',
      Effect: 'Allow',
      Action: [
        'states:CreateStateMachine',
        'states:DeleteStateMachine',
        'states:DescribeStateMachine',
        'states:UpdateStateMachine',
        'states:ListStateMachineVersions',
        'states:TagResource',
        'states:UntagResource',
        'states:ListTagsForResource',
      ],
      Resource: arn('states', `stateMachine:${names}`),
    },
    {
      // The provider validates a definition when it plans a state machine (hashicorp/terraform-provider-aws#39472,
      // so every @pulumi/aws 7). The action has no resource type: AWS requires "*". It only reads the
      // definition it is given.
      Sid: 'StateMachineDefinitions',
      Effect: 'Allow',
      Action: ['states:ValidateStateMachineDefinition'],
      Resource: '*',
    },
    {
      Sid: 'LogGroups',
      Effect: 'Allow',
      Action: [
        'logs:CreateLogGroup',
        'logs:DeleteLogGroup',
        'logs:PutRetentionPolicy',
        // The API throttle alarm's metric filter on the access log (components/alarms.ts).
        'logs:PutMetricFilter',
        'logs:DescribeMetricFilters',
        'logs:DeleteMetricFilter',
        'logs:TagResource',
        'logs:UntagResource',
        'logs:ListTagsForResource',
      ],
      Resource: [arn('logs', `log-group:${names}`), arn('logs', `log-group:/aws/vendedlogs/states/${names}`)],
    },
    {
      // DescribeLogGroups takes no resource type (Service Authorization Reference, CloudWatch Logs): AWS requires "*".
      Sid: 'ListLogGroups',
      Effect: 'Allow',
      Action: ['logs:DescribeLogGroups'],
      Resource: '*',
    },
    {
      // Step Functions' log delivery: these actions support no resource-level permissions, so AWS requires "*".
      Sid: 'WorkflowLogDelivery',
      Effect: 'Allow',
      Action: [...LOG_DELIVERY_ACTIONS],
      Resource: '*',
    },
    {
      Sid: 'Alarms',
      Effect: 'Allow',
      Action: [
        'cloudwatch:PutMetricAlarm',
        'cloudwatch:DeleteAlarms',
        'cloudwatch:DescribeAlarms',
        'cloudwatch:TagResource',
        'cloudwatch:UntagResource',
        'cloudwatch:ListTagsForResource',
      ],
      Resource: arn('cloudwatch', `alarm:${names}`),
    },
    {
      // The reconciler's schedule (components/orderApi.ts), in the default schedule group.
      Sid: 'Schedule',
      Effect: 'Allow',
      Action: ['scheduler:CreateSchedule', 'scheduler:GetSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule'],
      Resource: arn('scheduler', `schedule/default/${names}`),
    },
    {
      // A dashboard's ARN has no region (Service Authorization Reference, CloudWatch: dashboard).
      Sid: 'Dashboard',
      Effect: 'Allow',
      Action: ['cloudwatch:PutDashboard', 'cloudwatch:GetDashboard', 'cloudwatch:DeleteDashboards'],
      Resource: `arn:aws:cloudwatch::${account}:dashboard/${names}`,
    },
    {
      // The alarm topic's key (components/alarms.ts). A key's ARN is a generated id: its DeployScope tag scopes what
      // changes a key (KMS ABAC, https://docs.aws.amazon.com/kms/latest/developerguide/tag-authorization.html), and
      // a tag change may not move it to another scope.
      Sid: 'AlarmTopicKey',
      Effect: 'Allow',
      Action: ['kms:PutKeyPolicy', 'kms:UpdateKeyDescription', 'kms:TagResource', 'kms:UntagResource', 'kms:ScheduleKeyDeletion'],
      Resource: arn('kms', 'key/*'),
      Condition: { ...ownTag, StringLikeIfExists: { [`aws:RequestTag/${SCOPE_TAG}`]: tagPattern(target) } },
    },
    {
      // What the provider calls right after CreateKey (terraform-provider-aws internal/service/kms/key.go: rotation,
      // then waiters on the description, policy and tags). A new key's tags can take up to five minutes to count
      // for authorization (abac.html, "Troubleshooting ABAC"), so these cannot wait for the tag; none changes a key
      // beyond turning its rotation on.
      Sid: 'AlarmTopicKeyReads',
      Effect: 'Allow',
      Action: ['kms:DescribeKey', 'kms:GetKeyPolicy', 'kms:GetKeyRotationStatus', 'kms:ListResourceTags', 'kms:EnableKeyRotation'],
      Resource: arn('kms', 'key/*'),
    },
    {
      // CreateKey has no resource type: AWS requires "*"; the key must be created with this target's tag.
      Sid: 'NewAlarmTopicKey',
      Effect: 'Allow',
      Action: ['kms:CreateKey'],
      Resource: '*',
      Condition: newTag,
    },
    {
      Sid: 'AlarmTopic',
      Effect: 'Allow',
      Action: [
        'sns:CreateTopic',
        'sns:DeleteTopic',
        'sns:GetTopicAttributes',
        'sns:SetTopicAttributes',
        'sns:Subscribe',
        'sns:Unsubscribe',
        'sns:GetSubscriptionAttributes',
        'sns:SetSubscriptionAttributes',
        'sns:TagResource',
        'sns:UntagResource',
        'sns:ListTagsForResource',
      ],
      Resource: arn('sns', names),
    },
    {
      // Listing the APIs reads nothing of any API's definition.
      Sid: 'ListRestApis',
      Effect: 'Allow',
      Action: ['apigateway:GET'],
      Resource: `arn:aws:apigateway:${region}::/restapis`,
    },
    {
      // API Gateway's ARNs carry ids, not names: an API is created with this target's tag, and its tree (resources,
      // methods, integrations, stages, deployments, which inherit the API's tags for authorization,
      // https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-tagging-supported-resources.html)
      // is reachable only while the API carries it.
      Sid: 'NewRestApi',
      Effect: 'Allow',
      Action: ['apigateway:POST'],
      Resource: `arn:aws:apigateway:${region}::/restapis`,
      Condition: newTag,
    },
    {
      Sid: 'RestApi',
      Effect: 'Allow',
      Action: ['apigateway:GET', 'apigateway:POST', 'apigateway:PUT', 'apigateway:PATCH', 'apigateway:DELETE'],
      Resource: `arn:aws:apigateway:${region}::/restapis/*`,
      Condition: ownTag,
    },
    {
      Sid: 'RestApiTags',
      Effect: 'Allow',
      Action: ['apigateway:GET', 'apigateway:PUT', 'apigateway:DELETE'],
      Resource: `arn:aws:apigateway:${region}::/tags/*`,
      Condition: { ...ownTag, StringLikeIfExists: { [`aws:RequestTag/${SCOPE_TAG}`]: tagPattern(target) } },
    },
    {
      // The account's CloudWatch Logs role setting (components/apiGatewayAccount.ts, `existing` mode), read only
      // (GetAccount, https://docs.aws.amazon.com/apigateway/latest/api/API_GetAccount.html). It is the whole
      // account's and region's: deployments/ sets it, never a stack's deploy role.
      Sid: 'ApiGatewayAccount',
      Effect: 'Allow',
      Action: ['apigateway:GET'],
      Resource: `arn:aws:apigateway:${region}::/account`,
    },
    {
      Sid: 'Roles',
      Effect: 'Allow',
      Action: [
        'iam:DeleteRole',
        'iam:GetRole',
        // A change of a role's description (terraform-provider-aws internal/service/iam/role.go).
        'iam:UpdateRoleDescription',
        'iam:TagRole',
        'iam:UntagRole',
        'iam:ListRoleTags',
        'iam:GetRolePolicy',
        'iam:ListRolePolicies',
        'iam:ListAttachedRolePolicies',
        'iam:ListInstanceProfilesForRole',
      ],
      Resource: roles,
    },
    {
      // Creating a role, writing its policies or setting its boundary: only with this target's boundary attached
      // (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html, "Delegating
      // responsibility to others using permissions boundaries"). No DeleteRolePermissionsBoundary is granted.
      Sid: 'BoundedRoles',
      Effect: 'Allow',
      Action: [
        'iam:CreateRole',
        'iam:PutRolePermissionsBoundary',
        'iam:PutRolePolicy',
        'iam:DeleteRolePolicy',
        'iam:UpdateAssumeRolePolicy',
      ],
      Resource: roles,
      Condition: boundary,
    },
    {
      Sid: 'PassRoles',
      Effect: 'Allow',
      Action: ['iam:PassRole'],
      Resource: roles,
      Condition: {
        StringEquals: {
          'iam:PassedToService': ['lambda.amazonaws.com', 'states.amazonaws.com', 'scheduler.amazonaws.com'],
        },
      },
    },
  ];
  return { Version: '2012-10-17', Statement: statements };
};

/**
 * What a plan needs and nothing that writes: the deploy policy's statements cut to the actions the provider
 * calls to read (PROVIDER_ACTIONS' read phase) plus the definition check it makes while planning. What
 * `pulumi preview`, `refresh` and drift detection use, and all a pull request's code can get.
 */
export const PREVIEW_ACTIONS: ReadonlySet<string> = new Set([
  ...Object.values(PROVIDER_ACTIONS).flatMap((a) => a.calls.filter((c) => c.phase === 'read').map((c) => c.action)),
  'states:ValidateStateMachineDefinition',
]);

export const previewPolicy = (account: string, region: string, target: DeployTarget) => ({
  Version: '2012-10-17',
  Statement: deployPolicy(account, region, target)
    .Statement.map((st) => ({ ...st, Action: [st.Action].flat().filter((a) => PREVIEW_ACTIONS.has(a)) }))
    .filter((st) => st.Action.length > 0 && st.Sid !== 'PassRoles')
    .map((st) => (st.Sid === 'NewRestApi' || st.Sid === 'NewAlarmTopicKey' ? { ...st, Condition: undefined } : st)),
});

/**
 * The permissions boundary of every role the target's deployments create: the most any DOFS role may ever do,
 * whatever inline policy a deployment writes. The union of what the program's roles use (each role's own
 * policy is narrower; tests/deployments/isolation.test.ts checks every one lies within), on the target's scope.
 */
export const boundaryPolicy = (account: string, region: string, target: DeployTarget) => {
  const arn = (service: string, resource: string) => `arn:aws:${service}:${region}:${account}:${resource}`;
  const names = namePattern(target);
  const statements: PolicyStatement[] = [
    {
      // The tables and their indexes (`table/<name>/index/<index>`: the reconciler's Query of the in-flight index).
      Sid: 'OrderTables',
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
      Resource: arn('dynamodb', `table/${names}`),
    },
    {
      Sid: 'Queues',
      Effect: 'Allow',
      Action: ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
      Resource: arn('sqs', names),
    },
    { Sid: 'Invoke', Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: arn('lambda', `function:${names}`) },
    { Sid: 'StartWorkflow', Effect: 'Allow', Action: ['states:StartExecution'], Resource: arn('states', `stateMachine:${names}`) },
    {
      Sid: 'FunctionLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: arn('logs', `log-group:${names}:*`),
    },
    {
      // X-Ray's and Step Functions' log delivery actions support no resource-level permissions: AWS requires "*".
      Sid: 'TracesAndLogDelivery',
      Effect: 'Allow',
      Action: [
        'xray:PutTraceSegments',
        'xray:PutTelemetryRecords',
        'xray:GetSamplingRules',
        'xray:GetSamplingTargets',
        ...LOG_DELIVERY_ACTIONS,
        'logs:DescribeLogGroups',
      ],
      Resource: '*',
    },
  ];
  return { Version: '2012-10-17', Statement: statements };
};
