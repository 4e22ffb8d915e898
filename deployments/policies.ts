/**
 * The IAM documents of delivery, as plain functions of plain values: the OIDC trust of a deploy role, and
 * what a deploy role may do. Tests read them without mocks.
 */
import { PUSH_TO_CLOUDWATCH_LOGS_POLICY } from '../components/apiGatewayAccount';
import { ROLE_PATH } from '../components/policy';
import { LOG_DELIVERY_ACTIONS } from '../components/workflow/asl';
import type { StackName } from './config';

/** Pulumi Cloud's OIDC issuer, as IAM names it (the URL without its scheme). */
export const PULUMI_OIDC_HOST = 'api.pulumi.com/oidc';

/** The ESC project holding one environment per dofs stack: `dofs/dev`, `dofs/staging`, `dofs/prod`. */
export const ESC_PROJECT = 'dofs';

/** The Pulumi project of the main program. */
export const DOFS_PROJECT = 'dofs';

/** The IAM path of the deploy roles: outside `/dofs/`, so that no deploy role can change itself or another. */
export const DEPLOY_ROLE_PATH = '/dofs-delivery/';

/** The audience of the tokens ESC mints for AWS in `organization`. */
export const audience = (organization: string) => `aws:${organization}`;

/**
 * The subject of the token ESC mints when the environment of `stack` opens, with `subjectAttributes:
 * [currentEnvironment.name]`. ESC can put only platform-attested values in a subject; naming each
 * environment after its stack scopes the subject to organization, project and stack.
 */
export const subject = (organization: string, stack: StackName) =>
  `pulumi:environments:pulumi.organization.login:${organization}:currentEnvironment.name:${ESC_PROJECT}/${stack}`;

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow';
  readonly Action: string | string[];
  readonly Resource?: string | string[];
  readonly Principal?: Record<string, string>;
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

/** The trust policy of the deploy role of `stack`: web identity from Pulumi's issuer, audience AND subject checked. */
export const deployTrustPolicy = (providerArn: string, organization: string, stack: StackName) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Federated: providerArn },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: {
          [`${PULUMI_OIDC_HOST}:aud`]: audience(organization),
          [`${PULUMI_OIDC_HOST}:sub`]: subject(organization, stack),
        },
      },
    },
  ] satisfies PolicyStatement[],
});

/**
 * What a deploy role may do: manage the services DOFS declares, on resources named `dofs-*` in one account
 * and region, and IAM roles under `/dofs/` only. No `*` action; a `*` resource only where AWS allows no other.
 */
