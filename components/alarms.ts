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
 * System-failure alarms: DLQ depth and function errors. Business outcomes (REJECTED, OUT_OF_STOCK) are
 * not errors and never raise these; they are counted as EMF metrics by the functions instead.
 */
export class Alarms extends pulumi.ComponentResource {
  readonly topic?: aws.sns.Topic;

  constructor(name: string, args: AlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('dofs:index:Alarms', name, {}, opts);
    if (args.email !== undefined) {
      this.topic = new aws.sns.Topic(`${name}-alarms`, { kmsMasterKeyId: 'alias/aws/sns' }, { parent: this });
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
