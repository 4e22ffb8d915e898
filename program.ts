import * as pulumi from '@pulumi/pulumi';
import { type StackConfig, decodeConfig } from './config';
import { Alarms } from './components/alarms';
import * as aws from '@pulumi/aws';
import { boundEveryRole } from './components/boundary';
import { DELIVERY_PATH, boundaryPolicyName, scopeOf } from './components/scope';
import { stackTags, tagEverything } from './components/tags';
import { ApiGatewayAccount } from './components/apiGatewayAccount';
import { FulfillmentQueue } from './components/fulfillmentQueue';
import { Orchestrator } from './components/orchestrator';
import { OrderApi } from './components/orderApi';
import { OrderStore } from './components/orderStore';

/** The stack outputs. */
export interface DofsOutputs {
  apiUrl: pulumi.Output<string>;
  ordersTableName: pulumi.Output<string>;
  failedOrdersTableName: pulumi.Output<string>;
  queueUrl: pulumi.Output<string>;
  dlqUrl: pulumi.Output<string>;
  stateMachineArn: pulumi.Output<string>;
  /** What `npm run ops` needs beyond the names above (ops/outputs.ts decodes it). */
  operations: pulumi.Output<OperationsOutput>;
}

/**
 * The stack output `operations`: what the operator's commands (`npm run ops`, ops/) read from a deployed
 * stack, so that they never guess a name. Plain values only (a stack output is JSON).
 */
export interface OperationsOutput {
  readonly region: string;
  readonly queueArn: string;
  readonly dlqArn: string;
  readonly workflowType: 'STANDARD' | 'EXPRESS';
  /** The CloudWatch Logs group of each function (by role, as in the alarms) and of the workflow. */
  readonly logGroups: Readonly<Record<string, string>>;
  readonly stuckOrderMinutes: number;
  readonly redriveMaxAttempts: number;
  /** The UUID of the dlq-handler's event source mapping, which `ops redrive` pauses while it moves dead letters. */
  readonly dlqHandlerMappingUuid: string;
}

/**
 * The ARN of the permissions boundary every role of the stack carries (stack config `permissionsBoundary`):
 * 'delivery' is the one `deployments/` made for this stack in this account; unset, none.
 */
export const permissionsBoundaryArn = (setting: string | undefined, stack: string): pulumi.Output<string> | undefined =>
  setting === undefined
    ? undefined
    : setting === 'delivery'
      ? pulumi.interpolate`arn:aws:iam::${aws.getCallerIdentityOutput({}).accountId}:policy${DELIVERY_PATH}${boundaryPolicyName(stack)}`
      : pulumi.output(setting);

/** The base of every resource name on AWS: the stack's scope, which the deploy roles are limited to (components/scope.ts). */
export const awsResourceBase = (stack: string): string => scopeOf(stack);