export const deployPolicy = (account: string, region: string) => {
  const arn = (service: string, resource: string) => `arn:aws:${service}:${region}:${account}:${resource}`;
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
      Resource: arn('dynamodb', 'table/dofs-*'),
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
      Resource: arn('sqs', 'dofs-*'),
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
        'lambda:TagResource',
        'lambda:UntagResource',
        'lambda:ListTags',
      ],
      Resource: arn('lambda', 'function:dofs-*'),
    },
    {
      Sid: 'EventSourceMappings',
      Effect: 'Allow',
      // @pulumi/aws 7 tags mappings and reads their tags back: without the three tag actions on the mapping's
      // ARN the first refresh is AccessDenied (tests/deployments/providerCalls.test.ts).
      Action: [
        'lambda:GetEventSourceMapping',
        'lambda:UpdateEventSourceMapping',
        'lambda:DeleteEventSourceMapping',
        'lambda:ListTags',
        'lambda:TagResource',
        'lambda:UntagResource',
      ],
      Resource: arn('lambda', 'event-source-mapping:*'),
    },
    {
      // CreateEventSourceMapping has no resource type: AWS requires "*", narrowed by the function it targets.
      Sid: 'NewEventSourceMappings',
      Effect: 'Allow',
      Action: ['lambda:CreateEventSourceMapping'],
      Resource: '*',
      Condition: { ArnLike: { 'lambda:FunctionArn': arn('lambda', 'function:dofs-*') } },
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
      Resource: arn('states', 'stateMachine:dofs-*'),
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
        'logs:TagResource',
        'logs:UntagResource',
        'logs:ListTagsForResource',
      ],
      Resource: [arn('logs', 'log-group:dofs-*'), arn('logs', 'log-group:/aws/vendedlogs/states/dofs-*')],
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
      Resource: arn('cloudwatch', 'alarm:dofs-*'),
    },
    {
      // The alarm topic's key (components/alarms.ts): created, read, rotated, tagged and scheduled for
      // deletion by the provider. A key's ARN carries a generated id, so the account and region scope it.
      Sid: 'AlarmTopicKey',
      Effect: 'Allow',
      Action: [
        'kms:DescribeKey',
        'kms:GetKeyPolicy',
        'kms:PutKeyPolicy',
        'kms:GetKeyRotationStatus',
        'kms:EnableKeyRotation',
        'kms:UpdateKeyDescription',
        'kms:ListResourceTags',
        'kms:TagResource',
        'kms:UntagResource',
        'kms:ScheduleKeyDeletion',
      ],
      Resource: arn('kms', 'key/*'),
    },
    {
      // CreateKey has no resource type: AWS requires "*".
      Sid: 'NewAlarmTopicKey',
      Effect: 'Allow',
      Action: ['kms:CreateKey'],
      Resource: '*',
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
      Resource: arn('sns', 'dofs-*'),
    },
    {
      // API Gateway's REST resources carry ids, not names: the API's own tree is the narrowest scope. Each
      // path gets the verbs its resource type takes (Service Authorization Reference, Amazon API Gateway
      // Management): the collection is listed and created, tags are read, put and deleted.
      Sid: 'RestApis',
      Effect: 'Allow',
      Action: ['apigateway:GET', 'apigateway:POST'],
      Resource: `arn:aws:apigateway:${region}::/restapis`,
    },
    {
      Sid: 'RestApi',
      Effect: 'Allow',
      Action: ['apigateway:GET', 'apigateway:POST', 'apigateway:PUT', 'apigateway:PATCH', 'apigateway:DELETE'],
      Resource: `arn:aws:apigateway:${region}::/restapis/*`,
    },
    {
      Sid: 'RestApiTags',
      Effect: 'Allow',
      Action: ['apigateway:GET', 'apigateway:PUT', 'apigateway:DELETE'],
      Resource: `arn:aws:apigateway:${region}::/tags/*`,
    },
    {
      // The account's CloudWatch Logs role setting (components/apiGatewayAccount.ts): read in `existing`
      // mode, set in `managed` mode (GetAccount / UpdateAccount, https://docs.aws.amazon.com/apigateway/latest/api/API_UpdateAccount.html).
      Sid: 'ApiGatewayAccount',
      Effect: 'Allow',
      Action: ['apigateway:GET', 'apigateway:PATCH'],
      Resource: `arn:aws:apigateway:${region}::/account`,
    },
    {
      // The one managed policy a DOFS role may get: the API Gateway account role's.
      Sid: 'ApiGatewayAccountRolePolicy',
      Effect: 'Allow',
      Action: ['iam:AttachRolePolicy', 'iam:DetachRolePolicy'],
      Resource: `arn:aws:iam::${account}:role${ROLE_PATH}*`,
      Condition: { ArnEquals: { 'iam:PolicyARN': PUSH_TO_CLOUDWATCH_LOGS_POLICY } },
    },
    {
      Sid: 'DofsRoles',
      Effect: 'Allow',
      Action: [
        'iam:CreateRole',
        'iam:DeleteRole',
        'iam:GetRole',
        // A change of a role's description (terraform-provider-aws internal/service/iam/role.go).
        'iam:UpdateRoleDescription',
        'iam:UpdateAssumeRolePolicy',
        'iam:TagRole',
        'iam:UntagRole',
        'iam:ListRoleTags',
        'iam:PutRolePolicy',
        'iam:GetRolePolicy',
        'iam:DeleteRolePolicy',
        'iam:ListRolePolicies',
        'iam:ListAttachedRolePolicies',
        'iam:ListInstanceProfilesForRole',
      ],
      Resource: `arn:aws:iam::${account}:role${ROLE_PATH}*`,
    },
    {
      Sid: 'PassDofsRoles',
      Effect: 'Allow',
      Action: ['iam:PassRole'],
      Resource: `arn:aws:iam::${account}:role${ROLE_PATH}*`,
      // apigateway: UpdateAccount passes the account's CloudWatch role.
      Condition: { StringEquals: { 'iam:PassedToService': ['lambda.amazonaws.com', 'states.amazonaws.com', 'apigateway.amazonaws.com'] } },
    },
  ];
  return { Version: '2012-10-17', Statement: statements };
};
