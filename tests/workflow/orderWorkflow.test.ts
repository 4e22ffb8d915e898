import * as fs from 'fs';
import * as path from 'path';
import aslValidator from 'asl-validator';
import { orderWorkflow } from '../../components/workflow';
import { fakeResources } from './fixtures';

const goldenFile = path.join(__dirname, 'golden', 'order-workflow.asl.json');

describe('the order workflow', () => {
  const rendered = orderWorkflow(fakeResources).render({ logging: true, tracing: true });
  const states = rendered.definition.States as Record<string, Record<string, unknown>>;

  it('renders the golden ASL (set UPDATE_GOLDEN=1 to accept a deliberate change)', () => {
    const actual = JSON.stringify(rendered.definition, null, 2) + '\n';
    if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(goldenFile, actual);
    expect(actual).toBe(fs.readFileSync(goldenFile, 'utf8'));
  });

  it('is valid ASL according to an independent validator (asl-validator)', () => {
    const result = aslValidator(rendered.definition);
    expect(result.errorsText()).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('follows the diagram: ValidateOrder → CheckValidation → StoreOrder → SendToQueue, which ends it', () => {
    expect(rendered.definition.StartAt).toBe('ValidateOrder');
    expect(states.ValidateOrder.Next).toBe('CheckValidation');
    expect(states.CheckValidation.Default).toBe('StoreOrder');
    expect(states.StoreOrder.Next).toBe('SendToQueue');
    expect(states.SendToQueue.End).toBe(true);
    // Every state entered is a billed transition (STANDARD): no Succeed state, no Choice on StoreOrder's outcome.
    expect(Object.values(states).filter((s) => s.Type === 'Succeed' || s.Type === 'Pass')).toEqual([]);
    expect(Object.values(states).filter((s) => s.Type === 'Choice')).toHaveLength(1);
    for (const fail of ['ValidationFailed', 'StorageFailed', 'QueueFailed']) {
      expect(states[fail]).toMatchObject({ Type: 'Fail', ErrorPath: '$.failure.Error', CausePath: '$.failure.Cause' });
    }
  });

  it('ends a rejection with the conditional REJECTED write, successfully', () => {
    // Given the rejected branch of CheckValidation
    const choices = states.CheckValidation.Choices as Record<string, unknown>[];
    expect(choices).toEqual([{ Variable: '$.validation.valid', BooleanEquals: false, Next: 'RecordRejection' }]);
    // Then it writes REJECTED only over ACCEPTED (or a repeated REJECTED), and succeeds
    expect(states.RecordRejection).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:updateItem',
      Parameters: expect.objectContaining({ ConditionExpression: '#status IN (:accepted, :rejected)' }),
      End: true,
    });
    // and no Pass state dresses a rejection up as an error any more
    expect(Object.values(states).filter((s) => s.Type === 'Pass')).toEqual([]);
  });

  it('routes a RecordRejection that failed for good to ValidationFailed, with the caught error at $.failure', () => {
    expect(states.RecordRejection.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'ValidationFailed' }]);
    expect((states.RecordRejection.Retry as { ErrorEquals: string[] }[])[0].ErrorEquals).not.toContain(
      'DynamoDB.ConditionalCheckFailedException',
    );
  });

  it('writes every order status conditionally', () => {
    const statusWrites = Object.entries(states).filter(
      ([, s]) => s.Resource === 'arn:aws:states:::dynamodb:updateItem' && /#status = /.test((s.Parameters as any).UpdateExpression),
    );
    expect(statusWrites.map(([name]) => name).sort()).toEqual([
      'MarkQueueFailure',
      'MarkStorageFailure',
      'MarkValidationFailure',
      'RecordRejection',
    ]);
    for (const [, s] of statusWrites) expect((s.Parameters as any).ConditionExpression).toMatch(/#status/);
  });

  it('retries every task 3 times with exponential backoff and full jitter, then catches everything', () => {
    for (const name of ['ValidateOrder', 'StoreOrder', 'SendToQueue']) {
      const retry = states[name].Retry as Record<string, unknown>[];
      expect(retry).toHaveLength(1);
      expect(retry[0]).toMatchObject({ MaxAttempts: 3, BackoffRate: 2, JitterStrategy: 'FULL', IntervalSeconds: 1 });
      expect(states[name].Catch).toEqual([expect.objectContaining({ ErrorEquals: ['States.ALL'], ResultPath: '$.failure' })]);
    }
    expect((states.StoreOrder.Retry as { ErrorEquals: string[] }[])[0].ErrorEquals).toContain('TransientError');
  });

  it('sends the typed fulfillment message, not the whole payload', () => {
    expect(states.SendToQueue.Parameters).toEqual({
      QueueUrl: fakeResources.queue.url,
      MessageBody: { 'orderId.$': '$.orderId', 'customerId.$': '$.customerId', 'items.$': '$.items' },
    });
  });

  it('asks IAM for exactly the functions, queue and tables it uses', () => {
    const byAction = Object.fromEntries(rendered.policyStatements.map((s) => [s.Action.join(','), s.Resource]));
    expect(byAction).toEqual({
      'lambda:InvokeFunction': [fakeResources.validator.arn, fakeResources.storeOrder.arn],
      'dynamodb:UpdateItem': [fakeResources.ordersTable.arn],
      'dynamodb:PutItem': [fakeResources.failedOrdersTable.arn],
      'sqs:SendMessage': [fakeResources.queue.arn],
      'logs:CreateLogDelivery,logs:GetLogDelivery,logs:UpdateLogDelivery,logs:DeleteLogDelivery,logs:ListLogDeliveries,logs:PutResourcePolicy,logs:DescribeResourcePolicies,logs:DescribeLogGroups':
        ['*'],
      'xray:PutTraceSegments,xray:PutTelemetryRecords,xray:GetSamplingRules,xray:GetSamplingTargets': ['*'],
    });
    for (const s of rendered.policyStatements) for (const a of s.Action) expect(a).not.toContain('*');
  });

  it('leaves logging and tracing statements out unless asked', () => {
    const plain = orderWorkflow(fakeResources).render();
    expect(plain.policyStatements.flatMap((s) => s.Resource)).not.toContain('*');
  });
});
