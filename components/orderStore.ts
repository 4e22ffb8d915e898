import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { withDefaults } from './defaults';
import type { TableRef } from './workflow';
import type { Statement } from './policy';

export interface OrderStoreArgs {
  /** DynamoDB point-in-time recovery on both tables. @default ORDER_STORE_DEFAULTS.pointInTimeRecovery (false) */
  readonly pointInTimeRecovery?: boolean;
  /** DynamoDB deletion protection on both tables, and Pulumi `protect`. @default ORDER_STORE_DEFAULTS.deletionProtection (false) */
  readonly deletionProtection?: boolean;
}

/** The defaults of {@link OrderStoreArgs}; the stack config's defaults come from here. */
export const ORDER_STORE_DEFAULTS: Readonly<Required<OrderStoreArgs>> = { pointInTimeRecovery: false, deletionProtection: false };

/**
 * The orders table and the failed-orders table: on-demand, encrypted at rest with a KMS key, keyed by
 * `orderId`. Access is granted through `grantRead`/`grantWrite`, which return exact statements.
 */
export class OrderStore extends pulumi.ComponentResource {
  readonly orders: aws.dynamodb.Table;
  readonly failedOrders: aws.dynamodb.Table;

  constructor(name: string, args: OrderStoreArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super('dofs:index:OrderStore', name, {}, opts);
    const { pointInTimeRecovery, deletionProtection } = withDefaults(ORDER_STORE_DEFAULTS, args);
    this.orders = this.createTable(`${name}-orders`, pointInTimeRecovery, deletionProtection);
    this.failedOrders = this.createTable(`${name}-failed-orders`, pointInTimeRecovery, deletionProtection);
    this.registerOutputs({ ordersTableName: this.orders.name, failedOrdersTableName: this.failedOrders.name });
  }

  private createTable(name: string, pointInTimeRecovery: boolean, protect: boolean): aws.dynamodb.Table {
    return new aws.dynamodb.Table(
      name,
      {
        billingMode: 'PAY_PER_REQUEST',
        hashKey: 'orderId',
        attributes: [{ name: 'orderId', type: 'S' }],
        serverSideEncryption: { enabled: true },
        pointInTimeRecovery: { enabled: pointInTimeRecovery },
        deletionProtectionEnabled: protect,
      },
      { parent: this, protect },
    );
  }

  /** The tables as the workflow builder sees them. */
  get ordersRef(): TableRef {
    return { name: this.orders.name, arn: this.orders.arn };
  }
  get failedOrdersRef(): TableRef {
    return { name: this.failedOrders.name, arn: this.failedOrders.arn };
  }

  /** Read one order by key. */
  grantRead(): Statement[] {
    return [{ Effect: 'Allow', Action: ['dynamodb:GetItem'], Resource: [this.orders.arn] }];
  }

  /** Scan the orders table: the reconciler's search for orders stuck ACCEPTED or PENDING. */
  grantScan(): Statement[] {
    return [{ Effect: 'Allow', Action: ['dynamodb:Scan'], Resource: [this.orders.arn] }];
  }

  /**
   * Write access by role: `api` creates and retracts ACCEPTED orders; `workflow` moves them to PENDING;
   * `outcome` finishes them, reads the status of one it could not change, and records failures.
   */
  grantWrite(role: 'api' | 'workflow' | 'outcome'): Statement[] {
    switch (role) {
      case 'api':
        return [
          { Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], Resource: [this.orders.arn] },
        ];
      case 'workflow':
        return [{ Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem'], Resource: [this.orders.arn] }];
      case 'outcome':
        // GetItem: an update that changed nothing tells a finished order from an unknown one (runtime/orders.ts statusOf).
        return [
          { Effect: 'Allow', Action: ['dynamodb:UpdateItem', 'dynamodb:GetItem'], Resource: [this.orders.arn] },
          { Effect: 'Allow', Action: ['dynamodb:PutItem'], Resource: [this.failedOrders.arn] },
        ];
    }
  }
}
