import type { Server } from 'http';
import type { AddressInfo } from 'net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (opts: { createTableMs: number }) => Server;

/** An in-memory DynamoDB (dynalite) on a free loopback port, with the two DOFS tables. */
export const startDynamo = async (ordersTable = 'orders', failedOrdersTable = 'failed-orders') => {
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  for (const TableName of [ordersTable, failedOrdersTable]) {
    await client.send(
      new CreateTableCommand({
        TableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'orderId', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'orderId', KeyType: 'HASH' }],
      }),
    );
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