/** Creates the four components for one stack's config. */
export const createDofs = (
  config: StackConfig,
  name = 'dofs',
): DofsOutputs & {
  components: {
    store: OrderStore;
    queue: FulfillmentQueue;
    orchestrator: Orchestrator;
    api: OrderApi;
    alarms: Alarms;
    account: ApiGatewayAccount;
  };
} => {
  // Every taggable resource, in every component, carries the stack's tags; every role, the boundary if set.
  const boundary = permissionsBoundaryArn(config.permissionsBoundary, pulumi.getStack());
  const opts = {
    transformations: [tagEverything(stackTags(pulumi.getStack())), ...(boundary ? [boundEveryRole(boundary)] : [])],
  };
  const functions = { logRetentionDays: config.logRetentionDays, logLevel: config.logLevel, tracing: config.tracing };
  const store = new OrderStore(
    name,
    { pointInTimeRecovery: config.pointInTimeRecovery, deletionProtection: config.deletionProtection },
    opts,
  );
  const queue = new FulfillmentQueue(
    name,
    {
      ...functions,
      store,
      fulfillmentSuccessRate: config.fulfillmentSuccessRate,
      maxReceiveCount: config.maxReceiveCount,
      batchSize: config.fulfillmentBatchSize,
      batchWindowSeconds: config.fulfillmentBatchWindowSeconds,
      fulfillmentTimeoutSeconds: config.fulfillmentTimeoutSeconds,
      maxConcurrency: config.fulfillmentMaxConcurrency,
      faults: config.faults,
    },
    opts,
  );
  const orchestrator = new Orchestrator(
    name,
    {
      ...functions,
      store,
      queue,
      workflowType: config.workflowType,
      workflowLogLevel: config.workflowLogLevel,
      faults: config.faults,
    },
    opts,
  );
  const account = new ApiGatewayAccount(name, { mode: config.apiGatewayAccount, configKey: 'dofs:apiGatewayAccount' }, opts);
  const api = new OrderApi(
    name,
    {
      ...functions,
      store,
      orchestrator,
      queue,
      reconcile: {
        stuckAfterMinutes: config.stuckOrderMinutes,
        maxAttempts: config.redriveMaxAttempts,
        everyMinutes: config.reconcileEveryMinutes,
      },
      throttleRateLimit: config.apiThrottleRateLimit,
      throttleBurstLimit: config.apiThrottleBurstLimit,
      stageDependsOn: account.ready,
      faults: config.faults,
    },
    opts,
  );
  const alarms = new Alarms(
    name,
    {
      email: config.alarmEmail,
      thresholds: config.alarmThresholds,
      stack: pulumi.getStack(),
      queue: queue.queue,
      deadLetterQueue: queue.deadLetterQueue,
      systemFailureFunctions: ['api-handler', 'fulfillment', 'dlq-handler'],
      api: { name: api.api.name, stage: api.stage.stageName, accessLogGroup: api.accessLogs },
      stateMachine: orchestrator.stateMachine,
      functions: {
        'api-handler': api.apiHandler.function,
        validator: orchestrator.validator.function,
        'store-order': orchestrator.storeOrder.function,
        fulfillment: queue.fulfillment.function,
        'dlq-handler': queue.dlqHandler.function,
      },
    },
    opts,
  );
  return {
    components: { store, queue, orchestrator, api, alarms, account },
    apiUrl: api.url,
    ordersTableName: store.orders.name,
    failedOrdersTableName: store.failedOrders.name,
    queueUrl: queue.queue.url,
    dlqUrl: queue.deadLetterQueue.url,
    stateMachineArn: orchestrator.stateMachine.arn,
    operations: pulumi
      .all([
        aws.getRegionOutput({}).region,
        queue.queue.arn,
        queue.deadLetterQueue.arn,
        api.apiHandler.logGroup.name,
        orchestrator.validator.logGroup.name,
        orchestrator.storeOrder.logGroup.name,
        queue.fulfillment.logGroup.name,
        queue.dlqHandler.logGroup.name,
        orchestrator.logGroup.name,
        queue.dlqSource.uuid,
      ])
      .apply(
        ([
          region,
          queueArn,
          dlqArn,
          apiHandler,
          validator,
          storeOrder,
          fulfillment,
          dlqHandler,
          workflow,
          dlqHandlerMappingUuid,
        ]): OperationsOutput => ({
          region,
          queueArn,
          dlqArn,
          workflowType: config.workflowType,
          logGroups: {
            'api-handler': apiHandler,
            validator,
            'store-order': storeOrder,
            fulfillment,
            'dlq-handler': dlqHandler,
            workflow,
          },
          stuckOrderMinutes: config.stuckOrderMinutes,
          redriveMaxAttempts: config.redriveMaxAttempts,
          dlqHandlerMappingUuid,
        }),
      ),
  };
};

/** Reads and decodes this stack's config; a bad value stops the program before any resource exists. */
export const loadConfig = (): StackConfig => decodeConfig(pulumi.runtime.allConfig(), pulumi.getStack());
