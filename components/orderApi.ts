import { createHash } from 'crypto';
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { ORDER_ID_KEY_MIN_BYTES, apiHandlerFactory } from '../runtime/apiHandler';
import { codecs } from '../runtime/codecs';
import { orderRequestSchema } from '../runtime/schema';
import { type ArgNames, ownNames, withDefaults } from './defaults';
import { type FunctionSettings, InlineFunction } from './lambdaFunction';
import type { FulfillmentQueue } from './fulfillmentQueue';
import type { Orchestrator } from './orchestrator';
import { ROLE_PATH, assumeRolePolicy, policyDocument } from './policy';
import type { OrderStore } from './orderStore';

export interface OrderApiArgs extends FunctionSettings {
  readonly store: OrderStore;
  readonly orchestrator: Orchestrator;
  /** The orders queue: the reconciler re-sends a stuck PENDING order's message to it. */
  readonly queue: FulfillmentQueue;
  /** The reconciler (run in the api-handler by EventBridge Scheduler). @default RECONCILE_DEFAULTS */
  readonly reconcile?: Partial<ReconcileSettings>;
  /** Steady-state requests per second of the stage. @default ORDER_API_DEFAULTS.throttleRateLimit (50) */
  readonly throttleRateLimit?: number;
  /** Burst of the stage; at least the rate. @default ORDER_API_DEFAULTS.throttleBurstLimit (100) */
  readonly throttleBurstLimit?: number;
  /** @default ORDER_API_DEFAULTS.stageName ('v1') */
  readonly stageName?: string;
  /** What the stage waits for: the API Gateway account's CloudWatch role, which access logging needs. */
  readonly stageDependsOn?: pulumi.Input<pulumi.Resource[]>;
  readonly faults?: { apiHandler?: object };
}

/** When and how the reconciler re-drives orders stuck ACCEPTED or PENDING (runtime/reconciler.ts). */
export interface ReconcileSettings {
  /** Minutes an order may sit ACCEPTED or PENDING before it is re-driven. */
  readonly stuckAfterMinutes: number;
  /** Re-drives before the order ends FAILED with PROCESSING_ERROR. */
  readonly maxAttempts: number;
  /** Minutes between two runs (EventBridge Scheduler's rate). */
  readonly everyMinutes: number;
}
export const RECONCILE_DEFAULTS: ReconcileSettings = { stuckAfterMinutes: 15, maxAttempts: 3, everyMinutes: 5 };

/**
 * The api-handler's asynchronous invocation settings. Its one asynchronous caller is the reconciler's schedule: API
 * Gateway's Lambda proxy integration invokes synchronously (asynchronous invocation is a non-proxy integration's
 * option, https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-integration-async.html; API
 * Gateway is among the synchronous callers in https://docs.aws.amazon.com/lambda/latest/operatorguide/invocation-modes.html),
 * and these settings apply to asynchronous invocations only. A failed run is not repeated (the next scheduled run
 * goes on), and a run Lambda could not start (throttled: Lambda keeps such an event and tries again) is dropped once
 * the next one is due.
 */
export const reconcilerInvokeConfig = (functionName: pulumi.Input<string>, reconcile: Pick<ReconcileSettings, 'everyMinutes'>) => ({
  functionName,
  maximumRetryAttempts: 0,
  // Lambda's bounds: 60 s to 6 h.
  maximumEventAgeInSeconds: Math.min(Math.max(reconcile.everyMinutes * 60, 60), 21_600),
});

/** The defaults of {@link OrderApiArgs}; the stack config's defaults come from here. */
export const ORDER_API_DEFAULTS: Readonly<Required<Pick<OrderApiArgs, 'throttleRateLimit' | 'throttleBurstLimit' | 'stageName'>>> = {
  throttleRateLimit: 50,
  throttleBurstLimit: 100,
  stageName: 'v1',
};

/**
 * Problems with the stage's throttling, each naming the arguments as `names` says. A burst below the rate
 * would cap the rate at the burst (the token bucket holds at most `burst` tokens).
 */
