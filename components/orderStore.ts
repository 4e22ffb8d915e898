import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { IN_FLIGHT_GSI, IN_FLIGHT_INDEX } from '../runtime/inFlightIndex';
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

/** A global secondary index, in the provider's terms. */
export interface IndexKeys {
  readonly name: string;
  readonly keySchemas: readonly { readonly attributeName: string; readonly keyType: 'HASH' | 'RANGE' }[];
  readonly projectionType: 'ALL' | 'INCLUDE' | 'KEYS_ONLY';
  readonly nonKeyAttributes?: readonly string[];
}

/** A table's keys: its own, and those of its global secondary indexes (each attribute a string). */
export interface TableKeys {
  readonly hashKey: string;
  readonly globalSecondaryIndexes: readonly IndexKeys[];
}

/** The orders table's keys: `orderId`, and the sparse in-flight index the reconciler queries (runtime/inFlightIndex.ts). */
export const ORDERS_KEYS: TableKeys = { hashKey: 'orderId', globalSecondaryIndexes: [IN_FLIGHT_GSI] };
/** The failed-orders table's keys: `orderId` (or a message's key) only. */
export const FAILED_ORDERS_KEYS: TableKeys = { hashKey: 'orderId', globalSecondaryIndexes: [] };

/**
 * The table arguments `keys` makes: the hash key, an attribute definition for every key attribute of the table and
 * its indexes (once each), and the indexes. The local cloud and the tests' DynamoDB make their tables from these.
 */
export const tableKeyArgs = (keys: TableKeys) => ({
  hashKey: keys.hashKey,
  attributes: [...new Set([keys.hashKey, ...keys.globalSecondaryIndexes.flatMap((i) => i.keySchemas.map((k) => k.attributeName))])].map(
    (name) => ({ name, type: 'S' }),
  ),
  // On-demand: an index takes the table's billing mode, no capacity of its own.
  ...(keys.globalSecondaryIndexes.length > 0
    ? {
        globalSecondaryIndexes: keys.globalSecondaryIndexes.map((i) => ({
          ...i,
          keySchemas: [...i.keySchemas],
          nonKeyAttributes: i.nonKeyAttributes && [...i.nonKeyAttributes],
        })),
      }
    : {}),
});

/**
 * The orders table and the failed-orders table: on-demand, encrypted at rest with a KMS key, keyed by
 * `orderId`; the orders table has the in-flight index. Access is granted through `grantRead`/`grantWrite`/
 * `grantQueryInFlight`, which return exact statements.
 */
export class OrderStore extends pulumi.ComponentResource {
  readonly orders: aws.dynamodb.Table;
  readonly failedOrders: aws.dynamodb.Table;

  constructor(name: string, args: OrderStoreArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super('dofs:index:OrderStore', name, {}, opts);
    const { pointInTimeRecovery, deletionProtection } = withDefaults(ORDER_STORE_DEFAULTS, args);
    this.orders = this.createTable(`${name}-orders`, ORDERS_KEYS, pointInTimeRecovery, deletionProtection);
    this.failedOrders = this.createTable(`${name}-failed-orders`, FAILED_ORDERS_KEYS, pointInTimeRecovery, deletionProtection);
    this.registerOutputs({ ordersTableName: this.orders.name, failedOrdersTableName: this.failedOrders.name });
  }

  private createTable(name: string, keys: TableKeys, pointInTimeRecovery: boolean, protect: boolean): aws.dynamodb.Table {
    return new aws.dynamodb.Table(
      name,
      {
        billingMode: 'PAY_PER_REQUEST',
        ...tableKeyArgs(keys),
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

  /**
   * Query the in-flight index: the reconciler's search for orders stuck ACCEPTED or PENDING. A Query of an index is
   * authorized on the index's ARN, `<table arn>/index/<name>`, not the table's
   * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html, Query: table or index;
   * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html).
   */
  grantQueryInFlight(): Statement[] {
    return [{ Effect: 'Allow', Action: ['dynamodb:Query'], Resource: [pulumi.interpolate`${this.orders.arn}/index/${IN_FLIGHT_INDEX}`] }];
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
