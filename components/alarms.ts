import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { dashboardBody } from './dashboard';

/**
 * The alarms' thresholds: the defaults, in one place; a stack overrides any of them with
 * `dofs:alarmThresholds` (config.ts). Counts are per five minutes.
 */
export const ALARM_DEFAULTS = {
  /** SystemFailures (EMF) of one function. */
  systemFailures: 1,
  /** Lambda Errors of one function (an invocation that failed or threw). */
  functionErrors: 1,
  /** Throttled invocations, throttled API requests (429) or throttled state transitions. */
  throttles: 1,
  /** Minutes a dead letter may stay on the DLQ unrecorded (a multiple of 5). */
  dlqWaitingMinutes: 15,
  /** Messages received from the DLQ: an order that failed for a system reason reached it. */
  dlqMessagesReceived: 1,
  /** The share of API requests answered 5XX. */
  api5xxRate: 0.05,
  /** The API's p99 latency, in milliseconds. */
  apiLatencyP99Ms: 3000,
  /** Failed, timed-out or aborted workflow executions. */
  failedExecutions: 1,
  /** Orders the reconciler found stuck and re-drove, or gave up (runtime/reconciler.ts). */
  stuckOrders: 1,
} as const;
export type AlarmThresholds = { -readonly [K in keyof typeof ALARM_DEFAULTS]: number };

