import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { FulfillmentMessage } from '../runtime/codecs';
import { dlqHandlerFactory } from '../runtime/dlqHandler';
import { fulfillmentFactory } from '../runtime/fulfillment';
import { type ArgNames, ownNames, withDefaults } from './defaults';
import { type FunctionSettings, InlineFunction } from './lambdaFunction';
import type { OrderStore } from './orderStore';
import { type Statement } from './policy';
import type { QueueRef } from './workflow';

export interface FulfillmentQueueArgs extends FunctionSettings {
  readonly store: OrderStore;
  /** Share of orders fulfilled (CONTRACT.md). @default FULFILLMENT_QUEUE_DEFAULTS.fulfillmentSuccessRate (0.7) */
  readonly fulfillmentSuccessRate?: number;
  /** Receives before a message moves to the DLQ. @default FULFILLMENT_QUEUE_DEFAULTS.maxReceiveCount (3) */
  readonly maxReceiveCount?: number;
  /** Messages per fulfillment invocation; over 10 needs a batching window. @default FULFILLMENT_QUEUE_DEFAULTS.batchSize (10) */
  readonly batchSize?: number;
  /** Seconds to gather a batch. @default FULFILLMENT_QUEUE_DEFAULTS.batchWindowSeconds (1) */
  readonly batchWindowSeconds?: number;
  /** Fulfillment function timeout; the visibility timeout is 6× this. @default FULFILLMENT_QUEUE_DEFAULTS.fulfillmentTimeoutSeconds (10) */
  readonly fulfillmentTimeoutSeconds?: number;
  /**
   * Most fulfillment invocations at once (the mapping's `maximumConcurrency`, 2-1000), so that a full queue
   * holds a bounded share of the account's concurrency, the rest left to the api-handler. @default FULFILLMENT_QUEUE_DEFAULTS.maxConcurrency (5)
   */
  readonly maxConcurrency?: number;
  /** Fault injection per function (test stacks only). */
  readonly faults?: { fulfillment?: object; dlqHandler?: object };
}

/**
 * Bounds on an SQS event source mapping's `ScalingConfig.MaximumConcurrency`: 2 to 1000
 * (https://docs.aws.amazon.com/lambda/latest/api/API_ScalingConfig.html). It bounds the consumer without
 * reserving concurrency: reserved concurrency is taken from the account's pool, and on a fresh account
 * (a concurrency quota as low as 10, of which 10 must stay unreserved) reserving any fails the deploy.
 */
export const MAPPING_MAX_CONCURRENCY = { min: 2, max: 1000 } as const;

/** The dlq-handler's bound: it writes one record per message, never a burst worth more. */
export const DLQ_HANDLER_MAX_CONCURRENCY = 2;

/** The defaults of {@link FulfillmentQueueArgs}; the stack config's defaults come from here. */
export const FULFILLMENT_QUEUE_DEFAULTS: Readonly<
  Required<
    Pick<
      FulfillmentQueueArgs,
      'fulfillmentSuccessRate' | 'maxReceiveCount' | 'batchSize' | 'batchWindowSeconds' | 'fulfillmentTimeoutSeconds' | 'maxConcurrency'
    >
  >
> = {
  fulfillmentSuccessRate: 0.7,
  maxReceiveCount: 3,
  batchSize: 10,
  batchWindowSeconds: 1,
  fulfillmentTimeoutSeconds: 10,
  maxConcurrency: 5,
};

/**
 * Problems with the batching arguments, each naming the arguments as `names` says (stack config keys, or
 * the component's own arg names). Lambda refuses a batch size over 10 on an SQS mapping without a batching
 * window of at least 1 s (CreateEventSourceMapping, BatchSize:
 * https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html).
 */
