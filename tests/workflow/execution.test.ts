/**
 * Runs the rendered order workflow in an ASL interpreter (aws-local-stepfunctions, with the
 * Promise.withResolvers polyfill for Node 20) with local task handlers, on every path.
 */
import { StateMachine, ExecutionError } from '../../local/interpreter';
import { orderWorkflow } from '../../components/workflow';
import { invalidInputError, transientError } from '../../runtime/errors';
import { validateOrder } from '../../runtime/validateOrder';
import type { StorageResult, WorkflowInput } from '../../runtime/codecs';
import { fakeResources } from './fixtures';

const definition = orderWorkflow(fakeResources).render().definition;

type Handler = (input: any) => Promise<unknown>;
type Calls = Record<string, unknown[]>;

const order: WorkflowInput = {
  orderId: 'order-1',
  customerId: 'CUST-00042',
  items: [{ productId: 'SKU-1001', quantity: 2, unitPrice: 19.99 }],
  acceptedAt: '2026-11-25T00:00:00.000Z',
};
const stored: StorageResult = { outcome: 'STORED', status: 'PENDING', totalQuantity: 2 };

/** A named AWS-style error, as the service integrations raise them. */
const awsError = (name: string) => Object.assign(new Error(`${name} (simulated)`), { name });

/** Given task handlers (defaults succeed), runs one execution and reports states, calls and outcome. */
const run = async (input: WorkflowInput, overrides: Record<string, Handler> = {}) => {
  const calls: Calls = {};
  const handlers: Record<string, Handler> = {
    ValidateOrder: async (i: WorkflowInput) => validateOrder(i),
    StoreOrder: async () => stored,
    SendToQueue: async () => ({ MessageId: 'm-1', MD5OfMessageBody: 'md5' }),
    ...Object.fromEntries(
      [
        'RecordRejection',
        'MarkValidationFailure',
        'RecordValidationFailure',
        'MarkStorageFailure',
        'RecordStorageFailure',
        'MarkQueueFailure',
        'RecordQueueFailure',
        'UnlistValidationFailure',
        'UnlistStorageFailure',
        'UnlistQueueFailure',
      ].map((n) => [n, async () => ({})]),
    ),
    ...overrides,
  };
  const recorded: Record<string, (i: any) => Promise<any>> = Object.fromEntries(
    Object.entries(handlers).map(([name, h]) => [
      name,
      async (i: unknown) => {
        (calls[name] ??= []).push(i);
        return h(i);
      },
    ]),
  );
  const machine = new StateMachine(definition as never, { validationOptions: { checkPaths: true, checkArn: true } });
  const execution = machine.run(input, {
    overrides: {
      taskResourceLocalHandlers: recorded,
      retryIntervalOverrides: { ValidateOrder: 0, StoreOrder: 0, SendToQueue: 0, RecordRejection: 0 },
    },
    context: {
      State: {
        get EnteredTime() {
          return new Date().toISOString();
        },
      },
    },
  });
  const visited: string[] = [];
  let retries = 0;
  const events = (async () => {
    for await (const e of execution.eventLogs) {
      if (e.type === 'StateEntered') visited.push(e.state.name);
      if (e.type === 'StateRetried') retries++;
    }
  })();
  let output: any;
  let error: { name: string; message: string } | undefined;
  try {
    output = await execution.result;
  } catch (e) {
    if (!(e instanceof ExecutionError)) throw e;
    const cause = e.cause as Error;
    error = { name: cause.name, message: cause.message };
  }
  await events;
  return { visited, calls, output, error, retries };
};

