import { createHash } from 'crypto';
import type { OrderStatus } from './codecs';
import type { OrderRecord } from './orders';

/**
 * The in-flight index of the orders table: a sparse global secondary index that holds the orders ACCEPTED or
 * PENDING and nothing else, so that the reconciler's search costs what is in flight, not the table's history.
 *
 * - Sparse: DynamoDB writes an item into a GSI only when the item has the index's key attributes
 *   (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-indexes-general-sparse-indexes.html).
 *   Every write that makes an order ACCEPTED or PENDING sets {@link IN_FLIGHT_KEY}; every write that makes it
 *   terminal (REJECTED, FULFILLED, FAILED: runtime/orders.ts and the workflow's own DynamoDB tasks) removes it,
 *   except where a FAILED order's failed-orders record is written after it and nothing else would retry that write
 *   (the workflow's failure route, the reconciler giving up): there the key goes once the record is written, and a
 *   FAILED order left in the index is the reconciler's to complete.
 * - Sharded: every in-flight write (create, PENDING, each claim: a change of the sort key is a delete and a put,
 *   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations.Writes)
 *   is also a write to the index, and "each individual partition is limited to 1,000 write units per second"
 *   (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/warm-throughput-scenarios.html); an index
 *   that cannot keep up throttles the table's writes (GSI back-pressure,
 *   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/gsi-throttling.html). One key value for
 *   every order would cap the whole system near 250 orders a second (about 4 index writes an order), below the
 *   API's configurable rate (up to 10,000); {@link IN_FLIGHT_SHARDS} values, by a hash of the order id, raise that
 *   sixteen-fold (write sharding, https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-sharding.html).
 *   The reader pays one small Query per shard per run.
 * - Sorted by `updatedAt`, so each shard answers `updatedAt < :olderThan` oldest first, page by page.
 * - INCLUDE projection of what the reconciler reads ({@link IN_FLIGHT_PROJECTION}), not ALL: index items stay
 *   small, and a write that changes only an attribute the index does not hold (`workflowStarted`, the request
 *   hash) is no index write at all. The price: the projection cannot change in place; a reconciler that needs
 *   another attribute needs a new index.
 * - Eventually consistent (a GSI supports no strongly consistent read): an entry may be stale, so the reconciler
 *   claims each order with a conditional write on the table before it acts.
 */

/** The index's name: its ARN is `<table arn>/index/in-flight`, the resource of the reconciler's `dynamodb:Query`. */
export const IN_FLIGHT_INDEX = 'in-flight';

/** The index's partition key attribute: `IN_FLIGHT#<shard>` while the order is ACCEPTED or PENDING, absent otherwise. */
export const IN_FLIGHT_KEY = 'inFlight';

/** The index's sort key attribute. */
export const IN_FLIGHT_SORT_KEY = 'updatedAt';

/** How many values {@link IN_FLIGHT_KEY} takes. Changing it leaves orders under the old values unread: never lower it while orders are in flight. */
export const IN_FLIGHT_SHARDS = 16;

/** The attributes the index holds besides its keys and the table's key (`orderId`): what the reconciler reads. */
export const IN_FLIGHT_PROJECTION = [
  'status',
  'customerId',
  'items',
  'createdAt',
  'redriveAttempts',
] as const satisfies readonly (keyof OrderRecord)[];

/** The statuses an order enters the index with (a FAILED one may stay until its record is written, above). */
export const IN_FLIGHT_STATUSES: readonly OrderStatus[] = ['ACCEPTED', 'PENDING'];

/** The key value of shard `n`. */
export const inFlightShard = (n: number): string => `IN_FLIGHT#${n}`;

/** Every key value, the reconciler's queries. */
export const IN_FLIGHT_SHARD_KEYS: readonly string[] = Array.from({ length: IN_FLIGHT_SHARDS }, (_, n) => inFlightShard(n));

/** The key value of an order: a stable hash of its id, so that every write of the order names the same shard. */
export const inFlightKeyOf = (orderId: string): string =>
  inFlightShard(createHash('sha256').update(orderId).digest().readUInt32BE(0) % IN_FLIGHT_SHARDS);

/**
 * The index as the orders table declares it (components/orderStore.ts), in the provider's terms: the local
 * cloud and the tests' DynamoDB create the same one from it.
 */
export const IN_FLIGHT_GSI = {
  name: IN_FLIGHT_INDEX,
  keySchemas: [
    { attributeName: IN_FLIGHT_KEY, keyType: 'HASH' },
    { attributeName: IN_FLIGHT_SORT_KEY, keyType: 'RANGE' },
  ],
  projectionType: 'INCLUDE',
  nonKeyAttributes: IN_FLIGHT_PROJECTION,
} as const;
