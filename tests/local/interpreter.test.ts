/** The back end's interpreter: executions beyond `maxConcurrent` wait until one ends. */
import { makeInterpreter } from '../../local/interpreter';
import { waitUntil } from '../support/localCloud';

const definition = {
  StartAt: 'Work',
  States: { Work: { Type: 'Task', Resource: 'arn:aws:lambda:eu-west-1:123456789012:function:work', End: true } },
};

describe('makeInterpreter', () => {
  it('interprets at most maxConcurrent executions at once and starts the next when one ends', async () => {
    const calls: { input: { n: number }; finish: () => void }[] = [];
    const interpreter = makeInterpreter(
      {
        definition,
        tasks: {
          Work: (input: { n: number }) => new Promise((resolve) => calls.push({ input, finish: () => resolve({ done: input.n }) })),
        },
        retryIntervalMs: 1,
        maxConcurrent: 2,
      },
      () => undefined,
    );
    // Waits on what the interpreter does, never on the clock: with the limit broken, the third and fourth
    // executions would be there by the time the first two are.
    const started = (n: number) => waitUntil(`${n} task calls`, () => calls.length >= n);
    const outcomes = [1, 2, 3, 4].map((n) => interpreter.run({ executionArn: `arn:x:${n}`, name: `e${n}`, input: JSON.stringify({ n }) }));
    await started(2);
    expect(calls.map((c) => c.input.n)).toEqual([1, 2]);
    calls[0].finish();
    await started(3);
    expect(calls.map((c) => c.input.n)).toEqual([1, 2, 3]);
    for (const c of calls.slice(1)) c.finish();
    await started(4);
    calls[3].finish();
    expect(await Promise.all(outcomes)).toEqual([1, 2, 3, 4].map((n) => ({ status: 'SUCCEEDED', output: JSON.stringify({ done: n }) })));
  });

  it('reports a failed execution with the error name and cause', async () => {
    const interpreter = makeInterpreter(
      {
        definition,
        tasks: { Work: () => Promise.reject(Object.assign(new Error('no stock'), { name: 'OutOfStock' })) },
        retryIntervalMs: 1,
        maxConcurrent: 1,
      },
      () => undefined,
    );
    expect(await interpreter.run({ executionArn: 'arn:x:f', name: 'f', input: '{}' })).toEqual({
      status: 'FAILED',
      error: 'OutOfStock',
      cause: 'no stock',
    });
  });
});

