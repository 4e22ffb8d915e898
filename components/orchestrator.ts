import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from '../config';
import { type StoreOrderHandler, storeOrderFactory } from '../runtime/storeOrder';
import { type ValidateOrderHandler, validatorFactory } from '../runtime/validateOrder';
import type { FulfillmentQueue } from './fulfillmentQueue';
import { type FunctionSettings, InlineFunction } from './lambdaFunction';
import type { OrderStore } from './orderStore';
import { withDefaults } from './defaults';
import { ROLE_PATH, type Statement, assumeRolePolicy, policyDocument } from './policy';
import { orderWorkflow } from './workflow';

/** The workflow's settings when the stack config does not set them. */
/** The workflow functions' timeouts, seconds; each task times out just after its function (the builder derives it). */
export const FUNCTION_TIMEOUTS = { validator: 5, storeOrder: 10 } as const;

export const ORCHESTRATOR_DEFAULTS: Required<Pick<OrchestratorArgs, 'workflowType' | 'workflowLogLevel'>> = {
  workflowType: 'STANDARD',
  workflowLogLevel: 'ERROR',
};

export interface OrchestratorArgs extends FunctionSettings {
  readonly store: OrderStore;
  readonly queue: FulfillmentQueue;
  /** @default 'STANDARD' */
  readonly workflowType?: StackConfig['workflowType'];
  /** Execution log level. @default 'ERROR' */
  readonly workflowLogLevel?: StackConfig['workflowLogLevel'];
  readonly faults?: { validator?: object; storeOrder?: object };
}

/**
 * The order workflow: the validator and store-order functions and the state machine rendered by the
 * typed builder, whose role holds exactly the builder's IAM statements.
 */
export class Orchestrator extends pulumi.ComponentResource {
  readonly validator: InlineFunction<ValidateOrderHandler>;
  readonly storeOrder: InlineFunction<StoreOrderHandler>;
  readonly stateMachine: aws.sfn.StateMachine;
  readonly role: aws.iam.Role;
  readonly logGroup: aws.cloudwatch.LogGroup;
  /** The rendered ASL, as deployed (for the local cloud and tests). */
  readonly definition: pulumi.Output<string>;

  constructor(name: string, given: OrchestratorArgs, opts?: pulumi.ComponentResourceOptions) {
    super('dofs:index:Orchestrator', name, {}, opts);
    const args = withDefaults(ORCHESTRATOR_DEFAULTS, given);
    const tableEnv = { ORDERS_TABLE: args.store.orders.name, FAILED_ORDERS_TABLE: args.store.failedOrders.name };
    this.validator = new InlineFunction(
      `${name}-validator`,
      {
        ...args,
        factory: validatorFactory,
        description: 'DOFS validator: the ValidateOrder task, tier-2 business rules',
        statements: [],
        environment: {},
        timeout: FUNCTION_TIMEOUTS.validator,
        memorySize: 256,
        faults: args.faults?.validator,
      },
      { parent: this },
    );
    this.storeOrder = new InlineFunction(
      `${name}-store-order`,
      {
        ...args,
        factory: storeOrderFactory,
        description: 'DOFS store-order: the StoreOrder task, ACCEPTED to PENDING, idempotent',
        statements: [...args.store.grantRead(), ...args.store.grantWrite('workflow')],
        environment: tableEnv,
        timeout: FUNCTION_TIMEOUTS.storeOrder,
        memorySize: 256,
        faults: args.faults?.storeOrder,
      },
      { parent: this },
    );

    const workflow = orderWorkflow({
      validator: this.validator.ref,
      storeOrder: this.storeOrder.ref,
      queue: args.queue.queueRef,
      ordersTable: args.store.ordersRef,
      failedOrdersTable: args.store.failedOrdersRef,
    });
    const logging = args.workflowLogLevel !== 'OFF';
    const rendered = workflow.render({ logging, tracing: args.tracing });
    this.definition = pulumi.jsonStringify(pulumi.output(rendered.definition));

    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}-workflow-logs`,
      // Step Functions vended logs must go to a group under /aws/vendedlogs/ to avoid the resource-policy size limit.
      { namePrefix: `/aws/vendedlogs/states/${name}-`, retentionInDays: args.logRetentionDays },
      { parent: this },
    );
    this.role = new aws.iam.Role(
      `${name}-workflow-role`,
      { path: ROLE_PATH, assumeRolePolicy: assumeRolePolicy('states.amazonaws.com') },
      { parent: this },
    );
    const policy = new aws.iam.RolePolicy(
      `${name}-workflow-policy`,
      { role: this.role.id, policy: policyDocument(rendered.policyStatements) },
      { parent: this },
    );
    this.stateMachine = new aws.sfn.StateMachine(
      `${name}-workflow`,
      {
        type: args.workflowType,
        roleArn: this.role.arn,
        definition: this.definition,
        loggingConfiguration: {
          level: args.workflowLogLevel,
          includeExecutionData: args.workflowLogLevel === 'ALL',
          logDestination: pulumi.interpolate`${this.logGroup.arn}:*`,
        },
        tracingConfiguration: { enabled: args.tracing },
      },
      { parent: this, dependsOn: [policy] },
    );
    this.registerOutputs({ stateMachineArn: this.stateMachine.arn });
  }

  /**
   * StartExecution on the state machine: all a caller needs (an order's status lives in the orders table,
   * never in Step Functions' execution records, which EXPRESS does not keep; CONTRACT.md).
   */
  grantStart(): Statement[] {
    return [{ Effect: 'Allow', Action: ['states:StartExecution'], Resource: [this.stateMachine.arn] }];
  }
}
