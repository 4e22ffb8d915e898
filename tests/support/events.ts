import type { APIGatewayProxyEvent, SQSRecord } from 'aws-lambda';

/** An API Gateway REST proxy event, as API Gateway sends it for the DOFS routes. */
export const apiEvent = (
  method: string,
  resource: string,
  opts: { path?: string; body?: string | null; headers?: Record<string, string>; orderId?: string } = {},
): APIGatewayProxyEvent => ({
  httpMethod: method,
  resource,
  path: opts.path ?? resource.replace('{orderId}', opts.orderId ?? ''),
  body: opts.body ?? null,
  headers: opts.headers ?? { 'Content-Type': 'application/json' },
  multiValueHeaders: {},
  isBase64Encoded: false,
  pathParameters: opts.orderId !== undefined ? { orderId: opts.orderId } : null,
  queryStringParameters: null,
  multiValueQueryStringParameters: null,
  stageVariables: null,
  requestContext: { requestId: 'req-1', stage: 'v1' } as APIGatewayProxyEvent['requestContext'],
});

let seq = 0;
/** An SQS record carrying `body`. */
export const sqsRecord = (body: unknown, receiveCount = 1): SQSRecord => ({
  messageId: `m-${++seq}`,
  receiptHandle: `rh-${seq}`,
  body: typeof body === 'string' ? body : JSON.stringify(body),
  attributes: {
    ApproximateReceiveCount: String(receiveCount),
    SentTimestamp: '0',
    SenderId: 'x',
    ApproximateFirstReceiveTimestamp: '0',
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:dofs-orders',
  awsRegion: 'eu-west-1',
});