describe('the execution history the interpreter records, in GetExecutionHistory’s names', () => {
  const LAMBDA = 'arn:aws:lambda:eu-west-1:123456789012:function:validate';
  const ROLE = 'arn:aws:iam::123456789012:role/workflow';
  const flow = {
    StartAt: 'Validate',
    States: {
      Validate: {
        Type: 'Task',
        Resource: LAMBDA,
        TimeoutSeconds: 5,
        Retry: [{ ErrorEquals: ['TransientError'], MaxAttempts: 2 }],
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Rejected' }],
        Next: 'Check',
      },
      Check: { Type: 'Choice', Choices: [{ Variable: '$.ok', BooleanEquals: true, Next: 'Send' }], Default: 'Rejected' },
      Send: {
        Type: 'Task',
        Resource: 'arn:aws:states:::sqs:sendMessage',
        Parameters: { QueueUrl: 'https://queue', 'MessageBody.$': '$.id' },
        ResultPath: null,
        Next: 'Done',
      },
      Done: { Type: 'Succeed' },
      Rejected: { Type: 'Fail', Error: 'Rejected', Cause: 'not ok' },
    },
  };
  /** An interpreter whose Validate task does what `validate` says, recording histories as STANDARD does. */
  const interpreterWith = (validate: (input: { id: string }) => Promise<unknown>, maxConcurrent = 4) =>
    makeInterpreter(
      {
        definition: flow,
        tasks: { Validate: validate, Send: () => Promise.resolve({ MessageId: 'm-1' }) },
        retryIntervalMs: 1,
        maxConcurrent,
        history: { roleArn: ROLE, region: 'eu-west-1' },
      },
      () => undefined,
    );
  const types = (events: readonly { type: string }[]) => events.map((e) => e.type);

  it('a successful execution: every state entered and exited, each task scheduled, started and succeeded, numbered as AWS numbers them', async () => {
    const interpreter = interpreterWith((input) => Promise.resolve({ ...input, ok: true }));
    const outcome = await interpreter.run({ executionArn: 'arn:x:ok', name: 'ok', input: '{"id":"o-1"}' });
    const events = await interpreter.history('arn:x:ok');
    expect(types(events)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    expect(events.map((e) => e.previousEventId)).toEqual([0, 0, ...events.slice(2).map((e) => e.id - 1)]);
    expect(events[0].executionStartedEventDetails).toEqual({ input: '{"id":"o-1"}', inputDetails: { truncated: false }, roleArn: ROLE });
    expect(events[1].stateEnteredEventDetails).toEqual({ name: 'Validate', input: '{"id":"o-1"}', inputDetails: { truncated: false } });
    expect(events[2].lambdaFunctionScheduledEventDetails).toEqual({
      resource: LAMBDA,
      input: '{"id":"o-1"}',
      inputDetails: { truncated: false },
      timeoutInSeconds: 5,
    });
    expect(events[3]).not.toHaveProperty('lambdaFunctionStartedEventDetails');
    expect(events[4].lambdaFunctionSucceededEventDetails).toEqual({
      output: '{"id":"o-1","ok":true}',
      outputDetails: { truncated: false },
    });
    expect(events[9].taskScheduledEventDetails).toEqual({
      resourceType: 'sqs',
      resource: 'sendMessage',
      region: 'eu-west-1',
      parameters: '{"QueueUrl":"https://queue","MessageBody":"o-1"}',
    });
    expect(events[10].taskStartedEventDetails).toEqual({ resourceType: 'sqs', resource: 'sendMessage' });
    expect(events[11].taskSucceededEventDetails).toEqual({
      resourceType: 'sqs',
      resource: 'sendMessage',
      output: '{"MessageId":"m-1"}',
      outputDetails: { truncated: false },
    });
    expect(events[15].executionSucceededEventDetails).toEqual({ output: outcome.output, outputDetails: { truncated: false } });
    const times = events.map((e) => e.timestamp);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('retries show as further attempts, a caught error as the state’s exit, a Fail state as FailStateEntered and ExecutionFailed', async () => {
    const interpreter = interpreterWith(() =>
      Promise.reject(Object.assign(new Error('{"errorType":"TransientError"}'), { name: 'TransientError' })),
    );
    expect(await interpreter.run({ executionArn: 'arn:x:f', name: 'f', input: '{"id":"o-2"}' })).toEqual({
      status: 'FAILED',
      error: 'Rejected',
      cause: 'not ok',
    });
    const events = await interpreter.history('arn:x:f');
    const attempt = ['LambdaFunctionScheduled', 'LambdaFunctionStarted', 'LambdaFunctionFailed'];
    expect(types(events)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      ...attempt,
      ...attempt,
      ...attempt,
      'TaskStateExited',
      'FailStateEntered',
      'ExecutionFailed',
    ]);
    expect(events[4].lambdaFunctionFailedEventDetails).toEqual({ error: 'TransientError', cause: '{"errorType":"TransientError"}' });
    expect(JSON.parse(events[11].stateExitedEventDetails.output as string)).toEqual({
      id: 'o-2',
      failure: { Error: 'TransientError', Cause: '{"errorType":"TransientError"}' },
    });
    expect(events[13].executionFailedEventDetails).toEqual({ error: 'Rejected', cause: 'not ok' });
  });

  it('a task over its TimeoutSeconds: LambdaFunctionTimedOut with States.Timeout, and no cause, as AWS records it', async () => {
    const slow = { StartAt: 'Slow', States: { Slow: { Type: 'Task', Resource: LAMBDA, TimeoutSeconds: 1, End: true } } };
    const timeouts = makeInterpreter(
      {
        definition: slow,
        tasks: { Slow: () => new Promise(() => undefined) },
        retryIntervalMs: 1,
        maxConcurrent: 1,
        history: { roleArn: ROLE, region: 'eu-west-1' },
      },
      () => undefined,
    );
    expect(await timeouts.run({ executionArn: 'arn:x:t', name: 't', input: '{}' })).toEqual({ status: 'FAILED', error: 'States.Timeout' });
    const events = await timeouts.history('arn:x:t');
    expect(types(events).slice(-2)).toEqual(['LambdaFunctionTimedOut', 'ExecutionFailed']);
    expect(events.at(-2)!.lambdaFunctionTimedOutEventDetails).toEqual({ error: 'States.Timeout' });
    expect(events.at(-1)!.executionFailedEventDetails).toEqual({ error: 'States.Timeout' });
  });

  it('stop during a task: ABORTED at once, the history ends with ExecutionAborted (previous event 0), the task’s late result is dropped', async () => {
    let finish: (v: unknown) => void = () => undefined;
    const interpreter = interpreterWith(() => new Promise((resolve) => (finish = resolve)));
    const outcome = interpreter.run({ executionArn: 'arn:x:s', name: 's', input: '{"id":"o-3"}' });
    expect(await interpreter.stop('arn:x:s', { error: 'Operator', cause: 'stopped by hand' })).toBe(true);
    expect(await outcome).toEqual({ status: 'ABORTED', error: 'Operator', cause: 'stopped by hand' });
    const events = await interpreter.history('arn:x:s');
    expect(types(events)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'ExecutionAborted',
    ]);
    expect(events[4]).toMatchObject({
      id: 5,
      previousEventId: 0,
      executionAbortedEventDetails: { error: 'Operator', cause: 'stopped by hand' },
    });
    finish({ id: 'o-3', ok: true });
    expect(types(await interpreter.history('arn:x:s'))).toHaveLength(5);
  });

  it('stop while it waits for its turn: it never runs; its history is ExecutionStarted and ExecutionAborted', async () => {
    const calls: ((v: unknown) => void)[] = [];
    const interpreter = interpreterWith(() => new Promise((resolve) => calls.push(resolve)), 1);
    const first = interpreter.run({ executionArn: 'arn:x:1', name: '1', input: '{"id":"o-4"}' });
    const second = interpreter.run({ executionArn: 'arn:x:2', name: '2', input: '{"id":"o-5"}' });
    expect(await interpreter.stop('arn:x:2', {})).toBe(true);
    expect(types(await interpreter.history('arn:x:2'))).toEqual(['ExecutionStarted', 'ExecutionAborted']);
    expect((await interpreter.history('arn:x:2'))[1].executionAbortedEventDetails).toEqual({});
    calls[0]({ id: 'o-4', ok: true });
    expect((await first).status).toBe('SUCCEEDED');
    expect(await second).toEqual({ status: 'ABORTED' });
    expect(calls).toHaveLength(1);
  });

  it('stopping an execution that has ended (or one it never had) changes nothing and answers false', async () => {
    const interpreter = interpreterWith((input) => Promise.resolve({ ...input, ok: true }));
    await interpreter.run({ executionArn: 'arn:x:e', name: 'e', input: '{"id":"o-6"}' });
    expect(await interpreter.stop('arn:x:e', { error: 'late' })).toBe(false);
    expect(await interpreter.stop('arn:x:unknown', {})).toBe(false);
    expect(types(await interpreter.history('arn:x:e')).at(-1)).toBe('ExecutionSucceeded');
  });

  it('without `history` (EXPRESS), no history is kept', async () => {
    const interpreter = makeInterpreter(
      { definition, tasks: { Work: () => Promise.resolve({}) }, retryIntervalMs: 1, maxConcurrent: 1 },
      () => undefined,
    );
    await interpreter.run({ executionArn: 'arn:x:n', name: 'n', input: '{}' });
    expect(await interpreter.history('arn:x:n')).toEqual([]);
  });
});
