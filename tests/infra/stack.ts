import * as fs from 'fs';
import * as path from 'path';
import { isDeepStrictEqual } from 'util';
import * as pulumi from '@pulumi/pulumi';
import { TAGGABLE_TYPES } from '../../components/tags';
import { renderGatewayTemplate } from '../../local/gateway';
import { ROOT, type Recorded, mappingUuidOf, policyOf, resolve, synth } from './harness';
import { decodeOutputs } from '../../ops/outputs';
import { type LoggingConfig, keepsLogLine } from '../../local/lambdaLogs';
import { LOCAL_BOUND_MS, functionWaits } from '../../local/waits';
import { visibilityProblems } from '../../components/fulfillmentQueue';
import { API_SHAPING_TYPES, shapeDigest } from '../../components/orderApi';
import { LAMBDA_TASK_TIMEOUT_MARGIN_SECONDS, LAMBDA_TIMEOUT_AND_SERVICE_ERRORS } from '../../components/workflow';
import { type LogLevel, makeLogger } from '../../runtime/log';

type Synth = Awaited<ReturnType<typeof synth>>;

const FUNCTIONS = ['fulfillment', 'dlq-handler', 'validator', 'store-order', 'api-handler'];

/** Every metric the runtime emits: each `.metric('Name', n, { Key: 'value' })` call, plus the Stack dimension, plus the metric filters'. */
const emittedMetrics = (s: Synth, stack: string): { metric: string; dims: Record<string, string> }[] => {
  const out: { metric: string; dims: Record<string, string> }[] = [];
  for (const file of fs.readdirSync(path.join(ROOT, 'runtime')).filter((f) => f.endsWith('.ts'))) {
    const text = fs.readFileSync(path.join(ROOT, 'runtime', file), 'utf8');
    for (const m of text.matchAll(/\.metric\(\s*'(\w+)',\s*[^,]+,\s*\{([^}]*)\}\s*\)/g)) {
      const dims = Object.fromEntries([...m[2].matchAll(/(\w+):\s*'([^']*)'/g)].map((d) => [d[1], d[2]]));
      out.push({ metric: m[1], dims: { Stack: stack, ...dims } });
    }
  }
  // A metric filter's dimensions are fields of the JSON log lines: the access log's format says what each holds.
  const format = JSON.parse(s.ofType('aws:apigateway/stage:Stage')[0].inputs.accessLogSettings.format as string) as Record<string, string>;
  for (const f of s.ofType('aws:cloudwatch/logMetricFilter:LogMetricFilter')) {
    const t = f.inputs.metricTransformation as { name: string; dimensions?: Record<string, string> };
    out.push({
      metric: t.name,
      dims: Object.fromEntries(Object.entries(t.dimensions ?? {}).map(([k, v]) => [k, format[v.replace(/^\$\./, '')]])),
    });
  }
  return out;
};

