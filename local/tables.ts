/**
 * The local cloud's DynamoDB tables: each declared table made in dynalite as `pulumi up` makes it on AWS, keys,
 * attribute definitions and global secondary indexes, on-demand. A table kept from an earlier `--persist` run
 * gets the indexes declared since, as UpdateTable's GlobalSecondaryIndexUpdates gives them on AWS: the index
 * backfilled from the items already there (those with its key attributes). And its indexes are made to agree with
 * its items again where a crash left them apart, which AWS never does: dynalite writes a write's index entries
 * before its item, one LevelDB write each (dynalite actions/updateItem.js, putItem.js: `updateIndexes`, then
 * `itemDb.put`), so a `kill -9` between them leaves an index entry of a write that never happened, or none for
 * the item. On AWS a GSI reflects the committed item, late at worst
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.Writes).
 */
import {
  type AttributeValue,
  BatchWriteItemCommand,
  CreateTableCommand,
  type CreateTableCommandInput,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type GlobalSecondaryIndexDescription,
  type KeySchemaElement,
  ScanCommand,
  waitUntilTableExists,
  waitUntilTableNotExists,
} from '@aws-sdk/client-dynamodb';
import type { RecordedOf } from './mockProgram';

/** The table inputs read here (a declared table's, or a test's). */
export type TableInputs = Pick<
  RecordedOf<'aws:dynamodb/table:Table'>['inputs'],
  'hashKey' | 'rangeKey' | 'attributes' | 'globalSecondaryIndexes'
>;

type DeclaredIndex = NonNullable<TableInputs['globalSecondaryIndexes']>[number];

const keySchema = (hash: string | undefined, range: string | undefined): KeySchemaElement[] => [
  ...(hash ? [{ AttributeName: hash, KeyType: 'HASH' as const }] : []),
  ...(range ? [{ AttributeName: range, KeyType: 'RANGE' as const }] : []),
];

/** An index's key schema: `keySchemas`, or the deprecated `hashKey`/`rangeKey`. */
const indexKeySchema = (i: DeclaredIndex): KeySchemaElement[] =>
  i.keySchemas && i.keySchemas.length > 0
    ? i.keySchemas.map((k) => ({ AttributeName: k.attributeName, KeyType: k.keyType as 'HASH' | 'RANGE' }))
    : keySchema(i.hashKey, i.rangeKey);

/** CreateTable's request for a declared table: on-demand, so its indexes take no capacity of their own. */
export const createTableInput = (name: string, inputs: TableInputs): CreateTableCommandInput => {
  const indexes: GlobalSecondaryIndex[] = (inputs.globalSecondaryIndexes ?? []).map((i) => ({
    IndexName: i.name,
    KeySchema: indexKeySchema(i),
    Projection: {
      ProjectionType: i.projectionType as 'ALL' | 'INCLUDE' | 'KEYS_ONLY',
      ...(i.nonKeyAttributes && i.nonKeyAttributes.length > 0 ? { NonKeyAttributes: [...i.nonKeyAttributes] } : {}),
    },
  }));
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: (inputs.attributes ?? []).map((a) => ({ AttributeName: a.name, AttributeType: a.type as 'S' | 'N' | 'B' })),
    KeySchema: keySchema(inputs.hashKey, inputs.rangeKey),
    ...(indexes.length > 0 ? { GlobalSecondaryIndexes: indexes } : {}),
  };
};

/** The declared indexes a table lacks, or has with other keys or another projection. */
export const missingIndexes = (wanted: CreateTableCommandInput, has: readonly GlobalSecondaryIndexDescription[]): string[] => {
  const shape = (i: Pick<GlobalSecondaryIndexDescription, 'KeySchema' | 'Projection'>) =>
    JSON.stringify({
      keys: i.KeySchema?.map((k) => [k.AttributeName, k.KeyType]),
      projection: i.Projection?.ProjectionType,
      attributes: [...(i.Projection?.NonKeyAttributes ?? [])].sort(),
    });
  return (wanted.GlobalSecondaryIndexes ?? [])
    .filter((w) => {
      const h = has.find((x) => x.IndexName === w.IndexName);
      return !h || shape(h) !== shape(w);
    })
    .map((w) => w.IndexName!);
};

type Item = Record<string, AttributeValue>;

/** JSON with sorted keys: the same item gives the same text whatever order dynalite keeps its attributes in. */
const canonical = (v: unknown): string =>
  Array.isArray(v)
    ? `[${v.map(canonical).join(',')}]`
    : v !== null && typeof v === 'object'
      ? `{${Object.keys(v)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
          .join(',')}}`
      : JSON.stringify(v);

