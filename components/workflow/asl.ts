import type * as pulumi from '@pulumi/pulumi';

/** A JSON-like ASL fragment whose leaves may still be `pulumi.Input<string>` (ARNs, URLs, names). */
export type AslValue = pulumi.Input<string> | number | boolean | null | AslValue[] | { [key: string]: AslValue };
export type AslObject = { [key: string]: AslValue };

/** One IAM statement the state machine's role needs. */
export interface PolicyStatement {
  readonly Effect: 'Allow';
  readonly Action: string[];
  readonly Resource: pulumi.Input<string>[];
}

/**
 * The CloudWatch Logs actions with which Step Functions sets up a state machine's log delivery, on behalf
 * of whoever creates or updates the state machine and of its execution role. They support no
 * resource-level permissions, so AWS requires `"Resource": "*"` for them.
 * https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html#cloudwatch-iam-policy
 */
export const LOG_DELIVERY_ACTIONS: readonly string[] = [
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
];