describe('order workflow execution', () => {
  it('happy path: validates, stores, sends the typed message and succeeds', async () => {
    const r = await run(order);
    expect(r.visited).toEqual(['ValidateOrder', 'CheckValidation', 'StoreOrder', 'SendToQueue']);
    expect(r.error).toBeUndefined();
    expect(r.calls.SendToQueue).toEqual([
      { QueueUrl: fakeResources.queue.url, MessageBody: { orderId: 'order-1', customerId: 'CUST-00042', items: order.items } },
    ]);
    expect(r.output).toEqual({
      ...order,
      validation: { valid: true, reasons: [], summary: 'order is valid' },
      storage: stored,
      message: { MessageId: 'm-1', MD5OfMessageBody: 'md5' },
    });
  });

  it('business rejection: records REJECTED with the reasons and the execution succeeds there', async () => {
    // Given an order that breaks all three business rules
    const bad = {
      ...order,
      customerId: 'nobody',
      items: [
        { productId: 'A', quantity: 60 },
        { productId: 'A', quantity: 50 },
      ],
    };
    // When it runs through the workflow
    const r = await run(bad);
    // Then the execution succeeds: a rejection is a business outcome, not a failed execution (no alarm)
    expect(r.visited).toEqual(['ValidateOrder', 'CheckValidation', 'RecordRejection']);
    expect(r.error).toBeUndefined();
    expect(r.output.validation).toMatchObject({ valid: false });
    expect(r.output).not.toHaveProperty('failure');
    // and the order is REJECTED, conditionally, with every reason
    expect(r.calls.RecordRejection).toHaveLength(1);
    const update = r.calls.RecordRejection[0] as any;
    expect(update.Key).toEqual({ orderId: { S: bad.orderId } });
    expect(update.UpdateExpression).toMatch(/^SET #status = :rejected, reasons = :reasons, /);
    expect(update.ConditionExpression).toBe('#status IN (:accepted, :rejected)');
    expect(update.ExpressionAttributeValues[':rejected']).toEqual({ S: 'REJECTED' });
    expect(JSON.parse(update.ExpressionAttributeValues[':reasons'].S).map((x: { code: string }) => x.code)).toEqual([
      'INVALID_CUSTOMER_ID',
      'QUANTITY_LIMIT',
      'DUPLICATE_PRODUCT',
    ]);
    expect(r.calls.StoreOrder).toBeUndefined();
    expect(r.calls.MarkValidationFailure).toBeUndefined();
  });

  it('RecordRejection failing on every attempt: ValidationFailed names the DynamoDB error, the order is left ACCEPTED', async () => {
    // Given a rejected order whose REJECTED write is throttled every time
    const r = await run(
      { ...order, customerId: 'nobody' },
      {
        RecordRejection: async () => {
          throw awsError('DynamoDB.ThrottlingException');
        },
      },
    );
    // Then the write is retried 3 times, and the execution fails with the error that really happened
    expect(r.calls.RecordRejection).toHaveLength(4);
    expect(r.retries).toBe(3);
    expect(r.visited).toEqual(['ValidateOrder', 'CheckValidation', 'RecordRejection', 'ValidationFailed']);
    expect(r.error).toEqual({ name: 'DynamoDB.ThrottlingException', message: 'DynamoDB.ThrottlingException (simulated)' });
    // and no other status is written: the order stays ACCEPTED, for the reconciler to re-drive
    expect(r.calls.MarkValidationFailure).toBeUndefined();
    expect(r.calls.RecordValidationFailure).toBeUndefined();
  });

  it("RecordRejection's condition failing (the order is no longer ACCEPTED): not retried, ValidationFailed names it", async () => {
    const r = await run(
      { ...order, customerId: 'nobody' },
      {
        RecordRejection: async () => {
          throw awsError('DynamoDB.ConditionalCheckFailedException');
        },
      },
    );
    expect(r.calls.RecordRejection).toHaveLength(1);
    expect(r.visited).toEqual(['ValidateOrder', 'CheckValidation', 'RecordRejection', 'ValidationFailed']);
    expect(r.error?.name).toBe('DynamoDB.ConditionalCheckFailedException');
  });

  it('StoreOrder failing transiently twice, then succeeding: retried, and the order is queued', async () => {
    let attempts = 0;
    const r = await run(order, {
      StoreOrder: async () => {
        attempts++;
        if (attempts <= 2) throw transientError('DynamoDB throttled (simulated)');
        return stored;
      },
    });
    expect(r.calls.StoreOrder).toHaveLength(3);
    expect(r.retries).toBe(2);
    expect(r.visited).toEqual(['ValidateOrder', 'CheckValidation', 'StoreOrder', 'SendToQueue']);
    expect(r.error).toBeUndefined();
  });

  it('StoreOrder failing on every attempt: StorageFailed after exactly 3 retries, order marked and recorded', async () => {
    const r = await run(order, {
      StoreOrder: async () => {
        throw transientError('DynamoDB unavailable (simulated)');
      },
    });
    expect(r.calls.StoreOrder).toHaveLength(4);
    expect(r.retries).toBe(3);
    expect(r.visited).toEqual([
      'ValidateOrder',
      'CheckValidation',
      'StoreOrder',
      'MarkStorageFailure',
      'RecordStorageFailure',
      'UnlistStorageFailure',
      'StorageFailed',
    ]);
    expect(r.error).toEqual({ name: 'TransientError', message: 'DynamoDB unavailable (simulated)' });
    const record = r.calls.RecordStorageFailure[0] as any;
    expect(record.Item).toMatchObject({
      orderId: { S: 'order-1' },
      failureReason: { S: 'PROCESSING_ERROR' },
      stage: { S: 'STORAGE' },
      error: { S: 'TransientError' },
      items: { S: JSON.stringify(order.items) },
    });
    expect(record.ConditionExpression).toBe('attribute_not_exists(orderId)');
  });

  it('the SQS send failing: QueueFailed after its retries', async () => {
    const r = await run(order, {
      SendToQueue: async () => {
        throw awsError('SQS.SdkClientException');
      },
    });
    expect(r.calls.SendToQueue).toHaveLength(4);
    expect(r.visited.slice(-4)).toEqual(['MarkQueueFailure', 'RecordQueueFailure', 'UnlistQueueFailure', 'QueueFailed']);
    expect(r.error?.name).toBe('SQS.SdkClientException');
  });

  it('a validator error that is not transient is not retried and ends in ValidationFailed', async () => {
    const r = await run(order, {
      ValidateOrder: async () => {
        throw invalidInputError('items: expected an array');
      },
    });
    expect(r.calls.ValidateOrder).toHaveLength(1);
    expect(r.visited).toEqual([
      'ValidateOrder',
      'MarkValidationFailure',
      'RecordValidationFailure',
      'UnlistValidationFailure',
      'ValidationFailed',
    ]);
    expect(r.error).toEqual({ name: 'InvalidInputError', message: 'items: expected an array' });
  });

  it('a repeated execution that finds the order finished sends its message again, which fulfillment leaves alone', async () => {
    const r = await run(order, { StoreOrder: async () => ({ ...stored, outcome: 'ALREADY_TERMINAL', status: 'FULFILLED' }) });
    expect(r.visited).toEqual(['ValidateOrder', 'CheckValidation', 'StoreOrder', 'SendToQueue']);
    expect(r.calls.SendToQueue).toHaveLength(1);
    expect(r.error).toBeUndefined();
  });

  it('a failure route whose status write finds the order finished still ends in the stage Fail state', async () => {
    const r = await run(order, {
      StoreOrder: async () => {
        throw invalidInputError('bad');
      },
      MarkStorageFailure: async () => {
        throw awsError('DynamoDB.ConditionalCheckFailedException');
      },
    });
    expect(r.visited).toEqual(['ValidateOrder', 'CheckValidation', 'StoreOrder', 'MarkStorageFailure', 'StorageFailed']);
    expect(r.error?.name).toBe('InvalidInputError');
    expect(r.calls.RecordStorageFailure).toBeUndefined();
  });

  it('a failure route whose record exists already (a repeated execution) still takes the order out of the in-flight index', async () => {
    const r = await run(order, {
      StoreOrder: async () => {
        throw invalidInputError('bad');
      },
      RecordStorageFailure: async () => {
        throw awsError('DynamoDB.ConditionalCheckFailedException');
      },
    });
    expect(r.visited.slice(-4)).toEqual(['MarkStorageFailure', 'RecordStorageFailure', 'UnlistStorageFailure', 'StorageFailed']);
    expect(r.calls.UnlistStorageFailure[0]).toMatchObject({
      UpdateExpression: 'REMOVE #inFlight',
      ConditionExpression: '#status = :failed',
    });
  });

  it('a failure route whose record cannot be written keeps the order in the in-flight index, for the reconciler to complete', async () => {
    const r = await run(order, {
      StoreOrder: async () => {
        throw invalidInputError('bad');
      },
      RecordStorageFailure: async () => {
        throw awsError('DynamoDB.ProvisionedThroughputExceededException');
      },
    });
    expect(r.visited.slice(-3)).toEqual(['MarkStorageFailure', 'RecordStorageFailure', 'StorageFailed']);
    expect(r.calls.UnlistStorageFailure).toBeUndefined();
    // The FAILED write keeps the key, and names the stage the reconciler's record will carry
    const mark = r.calls.MarkStorageFailure[0] as any;
    expect(mark.UpdateExpression).not.toContain('REMOVE');
    expect(mark.ExpressionAttributeValues[':stage']).toEqual({ S: 'STORAGE' });
    expect(r.error?.name).toBe('InvalidInputError');
  });
});