/** Assertions every stack must pass; per-stack differences are asserted in each stack's file. */
export const describeStack = (stack: string, more: (get: () => Synth) => void) =>
  describe(`the ${stack} stack`, () => {
    let s: Synth;
    beforeAll(async () => {
      s = await synth(stack);
    });

    it('declares the four components and their resources', () => {
      const count = (t: string) => s.ofType(t).length;
      expect(count('dofs:index:OrderStore')).toBe(1);
      expect(count('dofs:index:FulfillmentQueue')).toBe(1);
      expect(count('dofs:index:Orchestrator')).toBe(1);
      expect(count('dofs:index:OrderApi')).toBe(1);
      expect(count('aws:dynamodb/table:Table')).toBe(2);
      expect(count('aws:sqs/queue:Queue')).toBe(2);
      expect(count('aws:lambda/function:Function')).toBe(5);
      expect(count('aws:sfn/stateMachine:StateMachine')).toBe(1);
      expect(count('aws:lambda/eventSourceMapping:EventSourceMapping')).toBe(2);
      expect(count('aws:apigateway/restApi:RestApi')).toBe(1);
    });

    it('exports what `npm run ops` reads: every log group, the queues, the workflow type and the dlq-handler mapping', () => {
      const outputs = decodeOutputs(s.outputs, `stack '${stack}'`);
      const functionGroups = s.ofType('aws:lambda/function:Function').map((f) => f.inputs.loggingConfig?.logGroup);
      const workflowGroup = s
        .ofType('aws:cloudwatch/logGroup:LogGroup')
        .find((g) =>
          String(s.ofType('aws:sfn/stateMachine:StateMachine')[0].inputs.loggingConfiguration?.logDestination).includes(
            `:log-group:${g.name}:`,
          ),
        )?.name;
      expect(Object.values(outputs.operations.logGroups).sort()).toEqual([...functionGroups, workflowGroup].sort());
      expect(outputs.operations.logGroups.workflow).toBe(workflowGroup);
      const dlqMapping = s
        .ofType('aws:lambda/eventSourceMapping:EventSourceMapping')
        .find((m) => String(m.inputs.eventSourceArn) === outputs.operations.dlqArn);
      expect(dlqMapping && mappingUuidOf(dlqMapping.name)).toBe(outputs.operations.dlqHandlerMappingUuid);
      expect(String(dlqMapping?.inputs.functionName)).toContain('dlq-handler');
      expect(outputs.operations.workflowType).toBe(s.config.workflowType);
      expect(outputs.operations.stuckOrderMinutes).toBe(s.config.stuckOrderMinutes);
    });

    it('sets every timeout as AWS wants it: visibility 6 × the consumer, each task just above its function, timeouts retried', () => {
      const fns = s.ofType('aws:lambda/function:Function');
      const fnNamed = (arnOrName: string) => fns.find((f) => arnOrName === f.name || arnOrName.endsWith(`:function:${f.name}`))!;
      const queues = s.ofType('aws:sqs/queue:Queue');
      const problems: string[] = [];
      // each queue and its consumer
      for (const m of s.ofType('aws:lambda/eventSourceMapping:EventSourceMapping')) {
        const queue = queues.find((q) => String(m.inputs.eventSourceArn).endsWith(`:${q.name}`))!;
        const fn = fnNamed(String(m.inputs.functionName));
        problems.push(...visibilityProblems(queue.name, queue.inputs.visibilityTimeoutSeconds ?? 30, fn.name, fn.inputs.timeout ?? 3));
      }
      // each Lambda task and its function
      const definition = JSON.parse(s.ofType('aws:sfn/stateMachine:StateMachine')[0].inputs.definition) as {
        States: Record<string, { Type: string; Resource?: string; TimeoutSeconds?: number; Retry?: { ErrorEquals: string[] }[] }>;
      };
      const lambdaTasks = Object.entries(definition.States).filter(([, st]) => st.Type === 'Task' && st.Resource?.includes(':function:'));
      expect(lambdaTasks.map(([name]) => name).sort()).toEqual(['StoreOrder', 'ValidateOrder']);
      for (const [name, st] of lambdaTasks) {
        const f = fnNamed(st.Resource!).inputs.timeout ?? 3;
        const t = st.TimeoutSeconds ?? 60;
        if (!(t > f && t <= f + LAMBDA_TASK_TIMEOUT_MARGIN_SECONDS))
          problems.push(`${name}: TimeoutSeconds ${t} for a function timeout of ${f} s`);
        const retried = (st.Retry ?? []).flatMap((r) => r.ErrorEquals);
        const missing = LAMBDA_TIMEOUT_AND_SERVICE_ERRORS.filter((e) => !retried.includes(e));
        if (missing.length > 0) problems.push(`${name}: Retry lacks ${missing.join(', ')}`);
      }
      // the API's function answers before API Gateway's integration timeout (29 s unless set)
      const integration = s.ofType('aws:apigateway/integration:Integration')[0];
      const apiFn = fnNamed(
        String(integration.inputs.uri)
          .replace(/\/invocations$/, '')
          .split('/functions/')[1] ?? '',
      );
      if ((apiFn.inputs.timeout ?? 3) * 1000 >= (integration.inputs.timeoutMilliseconds ?? 29_000))
        problems.push(`${apiFn.name}: timeout not below the integration's`);
      expect(problems).toEqual([]);
    });

    it("keeps every wait of the local cloud, compressed, within the contract's local bound", () => {
      // Given the waits the program declares, compressed by the local cloud's one factor
      const waits = functionWaits(s.resources);
      // Then every function has its timeout, and an order waits at most the bound when one function times out every time
      expect(waits.map((w) => w.name).sort()).toEqual(FUNCTIONS.map((f) => `dofs-${f}`).sort());
      const over = waits.filter((w) => !(w.timeoutMs > 0) || (w.worstMs ?? 0) > LOCAL_BOUND_MS);
      expect(over).toEqual([]);
      // (the longest is fulfillment's: its receives, then the dead-letter queue)
      expect(waits.find((w) => w.name === 'dofs-fulfillment')?.worstMs).toBeGreaterThan(
        waits.find((w) => w.name === 'dofs-validator')!.worstMs!,
      );
    });

    it('parents every resource under its component', async () => {
      const { store, queue, orchestrator, api } = s.dofs.components;
      const urns = await resolve(
        pulumi.all({
          orders: store.orders.urn,
          queue: queue.queue.urn,
          fulfillment: queue.fulfillment.urn,
          fulfillmentFn: queue.fulfillment.function.urn,
          workflow: orchestrator.stateMachine.urn,
          validator: orchestrator.validator.urn,
          api: api.api.urn,
          apiHandler: api.apiHandler.urn,
        }),
      );
      expect(urns.orders).toContain('dofs:index:OrderStore$aws:dynamodb/table:Table::dofs-orders');
      expect(urns.queue).toContain('dofs:index:FulfillmentQueue$aws:sqs/queue:Queue::dofs-orders');
      // The mock monitor keeps only the nearest parent's type in a URN, so nesting is checked one level at a time.
      expect(urns.fulfillment).toContain('dofs:index:FulfillmentQueue$dofs:index:InlineFunction::dofs-fulfillment');
      expect(urns.fulfillmentFn).toContain('dofs:index:InlineFunction$aws:lambda/function:Function::dofs-fulfillment');
      expect(urns.workflow).toContain('dofs:index:Orchestrator$aws:sfn/stateMachine:StateMachine::dofs-workflow');
      expect(urns.validator).toContain('dofs:index:Orchestrator$dofs:index:InlineFunction::dofs-validator');
      expect(urns.api).toContain('dofs:index:OrderApi$aws:apigateway/restApi:RestApi');
      expect(urns.apiHandler).toContain('dofs:index:OrderApi$dofs:index:InlineFunction::dofs-api-handler');
    });

    it("names every function, its role, log group and alarm with the contract's noun", () => {
      const nouns = ['api-handler', 'validator', 'store-order', 'fulfillment', 'dlq-handler'];
      const fns = s.ofType('aws:lambda/function:Function');
      expect(fns.map((f) => f.name).sort()).toEqual(nouns.map((n) => `dofs-${n}`).sort());
      for (const n of nouns) {
        expect(s.named('aws:iam/role:Role', `dofs-${n}-role`).inputs.description).toBe(`DOFS dofs-${n}`);
        expect(s.named('aws:cloudwatch/logGroup:LogGroup', `dofs-${n}-logs`)).toBeDefined();
        expect(s.named('aws:lambda/function:Function', `dofs-${n}`).inputs.description).toMatch(new RegExp(`^DOFS ${n}:`));
        const alarm = s.named('aws:cloudwatch/metricAlarm:MetricAlarm', `dofs-${n}-errors`);
        expect(alarm.inputs.dimensions).toEqual({ FunctionName: `dofs-${n}` });
      }
    });

    // What the alarms and the dashboard may name: a metric the code emits (every `.metric('Name', n, { dims })` of
    // runtime/, with the Stack dimension every logger adds, and the access log's metric filter), or an AWS metric
    // of a resource of this stack with the dimensions AWS publishes it under: Lambda
    // (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html), SQS
    // (sqs-available-cloudwatch-metrics.html), API Gateway (api-gateway-metrics-and-dimensions.html: ApiName, Stage)
    // and Step Functions (procedure-cw-metrics.html: StateMachineArn).
    const metricProblems = (namespace: string, metric: string, dims: Record<string, string>): string[] => {
      const fnNames = s.ofType('aws:lambda/function:Function').map((f) => f.name);
      const queues = s.ofType('aws:sqs/queue:Queue').map((q) => q.name);
      const api = s.ofType('aws:apigateway/restApi:RestApi')[0];
      const sm = s.ofType('aws:sfn/stateMachine:StateMachine')[0];
      const aws: Record<string, { metrics: string[]; dims: Record<string, string[]> }> = {
        'AWS/Lambda': { metrics: ['Errors', 'Throttles', 'Duration', 'Invocations'], dims: { FunctionName: fnNames } },
        'AWS/SQS': {
          metrics: [
            'ApproximateNumberOfMessagesVisible',
            'ApproximateAgeOfOldestMessage',
            'NumberOfMessagesReceived',
            'NumberOfMessagesSent',
          ],
          dims: { QueueName: queues },
        },
        'AWS/ApiGateway': {
          metrics: ['Count', '4XXError', '5XXError', 'Latency', 'IntegrationLatency'],
          dims: { ApiName: [api.inputs.name ?? api.name], Stage: [s.ofType('aws:apigateway/stage:Stage')[0].inputs.stageName] },
        },
        'AWS/States': {
          metrics: [
            'ExecutionsStarted',
            'ExecutionsSucceeded',
            'ExecutionsFailed',
            'ExecutionsTimedOut',
            'ExecutionsAborted',
            'ExecutionThrottled',
          ],
          dims: { StateMachineArn: [`arn:aws:states:eu-west-1:123456789012:stateMachine:${sm.name}`] },
        },
      };
      const where = `${namespace} ${metric} ${JSON.stringify(dims)}`;
      if (namespace === 'DOFS') {
        const emitted = emittedMetrics(s, stack);
        return emitted.some((e) => e.metric === metric && isDeepStrictEqual(e.dims, dims)) ? [] : [`${where}: no code emits it`];
      }
      const known = aws[namespace];
      if (!known || !known.metrics.includes(metric)) return [`${where}: not a metric this stack's resources publish`];
      if (!isDeepStrictEqual(Object.keys(dims).sort(), Object.keys(known.dims).sort()))
        return [`${where}: AWS publishes it by ${Object.keys(known.dims).join(', ')}`];
      return Object.entries(dims)
        .filter(([k, v]) => !known.dims[k].includes(v))
        .map(([k, v]) => `${where}: ${k} = ${v} is none of this stack's (${known.dims[k].join(', ')})`);
    };

    it('alarms only on metrics the code emits or that AWS publishes for its resources, each notifying the topic', () => {
      const alarms = s.ofType('aws:cloudwatch/metricAlarm:MetricAlarm');
      // Errors and Throttles of 5 functions, 3 SystemFailures, 2 DLQ, 3 API, 4 workflow, 2 stuck orders.
      expect(alarms).toHaveLength(5 * 2 + 3 + 2 + 3 + 4 + 2);
      const topic = s.ofType('aws:sns/topic:Topic');
      expect(topic).toHaveLength(1);
      const problems = alarms.flatMap((a) => metricProblems(a.inputs.namespace, a.inputs.metricName, a.inputs.dimensions ?? {}));
      expect(problems).toEqual([]);
      for (const a of alarms) {
        expect({ [a.name]: a.inputs.alarmActions }).toEqual({ [a.name]: [expect.stringMatching(/^arn:aws:sns:.*alarms$/)] });
        expect(a.inputs.okActions).toEqual(a.inputs.alarmActions);
        expect(a.inputs.alarmDescription).toMatch(/Runbook: docs\/runbook\.md#[a-z0-9-]+$/);
      }
      // ...and the runbook has each section an alarm names.
      const runbook = fs.readFileSync(path.join(ROOT, 'docs', 'runbook.md'), 'utf8');
      const sections = new Set([...runbook.matchAll(/^## (.+)$/gm)].map((m) => m[1].toLowerCase().replace(/[^a-z0-9]+/g, '-')));
      const named = [...new Set(alarms.map((a) => /#([a-z0-9-]+)$/.exec(a.inputs.alarmDescription as string)![1]))];
      expect(named.filter((n) => !sections.has(n))).toEqual([]);
      // What an operator must act on, every one of them.
      const watched = new Set(alarms.map((a) => `${a.inputs.namespace} ${a.inputs.metricName}`));
      for (const m of [
        'DOFS SystemFailures',
        'AWS/SQS ApproximateNumberOfMessagesVisible',
        'AWS/SQS NumberOfMessagesReceived',
        'AWS/ApiGateway 5XXError',
        'AWS/ApiGateway Latency',
        'AWS/Lambda Throttles',
        'DOFS ApiThrottled',
        'AWS/States ExecutionThrottled',
        'AWS/States ExecutionsFailed',
        'AWS/States ExecutionsTimedOut',
        'AWS/States ExecutionsAborted',
        'DOFS StuckOrdersRedriven',
        'DOFS StuckOrdersFailed',
      ])
        expect(watched).toContain(m);
    });

    it("shows the order funnel, the API, executions, queues, functions and the alarms' state on its dashboard, naming only real metrics", () => {
      const [dashboard] = s.ofType('aws:cloudwatch/dashboard:Dashboard');
      const body = JSON.parse(dashboard.inputs.dashboardBody as string) as {
        widgets: { type: string; properties: { title: string; metrics?: unknown[][]; alarms?: string[] } }[];
      };
      const problems: string[] = [];
      for (const w of body.widgets.filter((x) => x.type === 'metric')) {
        for (const line of w.properties.metrics!) {
          const [namespace, metric, ...rest] = line.filter((x): x is string => typeof x === 'string');
          const dims = Object.fromEntries(Array.from({ length: rest.length / 2 }, (_, i) => [rest[2 * i], rest[2 * i + 1]]));
          problems.push(...metricProblems(namespace, metric, dims).map((p) => `${w.properties.title}: ${p}`));
        }
      }
      expect(problems).toEqual([]);
      expect(body.widgets.map((w) => w.properties.title)).toEqual([
        'Order funnel: accepted → rejected / fulfilled / failed by reason',
        'System failures, messages that are no order, stuck orders',
        'API traffic and errors',
        'API latency',
        'Workflow executions',
        'Queues: depth and age of the oldest message',
        'Lambda errors and throttles',
        'Lambda duration (p99, ms)',
        'Alarms',
      ]);
      const alarmWidget = body.widgets.find((w) => w.type === 'alarm')!;
      expect(alarmWidget.properties.alarms).toHaveLength(s.ofType('aws:cloudwatch/metricAlarm:MetricAlarm').length);
      // The check can fail: a metric nobody emits, or an AWS metric under the wrong dimension.
      expect(metricProblems('DOFS', 'OrdersShipped', { Stack: stack, Function: 'fulfillment' })).not.toEqual([]);
      expect(metricProblems('AWS/Lambda', 'Errors', { FunctionName: 'someone-elses' })).not.toEqual([]);
    });

    it("runs the reconciler on a schedule whose role only this account's Scheduler may assume, and that may only invoke the api-handler", () => {
      const [schedule] = s.ofType('aws:scheduler/schedule:Schedule');
      expect(schedule.inputs).toMatchObject({ scheduleExpression: 'rate(5 minutes)', flexibleTimeWindow: { mode: 'OFF' } });
      expect(JSON.parse(schedule.inputs.target.input as string)).toEqual({ dofs: 'reconcile' });
      const role = s.named('aws:iam/role:Role', 'dofs-reconciler-role');
      expect(JSON.parse(role.inputs.assumeRolePolicy as string).Statement).toEqual([
        {
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
        },
      ]);
      expect(policyOf(s.named('aws:iam/rolePolicy:RolePolicy', 'dofs-reconciler-policy')).Statement).toEqual([
        {
          Effect: 'Allow',
          Action: ['lambda:InvokeFunction'],
          Resource: ['arn:aws:lambda:eu-west-1:123456789012:function:dofs-api-handler'],
        },
      ]);
    });

    it("does not let Lambda retry a failed reconciler run: the api-handler's asynchronous invocations", () => {
      // The Scheduler invokes it asynchronously: Lambda's default would run a failed reconciliation twice more.
      expect(s.ofType('aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig').map((c) => c.inputs)).toEqual([
        { functionName: 'dofs-api-handler', maximumRetryAttempts: 0, maximumEventAgeInSeconds: s.config.reconcileEveryMinutes * 60 },
      ]);
      const [schedule] = s.ofType('aws:scheduler/schedule:Schedule');
      expect(schedule.inputs.target).toMatchObject({ arn: 'arn:aws:lambda:eu-west-1:123456789012:function:dofs-api-handler' });
      expect(schedule.inputs.target.retryPolicy).toEqual({ maximumRetryAttempts: 0 });
      // Nothing else invokes it asynchronously: API Gateway's proxy integration invokes synchronously.
      expect(s.ofType('aws:lambda/permission:Permission').filter((p) => /api-handler/.test(String(p.inputs.function)))).toEqual([
        expect.objectContaining({ inputs: expect.objectContaining({ principal: 'apigateway.amazonaws.com' }) }),
      ]);
      expect(s.ofType('aws:apigateway/integration:Integration').map((i) => i.inputs.type)).toEqual(['AWS_PROXY', 'AWS_PROXY']);
    });

    it('keeps the in-flight orders in a sparse index of the orders table, and only there', () => {
      const orders = s.named('aws:dynamodb/table:Table', 'dofs-orders');
      expect(orders.inputs).toMatchObject({
        hashKey: 'orderId',
        attributes: [
          { name: 'orderId', type: 'S' },
          { name: 'inFlight', type: 'S' },
          { name: 'updatedAt', type: 'S' },
        ],
        globalSecondaryIndexes: [
          {
            name: 'in-flight',
            keySchemas: [
              { attributeName: 'inFlight', keyType: 'HASH' },
              { attributeName: 'updatedAt', keyType: 'RANGE' },
            ],
            projectionType: 'INCLUDE',
            nonKeyAttributes: ['status', 'customerId', 'items', 'createdAt', 'redriveAttempts'],
          },
        ],
      });
      // On-demand: no capacity of its own to set or to run out of.
      expect(orders.inputs.globalSecondaryIndexes[0].readCapacity).toBeUndefined();
      const failed = s.named('aws:dynamodb/table:Table', 'dofs-failed-orders');
      expect(failed.inputs.attributes).toEqual([{ name: 'orderId', type: 'S' }]);
      expect(failed.inputs.globalSecondaryIndexes).toBeUndefined();
      // Only the api-handler (the reconciler) may query it; no role may scan a table.
      const grants = s
        .ofType('aws:iam/rolePolicy:RolePolicy')
        .flatMap((p) => policyOf(p).Statement.flatMap((st) => st.Action.map((a) => [p.name, a, st.Resource] as const)));
      expect(grants.filter(([, a]) => a === 'dynamodb:Query')).toEqual([
        ['dofs-api-handler-policy', 'dynamodb:Query', ['arn:aws:dynamodb:eu-west-1:123456789012:table/dofs-orders/index/in-flight']],
      ]);
      expect(grants.filter(([, a]) => a === 'dynamodb:Scan')).toEqual([]);
    });

    it('gives every function its own role and never the default *FullAccess policies', () => {
      // The one attachment: AWS's own policy for the API Gateway account's CloudWatch role, where this stack sets it.
      expect(s.ofType('aws:iam/rolePolicyAttachment:RolePolicyAttachment').map((a) => a.inputs)).toEqual(
        s.config.apiGatewayAccount === 'managed'
          ? [{ role: 'dofs-cloudwatch-role', policyArn: 'arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs' }]
          : [],
      );
      const fns = s.ofType('aws:lambda/function:Function');
      for (const fn of fns) {
        expect(fn.inputs.role).toMatch(/^arn:aws:iam:.*-role$/);
        expect(fn.inputs.runtime).toBe('nodejs22.x');
        expect(fn.inputs.architectures).toEqual(['arm64']);
        expect(fn.inputs.loggingConfig).toMatchObject({ logFormat: 'JSON' });
        expect(fn.inputs.tracingConfig).toEqual({ mode: s.config.tracing ? 'Active' : 'PassThrough' });
      }
      // Under /dofs/, the only path the deploy roles of deployments/ may manage.
      for (const role of s.ofType('aws:iam/role:Role')) expect([role.name, role.inputs.path]).toEqual([role.name, '/dofs/']);
      const roles = s.ofType('aws:iam/role:Role').map((r) => r.name);
      for (const f of FUNCTIONS) expect(roles.some((r) => r.endsWith(`${f}-role`))).toBe(true);
    });

    it('grants each function and the state machine exactly what it uses', () => {
      const policy = (name: string) => {
        const p = policyOf(s.named('aws:iam/rolePolicy:RolePolicy', name));
        return Object.fromEntries(p.Statement.map((st) => [st.Action.join(','), st.Resource]));
      };
      const orders = 'arn:aws:dynamodb:eu-west-1:123456789012:table/dofs-orders';
      const failed = 'arn:aws:dynamodb:eu-west-1:123456789012:table/dofs-failed-orders';
      const xray = s.config.tracing ? { 'xray:PutTraceSegments,xray:PutTelemetryRecords': ['*'] } : {};
      const logs = (fn: string) => ({
        'logs:CreateLogStream,logs:PutLogEvents': [`arn:aws:logs:eu-west-1:123456789012:log-group:dofs-${fn}-logs:*`],
      });
      expect(policy('dofs-validator-policy')).toEqual({ ...logs('validator'), ...xray });
      expect(policy('dofs-store-order-policy')).toEqual({
        'dynamodb:GetItem': [orders],
        'dynamodb:PutItem,dynamodb:UpdateItem': [orders],
        ...logs('store-order'),
        ...xray,
      });
      expect(policy('dofs-fulfillment-policy')).toEqual({
        'dynamodb:UpdateItem,dynamodb:GetItem': [orders],
        'dynamodb:PutItem': [failed],
        'sqs:ReceiveMessage,sqs:DeleteMessage,sqs:GetQueueAttributes': ['arn:aws:sqs:eu-west-1:123456789012:dofs-orders'],
        ...logs('fulfillment'),
        ...xray,
      });
      expect(policy('dofs-dlq-handler-policy')).toEqual({
        'dynamodb:UpdateItem,dynamodb:GetItem': [orders],
        'dynamodb:PutItem': [failed],
        'sqs:ReceiveMessage,sqs:DeleteMessage,sqs:GetQueueAttributes': ['arn:aws:sqs:eu-west-1:123456789012:dofs-dlq'],
        ...logs('dlq-handler'),
        ...xray,
      });
      expect(policy('dofs-api-handler-policy')).toEqual({
        'dynamodb:GetItem': [orders],
        'dynamodb:PutItem,dynamodb:UpdateItem,dynamodb:DeleteItem': [orders],
        'states:StartExecution': ['arn:aws:states:eu-west-1:123456789012:stateMachine:dofs-workflow'],
        // The reconciler, run in the api-handler: find (a Query of the in-flight index only), claim, re-send, give up.
        'dynamodb:Query': [`${orders}/index/in-flight`],
        'dynamodb:UpdateItem,dynamodb:GetItem': [orders],
        'dynamodb:PutItem': [failed],
        'sqs:SendMessage': ['arn:aws:sqs:eu-west-1:123456789012:dofs-orders'],
        ...logs('api-handler'),
        ...xray,
      });
      const workflow = policy('dofs-workflow-policy');
      expect(workflow['lambda:InvokeFunction']).toEqual([
        'arn:aws:lambda:eu-west-1:123456789012:function:dofs-validator',
        'arn:aws:lambda:eu-west-1:123456789012:function:dofs-store-order',
      ]);
      expect(workflow['sqs:SendMessage']).toEqual(['arn:aws:sqs:eu-west-1:123456789012:dofs-orders']);
      expect(workflow['dynamodb:UpdateItem']).toEqual([orders]);
      expect(workflow['dynamodb:PutItem']).toEqual([failed]);
      // No wildcard action anywhere; "*" resources only for the log-delivery and X-Ray actions AWS requires it for.
      for (const p of s.ofType('aws:iam/rolePolicy:RolePolicy')) {
        for (const st of policyOf(p).Statement) {
          for (const a of st.Action) expect(a).not.toMatch(/\*/);
          if (st.Resource.includes('*')) expect(st.Action.every((a) => a.startsWith('xray:') || a.startsWith('logs:'))).toBe(true);
        }
      }
    });

    it('encrypts tables and queues, redrives to the DLQ, and keeps visibility ≥ 6× the function timeout', () => {
      for (const t of s.ofType('aws:dynamodb/table:Table')) {
        expect(t.inputs.serverSideEncryption).toEqual({ enabled: true });
        expect(t.inputs.billingMode).toBe('PAY_PER_REQUEST');
      }
      const orders = s.named('aws:sqs/queue:Queue', 'dofs-orders');
      const dlq = s.named('aws:sqs/queue:Queue', 'dofs-dlq');
      expect(orders.inputs.sqsManagedSseEnabled).toBe(true);
      expect(dlq.inputs.sqsManagedSseEnabled).toBe(true);
      expect(JSON.parse(orders.inputs.redrivePolicy)).toEqual({
        deadLetterTargetArn: 'arn:aws:sqs:eu-west-1:123456789012:dofs-dlq',
        maxReceiveCount: s.config.maxReceiveCount,
      });
      // and only the orders queue may dead-letter into the DLQ
      const [allow] = s.ofType('aws:sqs/redriveAllowPolicy:RedriveAllowPolicy');
      expect(allow.inputs.queueUrl).toMatch(/\/dofs-dlq$/);
      expect(JSON.parse(allow.inputs.redriveAllowPolicy)).toEqual({
        redrivePermission: 'byQueue',
        sourceQueueArns: ['arn:aws:sqs:eu-west-1:123456789012:dofs-orders'],
      });
      const fulfillment = s.named('aws:lambda/function:Function', 'dofs-fulfillment');
      expect(orders.inputs.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(6 * fulfillment.inputs.timeout);
      for (const p of s.ofType('aws:sqs/queuePolicy:QueuePolicy')) {
        expect(JSON.parse(p.inputs.policy).Statement).toEqual([
          expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]);
      }
      const mapping = s.ofType('aws:lambda/eventSourceMapping:EventSourceMapping').find((m) => m.name === 'dofs-fulfillment-source')!;
      expect(mapping.inputs).toMatchObject({
        functionResponseTypes: ['ReportBatchItemFailures'],
        batchSize: s.config.fulfillmentBatchSize,
        maximumBatchingWindowInSeconds: s.config.fulfillmentBatchWindowSeconds,
      });
    });

    it('validates POST bodies with the model generated from the OrderRequest codec, and throttles the stage', () => {
      const model = s.ofType('aws:apigateway/model:Model')[0];
      const schema = JSON.parse(model.inputs.schema);
      expect(schema).toMatchObject({ type: 'object', additionalProperties: false, required: ['customerId', 'items'] });
      const post = s.named('aws:apigateway/method:Method', 'dofs-post-orders');
      expect(post.inputs.requestModels).toEqual({ 'application/json': 'OrderRequest' });
      expect(s.ofType('aws:apigateway/requestValidator:RequestValidator')[0].inputs).toMatchObject({ validateRequestBody: true });
      const settings = s.ofType('aws:apigateway/methodSettings:MethodSettings')[0];
      expect(settings.inputs.settings).toMatchObject({
        throttlingRateLimit: s.config.apiThrottleRateLimit,
        throttlingBurstLimit: s.config.apiThrottleBurstLimit,
      });
      const stage = s.ofType('aws:apigateway/stage:Stage')[0];
      expect(stage.inputs.accessLogSettings.destinationArn).toMatch(/access-logs$/);
      expect(stage.inputs.xrayTracingEnabled).toBe(s.config.tracing);
      const permission = s.ofType('aws:lambda/permission:Permission')[0];
      expect(permission.inputs).toMatchObject({ principal: 'apigateway.amazonaws.com', action: 'lambda:InvokeFunction' });
      expect(permission.inputs.sourceArn).toMatch(/^arn:aws:execute-api:.*\/\*\/\*\/orders\*$/);
    });

    it("answers API Gateway's own errors with the contract's body, valid JSON whatever the request held", () => {
      const responses = s.ofType('aws:apigateway/response:Response');
      expect(responses.map((r) => r.inputs.responseType).sort()).toEqual([
        'BAD_REQUEST_BODY',
        'DEFAULT_4XX',
        'DEFAULT_5XX',
        'INTEGRATION_TIMEOUT',
        'REQUEST_TOO_LARGE',
      ]);
      // Gateway responses are plain substitution, not Velocity: what a template must not rely on.
      const hostile = '"\\\n\t\u0000\uD800$context.error.message #set($x = 1) $util.escapeJavaScript("x")';
      for (const r of responses) {
        const template = r.inputs.responseTemplates?.['application/json'] ?? '';
        expect(template).not.toMatch(/\$util|\$input|#(set|if|foreach)/);
        // Every variable AWS may put in a body, with what a client controls in it; messageString is API
        // Gateway's own text, quoted.
        const body = renderGatewayTemplate(template, {
          'error.message': hostile,
          'error.messageString': '"Missing Authentication Token"',
          'error.validationErrorString': hostile,
          'error.responseType': hostile,
          resourcePath: hostile,
          httpMethod: hostile,
        });
        expect(JSON.parse(body)).toEqual({ error: { code: expect.stringMatching(/^[A-Z_]+$/), message: expect.any(String) } });
      }
    });

    it('renders the state machine with logging, tracing and the configured type', () => {
      const sm = s.ofType('aws:sfn/stateMachine:StateMachine')[0];
      expect(sm.inputs.type).toBe(s.config.workflowType);
      expect(sm.inputs.tracingConfiguration).toEqual({ enabled: s.config.tracing });
      expect(sm.inputs.loggingConfiguration.level).toBe(s.config.workflowLogLevel);
      const definition = JSON.parse(sm.inputs.definition);
      expect(definition.StartAt).toBe('ValidateOrder');
      expect(definition.States.ValidateOrder.Resource).toBe('arn:aws:lambda:eu-west-1:123456789012:function:dofs-validator');
      expect(definition.States.SendToQueue.Parameters.QueueUrl).toBe('https://sqs.eu-west-1.amazonaws.com/123456789012/dofs-orders');
    });

    it('creates the stage only once the API Gateway account has its CloudWatch role: set here, or read and found', () => {
      const accounts = s.ofType('aws:apigateway/account:Account');
      expect(accounts).toHaveLength(1);
      if (s.config.apiGatewayAccount === 'managed') {
        const role = s.named('aws:iam/role:Role', 'dofs-cloudwatch-role');
        expect(JSON.parse(role.inputs.assumeRolePolicy as string).Statement[0].Principal).toEqual({ Service: 'apigateway.amazonaws.com' });
        expect(accounts[0].inputs.cloudwatchRoleArn).toBe('arn:aws:iam::123456789012:role/dofs/dofs-cloudwatch-role');
      } else {
        // A read (Account.get), not a resource of the stack: no inputs, nothing set.
        expect(accounts[0].inputs).toEqual({});
        expect(s.ofType('aws:iam/role:Role').map((r) => r.name)).not.toContain('dofs-cloudwatch-role');
      }
    });

    it('bounds each queue consumer with the mapping maximumConcurrency, reserving none of the account pool', () => {
      const bounds = Object.fromEntries(
        s.ofType('aws:lambda/eventSourceMapping:EventSourceMapping').map((m) => [m.name, m.inputs.scalingConfig?.maximumConcurrency]),
      );
      expect(bounds).toEqual({ 'dofs-fulfillment-source': s.config.fulfillmentMaxConcurrency, 'dofs-dlq-source': 2 });
      // Reserved concurrency would come out of the account's pool: on a fresh account (quota 10) it fails the deploy.
      for (const fn of s.ofType('aws:lambda/function:Function')) expect(fn.inputs.reservedConcurrentExecutions).toBeUndefined();
    });

    it('redeploys the API when any input of any resource that shapes it changes, in place or not', () => {
      // Every resource a deployment snapshots: methods, integrations, resources, models, validators, gateway responses.
      const shaping = API_SHAPING_TYPES.flatMap((t) => s.ofType(t));
      const triggers = s.ofType('aws:apigateway/deployment:Deployment')[0].inputs.triggers as Record<string, string>;
      // One trigger per shaping resource, the digest of exactly the inputs it was declared with.
      expect(Object.keys(triggers).sort()).toEqual(shaping.map((r) => r.name).sort());
      for (const r of shaping) expect({ [r.name]: triggers[r.name] }).toEqual({ [r.name]: shapeDigest(r.inputs) });
      // ...so an in-place change (a template, a required parameter) changes the triggers.
      const response = shaping.find((r) => r.type === 'aws:apigateway/response:Response')!;
      const changed = { ...response.inputs, responseTemplates: { 'application/json': '{"error":{"code":"OTHER"}}' } };
      expect(shapeDigest(changed)).not.toBe(triggers[response.name]);
      expect(shapeDigest({ ...response.inputs })).toBe(triggers[response.name]);
    });

    it('keys Idempotency-Key order ids with a secret of its own, made once when the stack is created and never replaced', async () => {
      const keys = s.ofType('random:index/randomBytes:RandomBytes');
      expect(keys.map((k) => k.name)).toEqual(['dofs-order-id-key']);
      // 32 bytes, HMAC-SHA-256's output length; no keepers, so no later input change replaces it.
      expect(keys[0].inputs).toEqual({ length: 32 });
      const api = s.named('aws:lambda/function:Function', 'dofs-api-handler');
      const key = api.inputs.environment.variables.ORDER_ID_KEY as string;
      expect(Buffer.from(key, 'base64')).toHaveLength(32);
      expect(key).toBe(await resolve(s.dofs.components.api.orderIdKey));
      // A secret in the stack's state, the environment that carries it included.
      expect(await pulumi.isSecret(s.dofs.components.api.orderIdKey)).toBe(true);
      expect(api.secretInputs).toContain('environment');
      // Only the api-handler makes order ids.
      const holders = s.ofType('aws:lambda/function:Function').filter((f) => 'ORDER_ID_KEY' in f.inputs.environment.variables);
      expect(holders.map((f) => f.name)).toEqual(['dofs-api-handler']);
    });

    it("tags every taggable resource with the stack's tags, and exactly the types whose arguments take tags", () => {
      const awsTypes = [...new Set(s.resources.map((r) => r.type).filter((t) => t.startsWith('aws:')))];
      // From @pulumi/aws's own declarations: does `<Resource>Args` have a `tags` member?
      const takesTags = (type: string) => {
        const [, mod, cls] = /^aws:([\w]+)\/(\w+):(\w+)$/.exec(type)!.slice(0, 4) as [string, string, string, string];
        const file = fs.readFileSync(path.join(ROOT, 'node_modules', '@pulumi', 'aws', mod, `${cls}.d.ts`), 'utf8');
        const start = file.indexOf(`export interface ${type.split(':')[2]}Args {`);
        const body = file.slice(start, file.indexOf('\n}', start));
        return start >= 0 && /\n\s+tags\?:/.test(body);
      };
      expect(awsTypes.filter(takesTags).sort()).toEqual(awsTypes.filter((t) => TAGGABLE_TYPES.has(t)).sort());
      const tagged = s.resources.filter((r) => TAGGABLE_TYPES.has(r.type));
      expect(tagged.length).toBeGreaterThan(20);
      const untagged = tagged
        .filter(
          (r) => !isDeepStrictEqual(r.inputs.tags, { Project: 'dofs', Stack: stack, ManagedBy: 'pulumi', DeployScope: `dofs-${stack}` }),
        )
        .map((r) => `${r.type} ${r.name}: ${JSON.stringify(r.inputs.tags)}`);
      expect(untagged).toEqual([]);
    });

    it('tells every function its stack, the Stack dimension of its metrics', () => {
      for (const fn of s.ofType('aws:lambda/function:Function')) {
        expect({ [fn.name]: fn.inputs.environment.variables.DOFS_STACK }).toEqual({ [fn.name]: stack });
      }
    });

    it('asks no function for source maps (its bundle carries none: --enable-source-maps would only slow every stack trace)', () => {
      for (const fn of s.ofType('aws:lambda/function:Function')) expect(fn.inputs.environment.variables.NODE_OPTIONS).toBeUndefined();
    });

    it("keeps every function's metric lines through Lambda's log-level filtering, and its own lines at the stack's logLevel", () => {
      for (const fn of s.ofType('aws:lambda/function:Function')) {
        const level = fn.inputs.environment.variables.LOG_LEVEL as LogLevel;
        expect(level).toBe(s.config.logLevel);
        const lambda: LoggingConfig = {
          format: fn.inputs.loggingConfig.logFormat,
          applicationLogLevel: fn.inputs.loggingConfig.applicationLogLevel,
        };
        const lines: string[] = [];
        const log = makeLogger(fn.name, level, {}, (line) => lines.push(line));
        log.metric('OrdersFulfilled', 1, { Service: fn.name });
        log.warn('kept at every level');
        // What reaches CloudWatch Logs: the code's filter, then Lambda's (local/lambdaLogs.ts follows AWS's doc).
        const delivered = lines.filter((line) => keepsLogLine(lambda, line));
        expect([fn.name, delivered.length]).toEqual([fn.name, 2]);
        expect(JSON.parse(delivered[0])).toMatchObject({ _aws: { CloudWatchMetrics: [{ Namespace: 'DOFS' }] }, OrdersFulfilled: 1 });
        log.info('an info line');
        expect(lines.filter((line) => keepsLogLine(lambda, line))).toHaveLength(level === 'WARN' || level === 'ERROR' ? 2 : 3);
      }
    });

    it('sets retention on every log group from config', () => {
      const groups = s.ofType('aws:cloudwatch/logGroup:LogGroup');
      expect(groups).toHaveLength(7);
      for (const g of groups) expect(g.inputs.retentionInDays).toBe(s.config.logRetentionDays);
    });

    more(() => s);
  });

export type { Recorded };
