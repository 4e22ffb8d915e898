/**
 * The local cloud's CloudWatch Logs (local/logs.ts): what a function keeps, and FilterLogEvents over it as the
 * API reference and the filter pattern syntax describe it, through the AWS SDK's own client.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CloudWatchLogsClient, FilterLogEventsCommand, type FilterLogEventsCommandInput } from '@aws-sdk/client-cloudwatch-logs';
import { LogWriter, logFileOf, matcherFor, startLocalLogs } from '../../local/logs';

let dir: string;
let logs: Awaited<ReturnType<typeof startLocalLogs>>;
let client: CloudWatchLogsClient;
const GROUP = '/aws/lambda/dofs-fulfillment';

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dofs-logs-'));
  const writer = new LogWriter(logFileOf(dir, GROUP), '2026/12/04/[$LATEST]abc');
  for (let i = 0; i < 25; i++) {
    writer.write(
      JSON.stringify({
        level: i % 5 === 0 ? 'ERROR' : 'INFO',
        orderId: i % 2 === 0 ? 'order-even' : 'order-odd',
        n: i,
        message: `line ${i}`,
      }),
      1_000 + i,
    );
  }
  writer.write('2026-12-04T08:00:00.000Z 1234 Task timed out after 3.00 seconds', 2_000);
  await writer.close();
  logs = await startLocalLogs(dir, new Set([GROUP, '/dofs/empty']));
  client = new CloudWatchLogsClient({
    endpoint: logs.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  client.destroy();
  await logs.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const filter = (input: FilterLogEventsCommandInput) => client.send(new FilterLogEventsCommand({ logGroupName: GROUP, ...input }));

it('finds the events that contain a quoted term, oldest first', async () => {
  const r = await filter({ filterPattern: '"order-even"' });
  expect(r.events?.map((e) => (JSON.parse(e.message!) as { n: number }).n)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24]);
  expect(r.events?.[0]).toMatchObject({ logStreamName: '2026/12/04/[$LATEST]abc', timestamp: 1000 });
  expect(r.nextToken).toBeUndefined();
});

it('pages with limit and nextToken, and bounds by time', async () => {
  const first = await filter({ limit: 10 });
  expect(first.events).toHaveLength(10);
  const second = await filter({ limit: 10, nextToken: first.nextToken });
  const third = await filter({ limit: 10, nextToken: second.nextToken });
  expect([...first.events!, ...second.events!, ...third.events!]).toHaveLength(26);
  expect(third.nextToken).toBeUndefined();
  const window = await filter({ startTime: 1_010, endTime: 1_012 });
  expect(window.events?.map((e) => e.timestamp)).toEqual([1010, 1011, 1012]);
});

it('matches terms (all, any, none) and one JSON comparison as AWS does', () => {
  expect(matcherFor('')('anything')).toBe(true);
  expect(matcherFor('ERROR timed')('ERROR: task timed out')).toBe(true);
  expect(matcherFor('ERROR timed')('ERROR: all good')).toBe(false);
  expect(matcherFor('?ERROR ?WARN')('a WARN line')).toBe(true);
  expect(matcherFor('?ERROR ?WARN')('an INFO line')).toBe(false);
  expect(matcherFor('ERROR -timed')('ERROR: task timed out')).toBe(false);
  expect(matcherFor('{ $.orderId = "order-odd" }')('{"orderId":"order-odd"}')).toBe(true);
  expect(matcherFor('{ $.orderId = "order-odd" }')('{"orderId":"order-even"}')).toBe(false);
  expect(matcherFor('{ $.error.code != "X" }')('{"error":{"code":"Y"}}')).toBe(true);
  expect(matcherFor('{ $.n = 3 }')('{"n":3}')).toBe(true);
  expect(matcherFor('{ $.n = 3 }')('not json, n = 3')).toBe(false);
});

it('refuses what it does not emulate, and what AWS refuses, with AWS error names', async () => {
  await expect(filter({ filterPattern: '%ERR.R%' })).rejects.toMatchObject({ name: 'InvalidParameterException' });
  await expect(filter({ filterPattern: '{ ($.a = 1) && ($.b = 2) }' })).rejects.toMatchObject({ name: 'InvalidParameterException' });
  await expect(filter({ logGroupName: '/no/such/group' })).rejects.toMatchObject({
    name: 'ResourceNotFoundException',
    message: 'The specified log group does not exist.',
  });
  await expect(filter({ logGroupIdentifier: GROUP })).rejects.toMatchObject({ name: 'InvalidParameterException' });
  await expect(filter({ limit: 10_001 })).rejects.toMatchObject({ name: 'InvalidParameterException' });
  expect((await filter({ logGroupName: '/dofs/empty' })).events).toEqual([]);
});
