/**
 * The operator's command line and what it reads, without a cloud: a bad flag, argument or output names
 * itself, its value and what is allowed; a terminal order is never replayed.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { parseCommandLine } from '../../ops/main';
import { OpsError, decodeOutputs } from '../../ops/outputs';
import { replay } from '../../ops/reconcile';
import type { Target } from '../../ops/target';

const usageError = (argv: string[]): OpsError => {
  try {
    parseCommandLine(argv);
  } catch (e) {
    if (e instanceof OpsError) return e;
    throw e;
  }
  throw new Error(`accepted: ${argv.join(' ')}`);
};

describe('the ops command line', () => {
  it('reads a command, its ORDER_ID and the system to act on', () => {
    expect(parseCommandLine(['status', 'a1b2-c3', '--local', '--stack', 'staging'])).toMatchObject({
      command: 'status',
      orderId: 'a1b2-c3',
      local: true,
      stack: 'staging',
    });
    expect(parseCommandLine(['reconcile', '--dry-run', '--older-than-minutes', '0'])).toMatchObject({
      command: 'reconcile',
      dryRun: true,
      olderThanMinutes: 0,
      stack: 'dev',
      local: false,
    });
    expect(parseCommandLine(['redrive', '--rate', '50', '--outputs', 'prod.json'])).toMatchObject({ rate: 50, outputsFile: 'prod.json' });
  });

  it.each([
    [[], 'a command is required: one of status, redrive, replay, reconcile'],
    [['restart'], "command 'restart' is not one of status, redrive, replay, reconcile"],
    [['status'], 'an ORDER_ID is required'],
    [['status', 'x y'], "ORDER_ID 'x y' is not an order id: expected 1 to 128 letters, digits, '-' or '_'"],
    [['status', 'a', 'b'], "'status' takes one ORDER_ID; 'b' is extra"],
    [['redrive', 'now'], "'redrive' takes no argument; 'now' is extra"],
    [['redrive', '--rate', '501'], "--rate '501' is not allowed: expected a whole number from 1 to 500"],
    [['redrive', '--rate', '2.5'], "--rate '2.5' is not allowed: expected a whole number from 1 to 500"],
    [['reconcile', '--older-than-minutes=-1'], "--older-than-minutes '-1' is not allowed: expected a number from 0 up"],
    [['status', 'a', '--dry-run'], "--dry-run is a flag of 'reconcile', not of 'status'"],
    [['status', 'a', '--local', '--outputs', 'f.json'], '--local and --outputs name two different systems: pass one'],
    [['status', 'a', '--stack', '../prod'], "--stack '../prod' is not a stack name"],
    [['status', 'a', '--colour'], "Unknown option '--colour'"],
  ])('refuses %j with a usage error that says what is allowed', (argv, message) => {
    const e = usageError(argv);
    expect(e.message).toContain(message);
    expect(e.exitCode).toBe(2);
  });
});

describe('the stack outputs the commands read', () => {
  const outputs = {
    apiUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com/v1',
    ordersTableName: 'dofs-prod-orders',
    failedOrdersTableName: 'dofs-prod-failed-orders',
    queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dofs-prod-orders',
    dlqUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dofs-prod-dlq',
    stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:dofs-prod-workflow',
    operations: {
      region: 'eu-west-1',
      queueArn: 'arn:aws:sqs:eu-west-1:123456789012:dofs-prod-orders',
      dlqArn: 'arn:aws:sqs:eu-west-1:123456789012:dofs-prod-dlq',
      workflowType: 'STANDARD',
      logGroups: { 'api-handler': '/dofs/prod/api-handler' },
      stuckOrderMinutes: 15,
      redriveMaxAttempts: 3,
      dlqHandlerMappingUuid: '0f8fad5b-d9cb-469f-a165-70867728950e',
    },
  };

  it('decodes what index.ts exports', () => {
    expect(decodeOutputs(outputs, "stack 'prod'")).toEqual(outputs);
  });

  it('tells the operator of a stack deployed before an output existed to run pulumi up', () => {
    const older: Partial<typeof outputs> = { ...outputs };
    delete older.operations;
    expect(() => decodeOutputs(older, "stack 'prod'")).toThrow(
      "stack 'prod' lacks the outputs this version of the ops commands reads (output 'operations' is missing): run 'pulumi up' on the stack with this commit first",
    );
    expect(() => decodeOutputs({ ...outputs, operations: { ...outputs.operations, workflowType: 'FAST' } }, 'x')).toThrow(
      'output \'operations.workflowType\' is "FAST"',
    );
  });
});

describe('replay', () => {
  /** A target whose orders table holds `item`; any other call fails the test. */
  const targetWith = (item: Record<string, unknown> | undefined, sent: string[]): Target =>
    ({
      description: 'a test stack',
      local: true,
      outputs: { ordersTableName: 'orders', failedOrdersTableName: 'failed', operations: { redriveMaxAttempts: 3 } },
      clients: {
        db: {
          send: (command: unknown) => {
            sent.push((command as object).constructor.name);
            if (command instanceof GetCommand) return Promise.resolve({ Item: item });
            return Promise.reject(new Error('no write expected'));
          },
        },
      },
    }) as unknown as Target;

  it.each(['REJECTED', 'FULFILLED', 'FAILED'])('refuses a %s order: its status must never move backwards', async (status) => {
    const sent: string[] = [];
    const order = { orderId: 'o-1', status, customerId: 'CUST-0001', items: [], createdAt: 't0', updatedAt: 't1' };
    await expect(replay(targetWith(order, sent), 'o-1', () => undefined)).rejects.toThrow(
      `order o-1 is ${status} since t1: it is terminal, and a replay would move its status backwards`,
    );
    expect(sent).toEqual(['GetCommand']);
  });

  it('names the table when the order does not exist', async () => {
    await expect(replay(targetWith(undefined, []), 'o-2', () => undefined)).rejects.toThrow('no order o-2 in orders (a test stack)');
  });
});