export interface AlarmsArgs {
  /** Address that receives alarm notifications (stack config `alarmEmail`); the topic exists without it. */
  readonly email?: string;
  /** Overrides of {@link ALARM_DEFAULTS}. */
  readonly thresholds?: Partial<AlarmThresholds>;
  /** The stack: the `Stack` dimension of the DOFS metrics. */
  readonly stack: string;
  /** The orders queue and the dead-letter queue. */
  readonly queue: aws.sqs.Queue;
  readonly deadLetterQueue: aws.sqs.Queue;
  /** Every function, by its noun: errors, throttles and (for those that emit it) SystemFailures are alarmed. */
  readonly functions: Record<string, aws.lambda.Function>;
  /** The functions that count SystemFailures (EMF, `Function` dimension = the noun). */
  readonly systemFailureFunctions: readonly string[];
  readonly api: {
    readonly name: pulumi.Input<string>;
    readonly stage: pulumi.Input<string>;
    readonly accessLogGroup: aws.cloudwatch.LogGroup;
  };
  readonly stateMachine: aws.sfn.StateMachine;
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
 * What an operator must act on, each alarm notifying the stack's topic (and its e-mail, if set): system
 * failures (the EMF metric and each function's Errors), throttles (functions, API, state machine), the DLQ
 * (a message received, or one left unrecorded), the API's 5XX rate and p99 latency, and failed, timed-out or
 * aborted executions. Business outcomes (REJECTED, OUT_OF_STOCK) never raise one.
 */
export class Alarms extends pulumi.ComponentResource {
  readonly topic: aws.sns.Topic;
  readonly alarms: aws.cloudwatch.MetricAlarm[] = [];
  readonly thresholds: AlarmThresholds;
  readonly dashboard: aws.cloudwatch.Dashboard;

  constructor(name: string, args: AlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('dofs:index:Alarms', name, {}, opts);
    this.thresholds = { ...ALARM_DEFAULTS, ...args.thresholds };
    this.topic = this.createTopic(name, args);
    this.alarmFunctions(name, args);
    this.alarmQueues(name, args);
    this.alarmApi(name, args);
    this.alarmWorkflow(name, args);
    this.alarmStuckOrders(name, args);
    this.dashboard = this.createDashboard(name, args);
    this.registerOutputs({ topicArn: this.topic.arn, dashboardName: this.dashboard.dashboardName });
  }

  /** The stack's dashboard (components/dashboard.ts), with every alarm's state. */
  private createDashboard(name: string, args: AlarmsArgs): aws.cloudwatch.Dashboard {
    const fns = Object.entries(args.functions);
    const body = pulumi
      .all([
        args.api.name,
        args.api.stage,
        args.stateMachine.arn,
        args.queue.name,
        args.deadLetterQueue.name,
        pulumi.all(fns.map(([, f]) => f.name)),
        pulumi.all(this.alarms.map((a) => a.arn)),
      ])
      .apply(([apiName, stage, stateMachineArn, queueName, dlqName, fnNames, alarmArns]) =>
        JSON.stringify(
          dashboardBody({
            stack: args.stack,
            // The region is the state machine's (its ARN's fourth field; no provider call, the same under mocks).
            region: stateMachineArn.split(':')[3],
            apiName,
            stage,
            stateMachineArn,
            queueName,
            dlqName,
            functions: Object.fromEntries(fns.map(([noun], i) => [noun, fnNames[i]])),
            alarmArns,
          }),
        ),
      );
    return new aws.cloudwatch.Dashboard(`${name}-dashboard`, { dashboardName: `${name}-orders`, dashboardBody: body }, { parent: this });
  }

  private createTopic(name: string, args: AlarmsArgs): aws.sns.Topic {
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
    const topic = new aws.sns.Topic(`${name}-alarms`, { kmsMasterKeyId: key.arn }, { parent: this });
    if (args.email !== undefined) {
      new aws.sns.TopicSubscription(
        `${name}-alarms-email`,
        { topic: topic.arn, protocol: 'email', endpoint: args.email },
        { parent: this },
      );
    }
    return topic;
  }

  /** One alarm on one metric, notifying the topic when it fires and when it clears; `runbook` is its section. */
  private alarm(
    name: string,
    runbook: string,
    description: string,
    spec: Omit<aws.cloudwatch.MetricAlarmArgs, 'alarmActions' | 'okActions'>,
  ) {
    const actions = [this.topic.arn];
    const alarm = new aws.cloudwatch.MetricAlarm(
      name,
      {
        alarmDescription: `${description} Runbook: docs/runbook.md#${runbook}`,
        evaluationPeriods: 1,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        treatMissingData: 'notBreaching',
        ...spec,
        alarmActions: actions,
        okActions: actions,
      },
      { parent: this },
    );
    this.alarms.push(alarm);
    return alarm;
  }

  private alarmFunctions(name: string, args: AlarmsArgs) {
    const t = this.thresholds;
    for (const [noun, fn] of Object.entries(args.functions)) {
      const lambda = (metricName: string) => ({
        namespace: 'AWS/Lambda',
        metricName,
        dimensions: { FunctionName: fn.name },
        statistic: 'Sum',
        period: 300,
      });
      this.alarm(`${name}-${noun}-errors`, 'function-errors', `The ${noun} function failed (a system failure, not a business outcome).`, {
        ...lambda('Errors'),
        threshold: t.functionErrors,
      });
      this.alarm(`${name}-${noun}-throttles`, 'throttles', `Lambda throttled the ${noun} function (concurrency exhausted).`, {
        ...lambda('Throttles'),
        threshold: t.throttles,
      });
    }
    for (const noun of args.systemFailureFunctions) {
      this.alarm(
        `${name}-${noun}-system-failures`,
        'system-failures',
        `The ${noun} function counted system failures (SystemFailures, DOFS).`,
        {
          namespace: 'DOFS',
          metricName: 'SystemFailures',
          dimensions: { Stack: args.stack, Function: noun },
          statistic: 'Sum',
          period: 300,
          threshold: t.systemFailures,
        },
      );
    }
  }

  private alarmQueues(name: string, args: AlarmsArgs) {
    const t = this.thresholds;
    const dlq = (metricName: string, statistic: string) => ({
      namespace: 'AWS/SQS',
      metricName,
      dimensions: { QueueName: args.deadLetterQueue.name },
      statistic,
      period: 300,
    });
    // The dlq-handler drains the DLQ in milliseconds, so its depth rarely shows anything: a receive does.
    this.alarm(`${name}-dlq-received`, 'dlq-received', 'An order failed for a system reason and reached the dead-letter queue.', {
      ...dlq('NumberOfMessagesReceived', 'Sum'),
      threshold: t.dlqMessagesReceived,
    });
    // Not ApproximateAgeOfOldestMessage: on a standard queue a message received 3 times or more leaves that metric
    // (sqs-available-cloudwatch-metrics.html), and a dead letter the dlq-handler keeps failing to record is exactly
    // that. A message visible through every period of the window is one left waiting.
    this.alarm(`${name}-dlq-waiting`, 'dlq-waiting', 'A dead letter has waited unrecorded: the dlq-handler cannot record it.', {
      ...dlq('ApproximateNumberOfMessagesVisible', 'Minimum'),
      evaluationPeriods: Math.max(1, Math.round(t.dlqWaitingMinutes / 5)),
      threshold: 1,
    });
  }

  private alarmApi(name: string, args: AlarmsArgs) {
    const t = this.thresholds;
    const api = { namespace: 'AWS/ApiGateway', dimensions: { ApiName: args.api.name, Stage: args.api.stage }, period: 300 };
    // 5XXError's Average is the share of requests answered 5XX (API Gateway metrics, api-gateway-metrics-and-dimensions.html).
    this.alarm(`${name}-api-5xx`, 'api-5xx', 'The API answered too many requests with 5XX.', {
      ...api,
      metricName: '5XXError',
      statistic: 'Average',
      threshold: t.api5xxRate,
    });
    this.alarm(`${name}-api-latency`, 'api-latency', "The API's p99 latency is too high.", {
      ...api,
      metricName: 'Latency',
      extendedStatistic: 'p99',
      threshold: t.apiLatencyP99Ms,
    });
    // API Gateway has no throttle metric: a 429 in the access log is one, counted by a metric filter on the JSON
    // access log (FilterAndPatternSyntax.html, "Using metric filters to match terms in JSON log events").
    new aws.cloudwatch.LogMetricFilter(
      `${name}-api-throttled`,
      {
        logGroupName: args.api.accessLogGroup.name,
        pattern: '{ $.status = "429" }',
        // A dimension instead of a default value: CloudWatch allows one or the other (MetricTransformation).
        metricTransformation: { namespace: 'DOFS', name: 'ApiThrottled', value: '1', unit: 'Count', dimensions: { Stack: '$.stack' } },
      },
      { parent: this },
    );
    this.alarm(`${name}-api-throttles`, 'throttles', 'API Gateway throttled requests (429): the stage limits are reached.', {
      namespace: 'DOFS',
      metricName: 'ApiThrottled',
      dimensions: { Stack: args.stack },
      statistic: 'Sum',
      period: 300,
      threshold: t.throttles,
    });
  }

  private alarmStuckOrders(name: string, args: AlarmsArgs) {
    const reconciler = (metricName: string) => ({
      namespace: 'DOFS',
      metricName,
      dimensions: { Stack: args.stack, Function: 'reconciler' },
      statistic: 'Sum',
      period: 300,
      threshold: this.thresholds.stuckOrders,
    });
    this.alarm(`${name}-stuck-orders`, 'stuck-orders', 'The reconciler found orders stuck ACCEPTED or PENDING and re-drove them.', {
      ...reconciler('StuckOrdersRedriven'),
    });
    this.alarm(
      `${name}-stuck-orders-failed`,
      'stuck-orders',
      'The reconciler gave up stuck orders: they ended FAILED (PROCESSING_ERROR).',
      {
        ...reconciler('StuckOrdersFailed'),
      },
    );
  }

  private alarmWorkflow(name: string, args: AlarmsArgs) {
    const t = this.thresholds;
    const states = (metricName: string) => ({
      namespace: 'AWS/States',
      metricName,
      dimensions: { StateMachineArn: args.stateMachine.arn },
      statistic: 'Sum',
      period: 300,
    });
    this.alarm(`${name}-executions-failed`, 'executions-failed', 'Workflow executions failed.', {
      ...states('ExecutionsFailed'),
      threshold: t.failedExecutions,
    });
    this.alarm(`${name}-executions-timed-out`, 'executions-failed', 'Workflow executions timed out.', {
      ...states('ExecutionsTimedOut'),
      threshold: t.failedExecutions,
    });
    this.alarm(`${name}-executions-aborted`, 'executions-failed', 'Workflow executions were aborted.', {
      ...states('ExecutionsAborted'),
      threshold: t.failedExecutions,
    });
    this.alarm(`${name}-executions-throttled`, 'throttles', 'Step Functions throttled the workflow.', {
      ...states('ExecutionThrottled'),
      threshold: t.throttles,
    });
  }
}
