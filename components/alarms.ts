import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface AlarmsArgs {
  /** Address that receives alarm notifications (stack config `alarmEmail`); no topic without it. */
  readonly email?: string;
  /** The dead-letter queue: any message there is an order that failed for a system reason. */
  readonly deadLetterQueue: aws.sqs.Queue;
  /** Functions whose invocation errors (system failures, never business outcomes) are alarmed. */
  readonly functions: Record<string, aws.lambda.Function>;
}

/**
 * The alarm topic's key policy. CloudWatch publishes alarm notifications as the `cloudwatch.amazonaws.com`
 * service principal, which needs kms:Decrypt and kms:GenerateDataKey* on the topic's key; the AWS-managed
 * `alias/aws/sns` key's policy cannot grant it, so every notification would be dropped ("Enable
 * compatibility between event sources from AWS services and encrypted topics",
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
 * The account's own statement is KMS's default key policy: IAM policies decide who administers the key
 * (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
 */
export const alarmTopicKeyPolicy = (account: string) => ({
  Version: '2012-10-17',
  Statement: [
    { Sid: 'AccountIamPolicies', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' },
    {
      Sid: 'CloudWatchAlarmsPublish',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
    },
  ],
});

/**
 * System-failure alarms: DLQ depth and function errors. Business outcomes (REJECTED, OUT_OF_STOCK) are
 * not errors and never raise these; they are counted as EMF metrics by the functions instead.
 */
export class Alarms extends pulumi.ComponentResource {
  readonly topic?: aws.sns.Topic;

  constructor(name: string, args: AlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('dofs:index:Alarms', name, {}, opts);
    if (args.email !== undefined) {
      const key = new aws.kms.Key(
        `${name}-alarms-key`,
        {
          description: 'Encrypts the DOFS alarm topic; CloudWatch alarms may use it to publish.',
          enableKeyRotation: true,
          deletionWindowInDays: 7,
          // The account and region are the dead-letter queue's (no provider call: the same under mocks).
          policy: args.deadLetterQueue.arn.apply((arn) => JSON.stringify(alarmTopicKeyPolicy(arn.split(':')[4]))),
        },
        { parent: this },
      );
      this.topic = new aws.sns.Topic(`${name}-alarms`, { kmsMasterKeyId: key.arn }, { parent: this });
      new aws.sns.TopicSubscription(
        `${name}-alarms-email`,
        { topic: this.topic.arn, protocol: 'email', endpoint: args.email },
        { parent: this },
      );
    }
    const actions = this.topic ? [this.topic.arn] : [];
    new aws.cloudwatch.MetricAlarm(
      `${name}-dlq-not-empty`,
      {
        alarmDescription: 'Orders failed for a system reason and reached the dead-letter queue; see the runbook.',
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        dimensions: { QueueName: args.deadLetterQueue.name },
        statistic: 'Maximum',
        period: 60,
        evaluationPeriods: 1,
        threshold: 1,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        treatMissingData: 'notBreaching',
        alarmActions: actions,
        okActions: actions,
      },
      { parent: this },
    );
    for (const [fnName, fn] of Object.entries(args.functions)) {
      new aws.cloudwatch.MetricAlarm(
        `${name}-${fnName}-errors`,
        {
          alarmDescription: `The ${fnName} function failed (a system failure, not a business outcome).`,
          namespace: 'AWS/Lambda',
          metricName: 'Errors',
          dimensions: { FunctionName: fn.name },
          statistic: 'Sum',
          period: 300,
          evaluationPeriods: 1,
          threshold: 1,
          comparisonOperator: 'GreaterThanOrEqualToThreshold',
          treatMissingData: 'notBreaching',
          alarmActions: actions,
        },
        { parent: this },
      );
    }
    this.registerOutputs({ topicArn: this.topic?.arn });
  }
}