export const validateThrottling = (
  args: { readonly throttleRateLimit: number; readonly throttleBurstLimit: number },
  names: ArgNames<'throttleRateLimit' | 'throttleBurstLimit'> = ownNames('throttleRateLimit', 'throttleBurstLimit'),
): string[] =>
  args.throttleBurstLimit < args.throttleRateLimit
    ? [
        `${names.throttleBurstLimit} = ${args.throttleBurstLimit} is below ${names.throttleRateLimit} = ${args.throttleRateLimit}: ` +
          'the burst must be at least the rate',
      ]
    : [];

/** Stands for API Gateway's own message, `$context.error.messageString`, in {@link GATEWAY_RESPONSES}. */
export const GATEWAY_MESSAGE = Symbol('$context.error.messageString');

/** One gateway response: what API Gateway answers itself, as the contract's error body. */
export interface GatewayResponseSpec {
  /** https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html */
  readonly type: string;
  /** The resource's name after the API's. */
  readonly role: string;
  /** Absent: the type's own status. */
  readonly statusCode?: number;
  readonly code: string;
  readonly message: string | typeof GATEWAY_MESSAGE;
}

/**
 * The gateway responses. A gateway response template is not Velocity: API Gateway only substitutes
 * variables into it (`$util` and `#if` stay as written, nothing is escaped):
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-gateway-responses.responseTemplates.html
 * So a body stays valid JSON, whatever the request held, only if every variable in it is JSON by itself.
 * `$context.error.messageString` is: "the quoted value of $context.error.message", API Gateway's own fixed
 * text such as "Missing Authentication Token" (AWS's own example puts it bare where a JSON value belongs):
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html
 * `$context.error.validationErrorString` is not: AWS documents no quoting or escaping for it, and it names
 * what the client sent (an unknown key with a quote, a backslash or a newline), so no body carries it; the
 * access log does. The body model's 400 says instead, in a fixed sentence, what a valid order is.
 */
export const GATEWAY_RESPONSES: readonly GatewayResponseSpec[] = [
  {
    type: 'BAD_REQUEST_BODY',
    role: 'bad-body',
    statusCode: 400,
    code: 'VALIDATION_ERROR',
    message:
      'The body is not a valid order: send a JSON object with exactly customerId (1-64 characters) and items ' +
      '(1-50 objects, each with exactly productId (1-64 characters), quantity (an integer from 1 to 9999) and ' +
      'optionally unitPrice (a number from 0 to 1000000 with at most two decimal places)).',
  },
  {
    type: 'REQUEST_TOO_LARGE',
    role: 'too-large',
    statusCode: 413,
    code: 'PAYLOAD_TOO_LARGE',
    message: 'The request is too large: an order body is at most 32 KiB.',
  },
  { type: 'INTEGRATION_TIMEOUT', role: 'integration-timeout', code: 'GATEWAY_TIMEOUT', message: GATEWAY_MESSAGE },
  { type: 'DEFAULT_4XX', role: 'default-4xx', code: 'REQUEST_ERROR', message: GATEWAY_MESSAGE },
  { type: 'DEFAULT_5XX', role: 'default-5xx', code: 'INTERNAL_ERROR', message: GATEWAY_MESSAGE },
];

/** The `application/json` template of a gateway response: the contract's error body. */
export const gatewayResponseTemplate = (r: Pick<GatewayResponseSpec, 'code' | 'message'>): string =>
  r.message === GATEWAY_MESSAGE
    ? `{"error":{"code":${JSON.stringify(r.code)},"message":$context.error.messageString}}`
    : JSON.stringify({ error: { code: r.code, message: r.message } });

/** The resource types a deployment snapshots: a change to any of them must make a new deployment. */
export const API_SHAPING_TYPES: readonly string[] = [
  'aws:apigateway/method:Method',
  'aws:apigateway/integration:Integration',
  'aws:apigateway/resource:Resource',
  'aws:apigateway/model:Model',
  'aws:apigateway/requestValidator:RequestValidator',
  'aws:apigateway/response:Response',
];

