import type { Server } from 'http';
import type { AddressInfo } from 'net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { FAILED_ORDERS_KEYS, ORDERS_KEYS, tableKeyArgs } from '../../components/orderStore';
import { createTableInput } from '../../local/tables';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (opts: { createTableMs: number }) => Server;

/** An in-memory DynamoDB (dynalite) on a free loopback port, with the two DOFS tables as the program declares them (indexes included). */
export const startDynamo = async (ordersTable = 'orders', failedOrdersTable = 'failed-orders') => {
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  for (const [name, keys] of [
    [ordersTable, ORDERS_KEYS],
    [failedOrdersTable, FAILED_ORDERS_KEYS],
  ] as const) {
    await client.send(new CreateTableCommand(createTableInput(name, tableKeyArgs(keys))));
  }
  const db = DynamoDBDocumentClient.from(client);
  return {
    endpoint,
    db,
    ordersTable,
    failedOrdersTable,
    stop: async () => {
      client.destroy();
      await new Promise((r) => server.close(r));
    },
  };
};
export type Dynamo = Awaited<ReturnType<typeof startDynamo>>;
