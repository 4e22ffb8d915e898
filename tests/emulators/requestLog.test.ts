/**
 * The IAM gates' test-only request log (`DOFS_REQUEST_LOG`, local/iamGate.ts), which tests/local/perOrderCounts.test.ts
 * counts an order's requests with: one line per request, with the order it names in each service's own shape.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Gate, type GatedRequest, type RequestLogLine, assumeRole } from '../../local/iamGate';

const json = (target: string, body: object): GatedRequest => ({
  headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': target },
  url: '/',
  body: Buffer.from(JSON.stringify(body)),
});

describe('the request log of the IAM gates', () => {
  let dir: string;
  let file: string;
  const saved = process.env.DOFS_REQUEST_LOG;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dofs-request-log-'));
    file = path.join(dir, 'requests.jsonl');
    process.env.DOFS_REQUEST_LOG = file;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.DOFS_REQUEST_LOG;
    else process.env.DOFS_REQUEST_LOG = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const lines = () =>
    fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => {
        const { time, ...rest } = JSON.parse(l) as RequestLogLine;
        return { ...rest, timed: Number.isInteger(time) };
      });

  it('names the order of a DynamoDB Key or Item, with the table and the read consistency', async () => {
    // Given the DynamoDB gate, before any declared role exists (every caller is the owner)
    const gate = new Gate('dynamodb');
    // When an UpdateItem, a consistent GetItem, a PutItem and a Query pass it
    await gate.check(json('DynamoDB_20120810.UpdateItem', { TableName: 'dofs-orders', Key: { orderId: { S: 'o-1' } } }));
    await gate.check(json('DynamoDB_20120810.GetItem', { TableName: 'dofs-orders', Key: { orderId: { S: 'o-1' } }, ConsistentRead: true }));
    await gate.check(json('DynamoDB_20120810.PutItem', { TableName: 'dofs-failed-orders', Item: { orderId: { S: 'o-2' } } }));
    await gate.check(json('DynamoDB_20120810.Query', { TableName: 'dofs-orders', IndexName: 'inFlight' }));
    // Then each is one line, with the order where the request names one
    expect(lines()).toEqual([
      { service: 'dynamodb', operation: 'UpdateItem', principal: 'owner', resource: 'dofs-orders', orderId: 'o-1', timed: true },
      {
        service: 'dynamodb',
        operation: 'GetItem',
        principal: 'owner',
        resource: 'dofs-orders',
        orderId: 'o-1',
        consistentRead: true,
        timed: true,
      },
      { service: 'dynamodb', operation: 'PutItem', principal: 'owner', resource: 'dofs-failed-orders', orderId: 'o-2', timed: true },
      { service: 'dynamodb', operation: 'Query', principal: 'owner', resource: 'dofs-orders', timed: true },
    ]);
  });

  it("names the order of an SQS MessageBody over both protocols, and a StartExecution's", async () => {
    const sqs = new Gate('sqs');
    const url = 'http://127.0.0.1:1/000000000000/dofs-orders';
    await sqs.check(json('AmazonSQS.SendMessage', { QueueUrl: url, MessageBody: JSON.stringify({ orderId: 'o-3' }) }));
    await sqs.check({
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      url: '/',
      body: Buffer.from(new URLSearchParams({ Action: 'SendMessage', QueueUrl: url, MessageBody: '{"orderId":"o-4"}' }).toString()),
    });
    await sqs.check(json('AmazonSQS.DeleteMessageBatch', { QueueUrl: url, Entries: [] }));
    const states = new Gate('states');
    await states.check(json('AWSStepFunctions.StartExecution', { stateMachineArn: 'arn:sm', name: 'o-5', input: '{"orderId":"o-5"}' }));
    expect(lines()).toEqual([
      { service: 'sqs', operation: 'SendMessage', principal: 'owner', resource: 'dofs-orders', orderId: 'o-3', timed: true },
      { service: 'sqs', operation: 'SendMessage', principal: 'owner', resource: 'dofs-orders', orderId: 'o-4', timed: true },
      { service: 'sqs', operation: 'DeleteMessageBatch', principal: 'owner', resource: 'dofs-orders', timed: true },
      { service: 'states', operation: 'StartExecution', principal: 'owner', resource: 'arn:sm', orderId: 'o-5', timed: true },
    ]);
  });

  it("names a declared role's caller by its role", async () => {
    // Given a gate enforcing one declared role's session (no policies: its calls are refused, and logged first)
    const gate = new Gate('sqs');
    const p = assumeRole({ name: 'dofs-fulfillment-role', arn: 'arn:aws:iam::123456789012:role/dofs-fulfillment-role', policies: [] }, 'f');
    gate.use({ account: '123456789012', region: 'eu-west-1', principals: [p] });
    const req = json('AmazonSQS.ReceiveMessage', { QueueUrl: 'http://127.0.0.1:1/123456789012/dofs-orders' });
    await gate.check({
      ...req,
      headers: { ...req.headers, authorization: `AWS4-HMAC-SHA256 Credential=${p.accessKeyId}/20260101/eu-west-1/sqs/aws4_request` },
    });
    expect(lines()).toEqual([
      { service: 'sqs', operation: 'ReceiveMessage', principal: 'dofs-fulfillment-role', resource: 'dofs-orders', timed: true },
    ]);
  });

  it('writes nothing when DOFS_REQUEST_LOG is unset', async () => {
    delete process.env.DOFS_REQUEST_LOG;
    await new Gate('dynamodb').check(json('DynamoDB_20120810.GetItem', { TableName: 't', Key: { orderId: { S: 'o' } } }));
    expect(fs.existsSync(file)).toBe(false);
  });
});