/** JSON with sorted keys and no undefined members: the same inputs give the same text. */
const canonical = (v: unknown): string =>
  Array.isArray(v)
    ? `[${v.map(canonical).join(',')}]`
    : v !== null && typeof v === 'object'
      ? `{${Object.entries(v)
          .filter(([, x]) => x !== undefined)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`)
          .join(',')}}`
      : JSON.stringify(v);

/**
 * The digest of one API-shaping resource's inputs (every Output resolved), a value of the deployment's
 * triggers: any change to any input, in place or not, makes a new deployment.
 */
export const shapeDigest = (inputs: unknown): string => createHash('sha256').update(canonical(inputs)).digest('hex');

/**
 * The REST API: `POST /orders` (request validator + the JSON-schema model generated from the
 * OrderRequest codec) and `GET /orders/{orderId}`, both proxied to the api-handler function; a stage
 * with JSON access logs, X-Ray and throttling.
 */
export class OrderApi extends pulumi.ComponentResource {
  readonly api: aws.apigateway.RestApi;
  readonly apiHandler: InlineFunction<ReturnType<typeof apiHandlerFactory>>;
  readonly stage: aws.apigateway.Stage;
  /** The stage's access log (JSON lines), which the throttle alarm's metric filter reads. */
  readonly accessLogs: aws.cloudwatch.LogGroup;
  readonly url: pulumi.Output<string>;
  /**
   * The stack's order-id key (base64, a Pulumi secret): the HMAC key that turns an Idempotency-Key into an
   * order id. Generated once, when the stack is created, and kept in the stack's state: nothing replaces it
   * (no keepers, a fixed length), so a replay after any later deploy finds the same order.
   */
  readonly orderIdKey: pulumi.Output<string>;
  /** The reconciler's schedule (EventBridge Scheduler), which invokes the api-handler with `{"dofs": "reconcile"}`. */
  readonly schedule: aws.scheduler.Schedule;

  /**
   * Runs the reconciler every few minutes: EventBridge Scheduler invokes the api-handler with a role that may
   * invoke only it (https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role).
   * No retries: the next run picks up whatever this one missed. Neither the Scheduler's (its retry policy) nor
   * Lambda's: the Scheduler invokes a Lambda target asynchronously
   * (https://docs.aws.amazon.com/lambda/latest/dg/with-eventbridge-scheduler.html), and Lambda retries a failed
   * asynchronous invocation twice by default, keeping the event up to six hours
   * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html); see {@link reconcilerInvokeConfig}.
   */
  private scheduleReconciler(name: string, fn: aws.lambda.Function, reconcile: ReconcileSettings): aws.scheduler.Schedule {
    // Only this account's schedules may assume it: the confused-deputy condition the Scheduler guide asks for.
    const account = fn.arn.apply((arn) => arn.split(':')[4]);
    const role = new aws.iam.Role(
      `${name}-reconciler-role`,
      {
        path: ROLE_PATH,
        assumeRolePolicy: account.apply((a) => assumeRolePolicy('scheduler.amazonaws.com', { StringEquals: { 'aws:SourceAccount': a } })),
        description: 'DOFS reconciler schedule',
      },
      { parent: this },
    );
    const policy = new aws.iam.RolePolicy(
      `${name}-reconciler-policy`,
      { role: role.id, policy: policyDocument([{ Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [fn.arn] }]) },
      { parent: this },
    );
    new aws.lambda.FunctionEventInvokeConfig(`${name}-api-handler-async`, reconcilerInvokeConfig(fn.name, reconcile), { parent: this });
    return new aws.scheduler.Schedule(
      `${name}-reconcile`,
      {
        description: `DOFS reconciler: re-drives orders ACCEPTED or PENDING for over ${reconcile.stuckAfterMinutes} minutes`,
        scheduleExpression: `rate(${reconcile.everyMinutes} ${reconcile.everyMinutes === 1 ? 'minute' : 'minutes'})`,
        flexibleTimeWindow: { mode: 'OFF' },
        target: {
          arn: fn.arn,
          roleArn: role.arn,
          input: JSON.stringify({ dofs: 'reconcile' }),
          retryPolicy: { maximumRetryAttempts: 0 },
        },
      },
      { parent: this, dependsOn: [policy] },
    );
  }

  constructor(name: string, args: OrderApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super('dofs:index:OrderApi', name, {}, opts);
    const a = withDefaults(ORDER_API_DEFAULTS, args);
    const problems = validateThrottling(a);
    if (problems.length > 0) throw new Error(`OrderApi '${name}': ${problems.join('; ')}`);
    const { throttleRateLimit: rate, throttleBurstLimit: burst, stageName } = a;

    const reconcile = { ...RECONCILE_DEFAULTS, ...args.reconcile };
    const key = new random.RandomBytes(`${name}-order-id-key`, { length: ORDER_ID_KEY_MIN_BYTES }, { parent: this });
    this.orderIdKey = pulumi.secret(key.base64);

    this.apiHandler = new InlineFunction(
      `${name}-api-handler`,
      {
        ...args,
        factory: apiHandlerFactory,
        description: 'DOFS api-handler: POST /orders, GET /orders/{orderId}',
        statements: [
          ...args.store.grantRead(),
          ...args.store.grantWrite('api'),
          ...args.orchestrator.grantStart(),
          // The reconciler: find stuck orders, claim a re-drive, re-send a message, give up (FAILED + its record).
          ...args.store.grantQueryInFlight(),
          ...args.store.grantWrite('outcome'),
          ...args.queue.grantSend(),
        ],
        environment: {
          ORDERS_TABLE: args.store.orders.name,
          FAILED_ORDERS_TABLE: args.store.failedOrders.name,
          STATE_MACHINE_ARN: args.orchestrator.stateMachine.arn,
          QUEUE_URL: args.queue.queue.url,
          STUCK_AFTER_SECONDS: String(reconcile.stuckAfterMinutes * 60),
          REDRIVE_MAX_ATTEMPTS: String(reconcile.maxAttempts),
          // A secret in the state and in the function's KMS-encrypted environment; readable by whoever may
          // call lambda:GetFunctionConfiguration, who may read the orders table anyway.
          ORDER_ID_KEY: this.orderIdKey,
        },
        timeout: 10,
        memorySize: 512,
        faults: args.faults?.apiHandler,
      },
      { parent: this },
    );
    const fn = this.apiHandler.function;
    this.schedule = this.scheduleReconciler(name, fn, reconcile);

    // The inputs of every resource that shapes what a deployment snapshots, by resource name.
    const shape: Record<string, object> = {};
    const track = <A extends object>(resourceName: string, args: A): A => {
      shape[resourceName] = args;
      return args;
    };
    this.api = new aws.apigateway.RestApi(
      `${name}-api`,
      { description: 'DOFS orders API', endpointConfiguration: { types: 'REGIONAL' } },
      { parent: this },
    );
    const model = new aws.apigateway.Model(
      `${name}-order-request`,
      track(`${name}-order-request`, {
        restApi: this.api.id,
        name: 'OrderRequest',
        contentType: 'application/json',
        schema: JSON.stringify(orderRequestSchema(codecs)),
      }),
      { parent: this },
    );
    const validator = new aws.apigateway.RequestValidator(
      `${name}-validator`,
      track(`${name}-validator`, {
        restApi: this.api.id,
        name: 'body-and-parameters',
        validateRequestBody: true,
        validateRequestParameters: true,
      }),
      { parent: this },
    );
    const orders = new aws.apigateway.Resource(
      `${name}-orders`,
      track(`${name}-orders`, { restApi: this.api.id, parentId: this.api.rootResourceId, pathPart: 'orders' }),
      { parent: this },
    );
    const order = new aws.apigateway.Resource(
      `${name}-order`,
      track(`${name}-order`, { restApi: this.api.id, parentId: orders.id, pathPart: '{orderId}' }),
      { parent: this },
    );

    const post = new aws.apigateway.Method(
      `${name}-post-orders`,
      track(`${name}-post-orders`, {
        restApi: this.api.id,
        resourceId: orders.id,
        httpMethod: 'POST',
        authorization: 'NONE',
        requestValidatorId: validator.id,
        requestModels: { 'application/json': model.name },
      }),
      { parent: this },
    );
    const get = new aws.apigateway.Method(
      `${name}-get-order`,
      track(`${name}-get-order`, {
        restApi: this.api.id,
        resourceId: order.id,
        httpMethod: 'GET',
        authorization: 'NONE',
        requestValidatorId: validator.id,
        requestParameters: { 'method.request.path.orderId': true },
      }),
      { parent: this },
    );
    const integrate = (route: string, method: aws.apigateway.Method, resource: aws.apigateway.Resource) =>
      new aws.apigateway.Integration(
        `${name}-${route}-integration`,
        track(`${name}-${route}-integration`, {
          restApi: this.api.id,
          resourceId: resource.id,
          httpMethod: method.httpMethod,
          type: 'AWS_PROXY',
          integrationHttpMethod: 'POST',
          uri: fn.invokeArn,
        }),
        { parent: this },
      );
    const integrations = [integrate('post-orders', post, orders), integrate('get-order', get, order)];

    const responses = GATEWAY_RESPONSES.map(
      (r) =>
        new aws.apigateway.Response(
          `${name}-${r.role}`,
          track(`${name}-${r.role}`, {
            restApiId: this.api.id,
            responseType: r.type,
            statusCode: r.statusCode === undefined ? undefined : String(r.statusCode),
            responseTemplates: { 'application/json': gatewayResponseTemplate(r) },
          }),
          { parent: this },
        ),
    );

    const deployment = new aws.apigateway.Deployment(
      `${name}-deployment`,
      {
        restApi: this.api.id,
        // Redeploy whenever the API's shape changes: a stage serves the snapshot its deployment took, gateway
        // responses included (https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-deploy-api.html).
        // An in-place update keeps a resource's id, so the triggers hash every shaping resource's inputs.
        triggers: Object.fromEntries(Object.entries(shape).map(([n, inputs]) => [n, pulumi.output(inputs).apply(shapeDigest)])),
      },
      { parent: this, dependsOn: [...integrations, ...responses] },
    );
    const accessLogs = new aws.cloudwatch.LogGroup(`${name}-access-logs`, { retentionInDays: args.logRetentionDays }, { parent: this });
    this.accessLogs = accessLogs;
    this.stage = new aws.apigateway.Stage(
      `${name}-stage`,
      {
        restApi: this.api.id,
        deployment: deployment.id,
        stageName,
        xrayTracingEnabled: args.tracing,
        accessLogSettings: {
          destinationArn: accessLogs.arn,
          format: JSON.stringify({
            // The stack, a literal: the throttle metric filter's Stack dimension (components/alarms.ts).
            stack: pulumi.getStack(),
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            method: '$context.httpMethod',
            path: '$context.resourcePath',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            error: '$context.error.message',
            validationError: '$context.error.validationErrorString',
          }),
        },
      },
      { parent: this, dependsOn: args.stageDependsOn },
    );
    new aws.apigateway.MethodSettings(
      `${name}-throttling`,
      {
        restApi: this.api.id,
        stageName: this.stage.stageName,
        methodPath: '*/*',
        settings: { throttlingRateLimit: rate, throttlingBurstLimit: burst, metricsEnabled: true },
      },
      { parent: this },
    );
    new aws.lambda.Permission(
      `${name}-invoke`,
      {
        action: 'lambda:InvokeFunction',
        function: fn.name,
        principal: 'apigateway.amazonaws.com',
        // Only this API's two routes, on any stage.
        sourceArn: pulumi.interpolate`${this.api.executionArn}/*/*/orders*`,
      },
      { parent: this },
    );
    this.url = pulumi.interpolate`${this.stage.invokeUrl}`;
    this.registerOutputs({ url: this.url });
  }
}