export const validateBatching = (
  args: { readonly batchSize: number; readonly batchWindowSeconds: number },
  names: ArgNames<'batchSize' | 'batchWindowSeconds'> = ownNames('batchSize', 'batchWindowSeconds'),
): string[] =>
  args.batchSize > 10 && args.batchWindowSeconds < 1
    ? [
        `${names.batchSize} = ${args.batchSize} needs ${names.batchWindowSeconds} of at least 1 (it is ${args.batchWindowSeconds}): ` +
          'Lambda takes more than 10 messages per batch from SQS only with a batching window',
      ]
    : [];

/**
 * A queue's visibility timeout for its consumer's timeout: "at least six times the configuration timeout
 * on your function. The extra time allows Lambda to retry if your function is throttled while processing
 * a previous batch" (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html). Lambda
 * itself refuses a mapping whose function timeout exceeds the visibility timeout (same page).
 */
export const visibilityTimeoutFor = (functionTimeoutSeconds: number): number => 6 * functionTimeoutSeconds;

/**
 * The visibility rule of one queue and its consumer, as a problem naming both (empty if none): checked on
 * every stack by the infra tests, from the declared resources.
 */
export const visibilityProblems = (
  queue: string,
  visibilityTimeoutSeconds: number,
  fn: string,
  functionTimeoutSeconds: number,
): string[] =>
  visibilityTimeoutSeconds >= visibilityTimeoutFor(functionTimeoutSeconds)
    ? []
    : [
        `queue ${queue}: visibility timeout ${visibilityTimeoutSeconds} s is below 6 × the timeout of its consumer ${fn} ` +
          `(${functionTimeoutSeconds} s): at least ${visibilityTimeoutFor(functionTimeoutSeconds)} s`,
      ];

/** The dlq-handler's timeout, seconds. */
export const DLQ_HANDLER_TIMEOUT_SECONDS = 10;

/**
 * The orders queue and its dead-letter queue, both SSE-encrypted and TLS-only; the fulfillment function
 * on the queue (partial batch failures) and the dlq-handler on the DLQ.
 */
export class FulfillmentQueue extends pulumi.ComponentResource {
  readonly queue: aws.sqs.Queue;
  readonly deadLetterQueue: aws.sqs.Queue;
  readonly fulfillment: InlineFunction<ReturnType<typeof fulfillmentFactory>>;
  readonly dlqHandler: InlineFunction<ReturnType<typeof dlqHandlerFactory>>;
  /** The dlq-handler's event source mapping: `npm run ops -- redrive` pauses it while it moves dead letters. */
  readonly dlqSource: aws.lambda.EventSourceMapping;

