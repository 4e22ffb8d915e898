/**
 * IAM enforced end to end: the local cloud with one grant taken from a declared role (`--revoke`, the
 * fault-injection flag) fails the order flow where AWS would, with AWS's error. With the declared policies
 * unchanged every path passes: paths.test.ts and conservation.test.ts run with the same enforcement, which
 * has no off switch.
 */
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { validOrder } from '../runtime/tier1Corpus';
import { type RunningCloud, postOrder, runCli, startCloud, waitTerminal, waitUntil } from '../support/localCloud';

const ACCOUNT = '123456789012';
const ORDERS_TABLE = `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/dofs-orders`;

let storeOrderCloud: RunningCloud;
let queueCloud: RunningCloud;
let invokeCloud: RunningCloud;

// One after another: three programs starting at once on two cores would only slow each other down.
beforeAll(async () => {
  storeOrderCloud = await startCloud(['--revoke', 'dofs-store-order-role:dynamodb:UpdateItem']);
  queueCloud = await startCloud(['--revoke', 'dofs-workflow-role:sqs:SendMessage']);
  invokeCloud = await startCloud(['--revoke', 'dofs-workflow-role:lambda:InvokeFunction']);
});
afterAll(() => Promise.all([storeOrderCloud, queueCloud, invokeCloud].map((c) => c?.stop())));

/** DescribeExecution once the execution has ended (the order turns FAILED in a task before the last state). */
const endedExecution = async (c: RunningCloud, orderId: string) => {
  const sfn = new SFNClient({ endpoint: c.sfnEndpoint, region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const describe = () =>
    sfn.send(new DescribeExecutionCommand({ executionArn: `${c.stateMachineArn.replace(':stateMachine:', ':execution:')}:${orderId}` }));
  let execution = await describe();
  await waitUntil(
    () => `execution ${orderId} ended (it is ${execution.status})`,
    async () => (execution = await describe()).status !== 'RUNNING',
    100,
  );
  sfn.destroy();
  return execution;
};

/** Posts an order and returns it once terminal, with its ended execution. */
const orderThrough = async (c: RunningCloud) => {
  const res = await postOrder(c.url, validOrder);
  expect(res.status).toBe(202);
  const order = await waitTerminal(c.url, res.body.orderId);
  return { order, execution: await endedExecution(c, res.body.orderId) };
};

describe('a grant taken away fails the order flow as AWS would', () => {
  it('store-order without dynamodb:UpdateItem: its call fails with AccessDeniedException; StorageFailed, the order FAILED', async () => {
    const { order, execution } = await orderThrough(storeOrderCloud);
    expect(order).toMatchObject({ status: 'FAILED', failureReason: 'PROCESSING_ERROR' });
    expect(execution).toMatchObject({ status: 'FAILED', error: 'AccessDeniedException' });
    // The Cause is the function's error payload, with DynamoDB's message.
    expect(JSON.parse(execution.cause!)).toMatchObject({
      errorType: 'AccessDeniedException',
      errorMessage: `User: arn:aws:sts::${ACCOUNT}:assumed-role/dofs-store-order-role/dofs-store-order is not authorized to perform: dynamodb:UpdateItem on resource: ${ORDERS_TABLE} because no identity-based policy allows the dynamodb:UpdateItem action`,
    });
  });

  it("the state machine's role without sqs:SendMessage: SendToQueue fails as SQS.AmazonSQSException; QueueFailed, the order FAILED", async () => {
    const { order, execution } = await orderThrough(queueCloud);
    expect(order).toMatchObject({ status: 'FAILED', failureReason: 'PROCESSING_ERROR' });
    expect(execution).toMatchObject({ status: 'FAILED', error: 'SQS.AmazonSQSException' });
    expect(execution.cause).toMatch(
      new RegExp(
        `^User: arn:aws:sts::${ACCOUNT}:assumed-role/dofs-workflow-role/[A-Za-z]{32} is not authorized to perform: sqs:sendmessage on resource: ` +
          `arn:aws:sqs:eu-west-1:${ACCOUNT}:dofs-orders because no identity-based policy allows the sqs:sendmessage action ` +
          '\\(Service: AmazonSQS; Status Code: 403; Error Code: AccessDenied; Request ID: [0-9a-f-]+; Proxy: null\\)$',
      ),
    );
  });

  it("the state machine's role without lambda:InvokeFunction: ValidateOrder fails as Lambda.AWSLambdaException; the order FAILED", async () => {
    const { order, execution } = await orderThrough(invokeCloud);
    expect(order).toMatchObject({ status: 'FAILED', failureReason: 'PROCESSING_ERROR' });
    expect(execution).toMatchObject({ status: 'FAILED', error: 'Lambda.AWSLambdaException' });
    expect(execution.cause).toMatch(
      new RegExp(
        `^User: arn:aws:sts::${ACCOUNT}:assumed-role/dofs-workflow-role/[A-Za-z]{32} is not authorized to perform: lambda:InvokeFunction on resource: ` +
          `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:dofs-validator because no identity-based policy allows the lambda:InvokeFunction action ` +
          '\\(Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException; Request ID: [0-9a-f-]+; Proxy: null\\)$',
      ),
    );
  });

  it('a queue consumer without sqs:ReceiveMessage: the event source mapping is refused, as CreateEventSourceMapping refuses it', async () => {
    const r = await runCli(['--port', '0', '--quiet', '--revoke', 'dofs-fulfillment-role:sqs:ReceiveMessage']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      'dofs local cloud: mapping dofs-fulfillment-source: InvalidParameterValueException: The function execution role does not have ' +
        `permissions to call ReceiveMessage on SQS (role dofs-fulfillment-role has no sqs:ReceiveMessage on arn:aws:sqs:eu-west-1:${ACCOUNT}:dofs-orders; ` +
        'Lambda refuses the mapping, so pulumi up fails)',
    );
  });

  it('stops each local cloud cleanly on Ctrl-C: exit code 0', async () => {
    expect(await Promise.all([storeOrderCloud, queueCloud, invokeCloud].map((c) => c.stop()))).toEqual([0, 0, 0]);
  });
});