/** What `index` holds of `item` (its projection), or undefined when the item lacks one of the index's keys (sparse). */
export const projectionOf = (item: Item, index: GlobalSecondaryIndexDescription, tableKeys: readonly string[]): Item | undefined => {
  const keys = (index.KeySchema ?? []).map((k) => k.AttributeName!);
  if (!keys.every((k) => item[k] !== undefined)) return undefined;
  if (index.Projection?.ProjectionType === 'ALL') return item;
  const held = [
    ...tableKeys,
    ...keys,
    ...(index.Projection?.ProjectionType === 'INCLUDE' ? (index.Projection.NonKeyAttributes ?? []) : []),
  ];
  return Object.fromEntries(held.filter((a) => item[a] !== undefined).map((a) => [a, item[a]]));
};

/**
 * How many entries of `index` disagree with the table's items: an entry for no item or for another version of
 * it, or an item the index should hold and does not.
 */
export const indexDrift = (
  items: readonly Item[],
  entries: readonly Item[],
  index: GlobalSecondaryIndexDescription,
  tableKeys: readonly string[],
): number => {
  const keyOf = (i: Item) => canonical(tableKeys.map((k) => i[k]));
  const expected = new Map<string, string>();
  for (const item of items) {
    const projected = projectionOf(item, index, tableKeys);
    if (projected) expected.set(keyOf(item), canonical(projected));
  }
  let drift = 0;
  for (const entry of entries) {
    if (expected.get(keyOf(entry)) === canonical(entry)) expected.delete(keyOf(entry));
    else drift++;
  }
  return drift + expected.size;
};

const scanAll = async (ddb: DynamoDBClient, table: string, index?: string): Promise<Item[]> => {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const page = await ddb.send(new ScanCommand({ TableName: table, IndexName: index, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
};

const putAll = async (ddb: DynamoDBClient, table: string, items: readonly Record<string, AttributeValue>[]) => {
  for (let i = 0; i < items.length; i += 25) {
    let requests: Record<string, { PutRequest: { Item: Record<string, AttributeValue> } }[]> | undefined = {
      [table]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })),
    };
    while (requests && Object.keys(requests).length > 0) {
      const out = await ddb.send(new BatchWriteItemCommand({ RequestItems: requests }));
      requests = out.UnprocessedItems as typeof requests;
    }
  }
};

/**
 * Makes every declared table; a table that exists already (kept by `--persist`) is given the indexes it lacks, and
 * indexes that agree with its items, its items kept. Returns what it did to each kept table, for the start-up report.
 */
export const ensureTables = async (
  ddb: DynamoDBClient,
  tables: readonly { readonly name: string; readonly inputs: TableInputs }[],
): Promise<string[]> => {
  const notes: string[] = [];
  for (const t of tables) {
    const wanted = createTableInput(t.name, t.inputs);
    try {
      await ddb.send(new CreateTableCommand(wanted));
      continue;
    } catch (e) {
      if ((e as Error).name !== 'ResourceInUseException') throw e; // kept from a --persist run
    }
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: t.name }));
    const kept = Table?.GlobalSecondaryIndexes ?? [];
    const missing = missingIndexes(wanted, kept);
    const items = await scanAll(ddb, t.name);
    const tableKeys = (Table?.KeySchema ?? []).map((k) => k.AttributeName!);
    const drifted: string[] = [];
    for (const index of kept.filter((i) => !missing.includes(i.IndexName!))) {
      const drift = indexDrift(items, await scanAll(ddb, t.name, index.IndexName), index, tableKeys);
      if (drift > 0) drifted.push(`${index.IndexName} (${drift} entries)`);
    }
    if (missing.length === 0 && drifted.length === 0) continue;
    // dynalite's UpdateTable accepts GlobalSecondaryIndexUpdates and ignores them (dynalite actions/updateTable.js
    // changes throughput only), and no request removes a stray index entry; so the table is made again with its
    // indexes and its items put back: dynalite indexes each item as it is put, which is the backfill AWS does for
    // a new index. (`wanted` is valid: dynalite validates a request before it looks for the table, so the
    // CreateTable above would have failed otherwise.) A table is DELETING, then CREATING, for a while.
    await ddb.send(new DeleteTableCommand({ TableName: t.name }));
    try {
      await waitUntilTableNotExists({ client: ddb, maxWaitTime: 60, minDelay: 1 }, { TableName: t.name });
      await ddb.send(new CreateTableCommand(wanted));
      await waitUntilTableExists({ client: ddb, maxWaitTime: 60, minDelay: 1 }, { TableName: t.name });
      await putAll(ddb, t.name, items);
    } catch (e) {
      throw new Error(
        `table ${t.name}, kept from an earlier --persist run, could not be given its indexes ${[...missing, ...drifted].join(', ')} ` +
          `(${(e as Error).message}); its ${items.length} items are lost: delete its data directory and start again`,
        { cause: e },
      );
    }
    notes.push(
      `${t.name}: ${[
        ...(missing.length > 0 ? [`index ${missing.join(', ')} added to the kept table`] : []),
        ...(drifted.length > 0 ? [`index ${drifted.join(', ')} out of step with its items after a crash, made again`] : []),
      ].join('; ')} (${items.length} items indexed again)`,
    );
  }
  return notes;
};