  constructor(name: string, args: FulfillmentQueueArgs, opts?: pulumi.ComponentResourceOptions) {
    super('dofs:index:FulfillmentQueue', name, {}, opts);
    const a = withDefaults(FULFILLMENT_QUEUE_DEFAULTS, args);
    const problems = validateBatching(a);
    if (problems.length > 0) throw new Error(`FulfillmentQueue '${name}': ${problems.join('; ')}`);

    this.deadLetterQueue = new aws.sqs.Queue(
      `${name}-dlq`,
      {
        sqsManagedSseEnabled: true,
        visibilityTimeoutSeconds: visibilityTimeoutFor(DLQ_HANDLER_TIMEOUT_SECONDS),
        messageRetentionSeconds: 14 * 24 * 3600,
      },
      { parent: this },
    );
    this.queue = new aws.sqs.Queue(
      `${name}-orders`,
      {
        sqsManagedSseEnabled: true,
        visibilityTimeoutSeconds: visibilityTimeoutFor(a.fulfillmentTimeoutSeconds),
        messageRetentionSeconds: 4 * 24 * 3600,
        redrivePolicy: pulumi.jsonStringify({ deadLetterTargetArn: this.deadLetterQueue.arn, maxReceiveCount: a.maxReceiveCount }),
      },
      { parent: this },
    );
    this.tlsOnly(`${name}-orders`, this.queue);
    this.tlsOnly(`${name}-dlq`, this.deadLetterQueue);
    // Only the orders queue may use the DLQ as its dead-letter queue (by default any queue of the account
    // may). A resource of its own: on the DLQ itself it would make the two queues refer to each other.
    new aws.sqs.RedriveAllowPolicy(
      `${name}-dlq-redrive-allow`,
      {
        queueUrl: this.deadLetterQueue.url,
        redriveAllowPolicy: pulumi.jsonStringify({ redrivePermission: 'byQueue', sourceQueueArns: [this.queue.arn] }),
      },
      { parent: this },
    );

    const tableEnv = { ORDERS_TABLE: args.store.orders.name, FAILED_ORDERS_TABLE: args.store.failedOrders.name };
    this.fulfillment = new InlineFunction(
      `${name}-fulfillment`,
      {
        ...args,
        factory: fulfillmentFactory,
        description: 'DOFS fulfillment: simulated warehouse, business outcome per order',
        statements: [...args.store.grantWrite('outcome'), ...this.grantConsume(this.queue)],
        environment: { ...tableEnv, FULFILLMENT_SUCCESS_RATE: String(a.fulfillmentSuccessRate) },
        timeout: a.fulfillmentTimeoutSeconds,
        memorySize: 256,
        faults: args.faults?.fulfillment,
      },
      { parent: this },
    );
    new aws.lambda.EventSourceMapping(
      `${name}-fulfillment-source`,
      {
        eventSourceArn: this.queue.arn,
        functionName: this.fulfillment.function.arn,
        batchSize: a.batchSize,
        maximumBatchingWindowInSeconds: a.batchWindowSeconds,
        functionResponseTypes: ['ReportBatchItemFailures'],
        scalingConfig: { maximumConcurrency: a.maxConcurrency },
      },
      { parent: this, dependsOn: [this.fulfillment] },
    );

    this.dlqHandler = new InlineFunction(
      `${name}-dlq-handler`,
      {
        ...args,
        factory: dlqHandlerFactory,
        description: 'DOFS dlq-handler: records orders whose fulfillment failed for good',
        statements: [...args.store.grantWrite('outcome'), ...this.grantConsume(this.deadLetterQueue)],
        environment: tableEnv,
        timeout: DLQ_HANDLER_TIMEOUT_SECONDS,
        memorySize: 256,
        faults: args.faults?.dlqHandler,
      },
      { parent: this },
    );
    this.dlqSource = new aws.lambda.EventSourceMapping(
      `${name}-dlq-source`,
      {
        eventSourceArn: this.deadLetterQueue.arn,
        functionName: this.dlqHandler.function.arn,
        batchSize: 10,
        functionResponseTypes: ['ReportBatchItemFailures'],
        scalingConfig: { maximumConcurrency: DLQ_HANDLER_MAX_CONCURRENCY },
      },
      { parent: this, dependsOn: [this.dlqHandler] },
    );
    this.registerOutputs({ queueUrl: this.queue.url, dlqUrl: this.deadLetterQueue.url });
  }

  /** Deny any access to the queue that is not over TLS. */
  private tlsOnly(name: string, queue: aws.sqs.Queue): aws.sqs.QueuePolicy {
    return new aws.sqs.QueuePolicy(
      `${name}-tls-only`,
      {
        queueUrl: queue.url,
        policy: pulumi.jsonStringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'DenyInsecureTransport',
              Effect: 'Deny',
              Principal: '*',
              Action: 'sqs:*',
              Resource: queue.arn,
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            },
          ],
        }),
      },
      { parent: this },
    );
  }

  /** What an event source mapping's function needs on its queue. */
  private grantConsume(queue: aws.sqs.Queue): Statement[] {
    return [{ Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], Resource: [queue.arn] }];
  }

  /** Send access for a producer. */
  grantSend(): Statement[] {
    return [{ Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [this.queue.arn] }];
  }

  /** The orders queue as the workflow builder sees it, typed by the message the fulfillment function decodes. */
  get queueRef(): QueueRef<FulfillmentMessage> {
    return { url: this.queue.url, arn: this.queue.arn };
  }
}
