/**
 * The stack's CloudWatch dashboard, as a plain function of resolved names (tests read it without mocks):
 * the order funnel, system failures, API traffic and latency, executions, queues, Lambda errors, throttles
 * and duration, and the alarms' state. Widget JSON: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
 */

export interface DashboardRefs {
  readonly stack: string;
  readonly region: string;
  readonly apiName: string;
  readonly stage: string;
  readonly stateMachineArn: string;
  readonly queueName: string;
  readonly dlqName: string;
  /** Function names by noun (api-handler, validator, ...). */
  readonly functions: Readonly<Record<string, string>>;
  readonly alarmArns: readonly string[];
}

/** A metric line of a widget: namespace, name, then dimension name/value pairs, then options. */
type MetricLine = (string | { stat?: string; label?: string })[];

const PERIOD = 300;

export const dashboardBody = (r: DashboardRefs) => {
  const dofs = (metric: string, fn: string, extra: Record<string, string> = {}, label?: string): MetricLine => [
    'DOFS',
    metric,
    'Stack',
    r.stack,
    'Function',
    fn,
    ...Object.entries(extra).flat(),
    { stat: 'Sum', ...(label ? { label } : {}) },
  ];
  const api = (metric: string, stat: string, label?: string): MetricLine => [
    'AWS/ApiGateway',
    metric,
    'ApiName',
    r.apiName,
    'Stage',
    r.stage,
    { stat, ...(label ? { label } : {}) },
  ];
  const states = (metric: string): MetricLine => ['AWS/States', metric, 'StateMachineArn', r.stateMachineArn, { stat: 'Sum' }];
  const sqs = (metric: string, queue: string, label: string): MetricLine => [
    'AWS/SQS',
    metric,
    'QueueName',
    queue,
    { stat: 'Maximum', label },
  ];
  const lambda = (metric: string, stat: string): MetricLine[] =>
    Object.entries(r.functions).map(([noun, name]) => ['AWS/Lambda', metric, 'FunctionName', name, { stat, label: `${noun} ${metric}` }]);
  let y = 0;
  const row = (widgets: { title: string; metrics: MetricLine[]; stacked?: boolean }[]) => {
    const width = 24 / widgets.length;
    const out = widgets.map((w, i) => ({
      type: 'metric',
      x: i * width,
      y,
      width,
      height: 6,
      properties: { title: w.title, region: r.region, period: PERIOD, view: 'timeSeries', stacked: w.stacked ?? false, metrics: w.metrics },
    }));
    y += 6;
    return out;
  };
  const widgets = [
    ...row([
      {
        title: 'Order funnel: accepted → rejected / fulfilled / failed by reason',
        metrics: [
          dofs('OrdersAccepted', 'api-handler', {}, 'accepted'),
          dofs('BusinessFailures', 'validator', { Reason: 'REJECTED' }, 'rejected'),
          dofs('OrdersFulfilled', 'fulfillment', {}, 'fulfilled'),
          dofs('BusinessFailures', 'fulfillment', { Reason: 'OUT_OF_STOCK' }, 'failed: out of stock'),
          dofs('DeadLetteredOrders', 'dlq-handler', {}, 'failed: processing error'),
        ],
      },
      {
        title: 'System failures, messages that are no order, stuck orders',
        metrics: [
          dofs('SystemFailures', 'api-handler'),
          dofs('SystemFailures', 'fulfillment'),
          dofs('SystemFailures', 'dlq-handler'),
          dofs('UnknownOrderMessages', 'fulfillment'),
          dofs('UnknownOrderMessages', 'dlq-handler'),
          dofs('UnreadableMessages', 'dlq-handler'),
          dofs('StuckOrdersRedriven', 'reconciler', {}, 'stuck orders re-driven'),
          dofs('StuckOrdersFailed', 'reconciler', {}, 'stuck orders given up'),
        ],
      },
    ]),
    ...row([
      {
        title: 'API traffic and errors',
        metrics: [
          api('Count', 'Sum', 'requests'),
          api('4XXError', 'Sum', '4XX'),
          api('5XXError', 'Sum', '5XX'),
          ['DOFS', 'ApiThrottled', 'Stack', r.stack, { stat: 'Sum', label: 'throttled (429)' }],
        ],
      },
      {
        title: 'API latency',
        metrics: [api('Latency', 'p50', 'p50'), api('Latency', 'p99', 'p99'), api('IntegrationLatency', 'p99', 'integration p99')],
      },
    ]),
    ...row([
      {
        title: 'Workflow executions',
        metrics: [
          'ExecutionsStarted',
          'ExecutionsSucceeded',
          'ExecutionsFailed',
          'ExecutionsTimedOut',
          'ExecutionsAborted',
          'ExecutionThrottled',
        ].map(states),
      },
      {
        title: 'Queues: depth and age of the oldest message',
        metrics: [
          sqs('ApproximateNumberOfMessagesVisible', r.queueName, 'orders depth'),
          sqs('ApproximateAgeOfOldestMessage', r.queueName, 'orders oldest (s)'),
          sqs('ApproximateNumberOfMessagesVisible', r.dlqName, 'DLQ depth'),
          sqs('ApproximateAgeOfOldestMessage', r.dlqName, 'DLQ oldest (s)'),
        ],
      },
    ]),
    ...row([
      { title: 'Lambda errors and throttles', metrics: [...lambda('Errors', 'Sum'), ...lambda('Throttles', 'Sum')] },
      { title: 'Lambda duration (p99, ms)', metrics: lambda('Duration', 'p99') },
    ]),
    { type: 'alarm', x: 0, y, width: 24, height: 6, properties: { title: 'Alarms', alarms: [...r.alarmArns] } },
  ];
  return { widgets };
};
