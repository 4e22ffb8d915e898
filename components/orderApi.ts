import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { apiHandlerFactory } from '../runtime/apiHandler';
import { codecs } from '../runtime/codecs';
import { orderRequestSchema } from '../runtime/schema';
import { type ArgNames, ownNames, withDefaults } from './defaults';
import { type FunctionSettings, InlineFunction } from './lambdaFunction';
import type { Orchestrator } from './orchestrator';
import type { OrderStore } from './orderStore';

export interface OrderApiArgs extends FunctionSettings {
  readonly store: OrderStore;
  readonly orchestrator: Orchestrator;
  /** Steady-state requests per second of the stage. @default ORDER_API_DEFAULTS.throttleRateLimit (50) */
  readonly throttleRateLimit?: number;
  /** Burst of the stage; at least the rate. @default ORDER_API_DEFAULTS.throttleBurstLimit (100) */
  readonly throttleBurstLimit?: number;
  /** @default ORDER_API_DEFAULTS.stageName ('v1') */
  readonly stageName?: string;
  readonly faults?: { apiHandler?: object };
}

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

/** The error body of CONTRACT.md for responses API Gateway produces itself. */
const gatewayError = (code: string, message: string) =>
  JSON.stringify({ error: { code, message } }).replace('"MESSAGE"', '$context.error.messageString');

/**
 * The REST API: `POST /orders` (request validator + the JSON-schema model generated from the
 * OrderRequest codec) and `GET /orders/{orderId}`, both proxied to the api-handler function; a stage
 * with JSON access logs, X-Ray and throttling.
 */
export class OrderApi extends pulumi.ComponentResource {
  readonly api: aws.apigateway.RestApi;
  readonly apiHandler: InlineFunction<ReturnType<typeof apiHandlerFactory>>;
  readonly stage: aws.apigateway.Stage;
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: OrderApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super('dofs:index:OrderApi', name, {}, opts);
    const a = withDefaults(ORDER_API_DEFAULTS, args);
    const problems = validateThrottling(a);
    if (problems.length > 0) throw new Error(`OrderApi '${name}': ${problems.join('; ')}`);
    const { throttleRateLimit: rate, throttleBurstLimit: burst, stageName } = a;

    this.apiHandler = new InlineFunction(
      `${name}-api-handler`,
      {
        ...args,
        factory: apiHandlerFactory,
        description: 'DOFS api-handler: POST /orders, GET /orders/{orderId}',
        statements: [...args.store.grantRead(), ...args.store.grantWrite('api'), ...args.orchestrator.grantStart()],
        environment: {
          ORDERS_TABLE: args.store.orders.name,
          FAILED_ORDERS_TABLE: args.store.failedOrders.name,
          STATE_MACHINE_ARN: args.orchestrator.stateMachine.arn,
        },
        timeout: 10,
        memorySize: 512,
        faults: args.faults?.apiHandler,
      },
      { parent: this },
    );
    const fn = this.apiHandler.function;

    this.api = new aws.apigateway.RestApi(
      `${name}-api`,
      { description: 'DOFS orders API', endpointConfiguration: { types: 'REGIONAL' } },
      { parent: this },
    );
    const model = new aws.apigateway.Model(
      `${name}-order-request`,
      { restApi: this.api.id, name: 'OrderRequest', contentType: 'application/json', schema: JSON.stringify(orderRequestSchema(codecs)) },
      { parent: this },
    );
    const validator = new aws.apigateway.RequestValidator(
      `${name}-validator`,
      { restApi: this.api.id, name: 'body-and-parameters', validateRequestBody: true, validateRequestParameters: true },
      { parent: this },
    );
    const orders = new aws.apigateway.Resource(
      `${name}-orders`,
      { restApi: this.api.id, parentId: this.api.rootResourceId, pathPart: 'orders' },
      { parent: this },
    );
    const order = new aws.apigateway.Resource(
      `${name}-order`,
      { restApi: this.api.id, parentId: orders.id, pathPart: '{orderId}' },
      { parent: this },
    );

    const post = new aws.apigateway.Method(
      `${name}-post-orders`,
      {
        restApi: this.api.id,
        resourceId: orders.id,
        httpMethod: 'POST',
        authorization: 'NONE',
        requestValidatorId: validator.id,
        requestModels: { 'application/json': model.name },
      },
      { parent: this },
    );
    const get = new aws.apigateway.Method(
      `${name}-get-order`,
      {
        restApi: this.api.id,
        resourceId: order.id,
        httpMethod: 'GET',
        authorization: 'NONE',
        requestValidatorId: validator.id,
        requestParameters: { 'method.request.path.orderId': true },
      },
      { parent: this },
    );
    const integrate = (route: string, method: aws.apigateway.Method, resource: aws.apigateway.Resource) =>
      new aws.apigateway.Integration(
        `${name}-${route}-integration`,
        {
          restApi: this.api.id,
          resourceId: resource.id,
          httpMethod: method.httpMethod,
          type: 'AWS_PROXY',
          integrationHttpMethod: 'POST',
          uri: fn.invokeArn,
        },
        { parent: this },
      );
    const integrations = [integrate('post-orders', post, orders), integrate('get-order', get, order)];

    const responses = [
      new aws.apigateway.Response(
        `${name}-bad-body`,
        {
          restApiId: this.api.id,
          responseType: 'BAD_REQUEST_BODY',
          statusCode: '400',
          responseTemplates: {
            'application/json':
              '{"error":{"code":"VALIDATION_ERROR","message":"The order is not valid: $util.escapeJavaScript($context.error.validationErrorString)"}}',
          },
        },
        { parent: this },
      ),
      new aws.apigateway.Response(
        `${name}-default-4xx`,
        {
          restApiId: this.api.id,
          responseType: 'DEFAULT_4XX',
          responseTemplates: { 'application/json': gatewayError('REQUEST_ERROR', 'MESSAGE') },
        },
        { parent: this },
      ),
      new aws.apigateway.Response(
        `${name}-default-5xx`,
        {
          restApiId: this.api.id,
          responseType: 'DEFAULT_5XX',
          responseTemplates: { 'application/json': gatewayError('INTERNAL_ERROR', 'MESSAGE') },
        },
        { parent: this },
      ),
    ];

    const deployment = new aws.apigateway.Deployment(
      `${name}-deployment`,
      {
        restApi: this.api.id,
        // Redeploy whenever the API's shape changes.
        triggers: {
          model: model.schema.apply((x) => x ?? ''),
          post: post.id,
          get: get.id,
          integrations: pulumi.all(integrations.map((i) => i.id)).apply((ids) => ids.join(',')),
        },
      },
      { parent: this, dependsOn: [...integrations, ...responses] },
    );
    const accessLogs = new aws.cloudwatch.LogGroup(`${name}-access-logs`, { retentionInDays: args.logRetentionDays }, { parent: this });
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
      { parent: this },
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
