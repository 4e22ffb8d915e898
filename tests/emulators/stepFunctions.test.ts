/**
 * The local Step Functions endpoint (local/stepFunctions.ts) as the AWS SDK sees it: every operation and
 * every error it emulates, driven with SFNClient over HTTP against a fake runner (no interpreter, no
 * clock); malformed requests with raw HTTP, which the SDK cannot send. Expected wording is AWS's own where
 * a recorded AWS response gives it (see local/awsJson.ts).
 */
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  ExecutionDoesNotExist,
  InvalidArn,
  InvalidExecutionInput,
  InvalidName,
  InvalidToken,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  StateMachineTypeNotSupported,
  ValidationException,
  paginateGetExecutionHistory,
  paginateListExecutions,
} from '@aws-sdk/client-sfn';
import type { HistoryEvent } from '../../local/executionHistory';
import {
  type ExecutionOutcome,
  type ExecutionRequest,
  type ExecutionRunner,
  LocalStepFunctions,
  type LocalStateMachineSpec,
  type StepFunctionsChaos,
  isInvalidExecutionName,
} from '../../local/stepFunctions';

const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:dofs-workflow';
const EXECUTION = (name: string) => `arn:aws:states:eu-west-1:123456789012:execution:dofs-workflow:${name}`;
const DEFINITION = JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });

/** One execution the fake runner was asked for; a test ends it. */
interface FakeRun {
  readonly request: ExecutionRequest;
  ended?: boolean;
  end(outcome: ExecutionOutcome): void;
}

/**
 * A runner that records what it is asked and ends an execution only when a test says so; it answers
 * GetExecutionHistory with the events a test gives it (`histories`) and records StopExecution's calls.
 */
const fakeRunner = () => {
  const runs: FakeRun[] = [];
  const stops: { executionArn: string; reason: { error?: string; cause?: string } }[] = [];
  const histories = new Map<string, HistoryEvent[]>();
  const runner: ExecutionRunner = {
    run: (request) =>
      new Promise<ExecutionOutcome>((resolve) => {
        const run: FakeRun = { request, end: (outcome) => ((run.ended = true), resolve(outcome)) };
        runs.push(run);
      }),
    // As the interpreter answers: true for an execution it still runs.
    stop: (executionArn, reason) => {
      stops.push({ executionArn, reason });
      return Promise.resolve(runs.some((r) => r.request.executionArn === executionArn && !r.ended));
    },
    history: (executionArn) => Promise.resolve(histories.get(executionArn) ?? []),
  };
  const last = () => runs[runs.length - 1];
  return { runner, runs, stops, histories, last };
};

const startEndpoint = async (overrides: Partial<LocalStateMachineSpec> = {}, chaos?: StepFunctionsChaos) => {
  const fake = fakeRunner();
  const spec: LocalStateMachineSpec = {
    arn: ARN,
    name: 'dofs-workflow',
    type: 'STANDARD',
    definition: DEFINITION,
    roleArn: 'arn:aws:iam::123456789012:role/dofs-workflow-role',
    creationDate: 1_700_000_000_000,
    ...overrides,
  };
  const endpoint = new LocalStepFunctions(spec, fake.runner, chaos);
  await endpoint.listen();
  const client = new SFNClient({
    endpoint: endpoint.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
  return { ...fake, endpoint, client, stop: async () => (client.destroy(), await endpoint.stop()) };
};

type Endpoint = Awaited<ReturnType<typeof startEndpoint>>;
let sfn: Endpoint;
beforeEach(async () => (sfn = await startEndpoint()));
afterEach(() => sfn.stop());

const start = (name?: string, input?: string) => sfn.client.send(new StartExecutionCommand({ stateMachineArn: ARN, name, input }));
const describe_ = (name: string) => sfn.client.send(new DescribeExecutionCommand({ executionArn: EXECUTION(name) }));

/** The error a call fails with, for `toBeInstanceOf` and its message. */
const failure = async (call: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> => {
  try {
    await call;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the call to fail');
};

/** A raw AWS JSON 1.0 request, for what the SDK would never send. */
const raw = async (target: string | undefined, body: string, contentType: string | null = 'application/x-amz-json-1.0') => {
  const res = await fetch(sfn.endpoint.endpoint, {
    method: 'POST',
    headers: { ...(contentType !== null ? { 'Content-Type': contentType } : {}), ...(target ? { 'X-Amz-Target': target } : {}) },
    body,
  });
  return { status: res.status, body: (await res.json()) as { __type: string; message: string } };
};

describe('StartExecution', () => {
  it('starts an execution under the name and input given, and hands it to the runner', async () => {
    const res = await start('order-1', '{"orderId":"order-1"}');
    expect(res.executionArn).toBe(EXECUTION('order-1'));
    expect(res.startDate).toBeInstanceOf(Date);
    expect(sfn.last().request).toEqual({ executionArn: EXECUTION('order-1'), name: 'order-1', input: '{"orderId":"order-1"}' });
    expect(await describe_('order-1')).toMatchObject({
      status: 'RUNNING',
      name: 'order-1',
      input: '{"orderId":"order-1"}',
      stateMachineArn: ARN,
    });
  });

  it('without a name or input: a UUID for a name and {} for input, as AWS does', async () => {
    const res = await start();
    expect(res.executionArn).toMatch(/:execution:dofs-workflow:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(sfn.last().request.input).toBe('{}');
  });

  it('STANDARD: the same name and input while the execution runs return that execution; nothing new runs', async () => {
    const first = await start('same', '{"a":1}');
    const again = await start('same', '{"a":1}');
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate).toEqual(first.startDate);
    expect(sfn.runs).toHaveLength(1);
  });

  it('STANDARD: the same name with another input is ExecutionAlreadyExists, naming the execution', async () => {
    await start('same', '{"a":1}');
    const e = await failure(start('same', '{"a":2}'));
    expect(e).toBeInstanceOf(ExecutionAlreadyExists);
    expect(e.message).toBe(`Execution Already Exists: '${EXECUTION('same')}'`);
    expect(e.$metadata?.httpStatusCode).toBe(400);
  });

  it('STANDARD: the same name and input once the execution has ended is ExecutionAlreadyExists', async () => {
    await start('done', '{}');
    sfn.last().end({ status: 'SUCCEEDED', output: '{}' });
    expect((await describe_('done')).status).toBe('SUCCEEDED');
    expect(await failure(start('done', '{}'))).toBeInstanceOf(ExecutionAlreadyExists);
    expect(sfn.runs).toHaveLength(1);
  });

  it('EXPRESS: every request starts an execution of its own, under an express ARN', async () => {
    await sfn.stop();
    sfn = await startEndpoint({ type: 'EXPRESS' });
    const a = await start('same', '{}');
    const b = await start('same', '{}');
    expect(a.executionArn).toMatch(/^arn:aws:states:eu-west-1:123456789012:express:dofs-workflow:same:[0-9a-f-]{36}$/);
    expect(b.executionArn).not.toBe(a.executionArn);
    expect(sfn.runs).toHaveLength(2);
  });

  describe('--duplicate-executions (asynchronous EXPRESS runs at least once)', () => {
    const withDuplicates = async (type: 'STANDARD' | 'EXPRESS', draws: number[]) => {
      await sfn.stop();
      const lines: string[] = [];
      sfn = await startEndpoint({ type }, { duplicateExecutions: 0.5, log: (l) => lines.push(l), random: () => draws.shift() ?? 1 });
      return lines;
    };

    it('EXPRESS: a drawn execution runs twice, the same request; every other one at once, the others after the first ends', async () => {
      // Given draws under the rate for the first, third and fourth executions
      const lines = await withDuplicates('EXPRESS', [0.1, 0.9, 0.2, 0.3]);
      // When four are started
      const first = await start('one', '{"n":1}');
      expect(sfn.runs.map((r) => r.request.name)).toEqual(['one', 'one']); // at once: both run now
      expect(sfn.runs[1].request).toEqual(sfn.runs[0].request);
      expect(sfn.runs[0].request.executionArn).toBe(first.executionArn);
      await start('two', '{"n":2}'); // not drawn
      await start('three', '{"n":3}'); // drawn: after the first ends
      expect(sfn.runs.map((r) => r.request.name)).toEqual(['one', 'one', 'two', 'three']);
      const third = sfn.last();
      third.end({ status: 'FAILED', error: 'States.TaskFailed' });
      await new Promise((r) => setImmediate(r));
      expect(sfn.runs.map((r) => r.request.name)).toEqual(['one', 'one', 'two', 'three', 'three']);
      await start('four', '{"n":4}'); // drawn: at once again
      expect(sfn.runs.map((r) => r.request.name)).toEqual(['one', 'one', 'two', 'three', 'three', 'four', 'four']);
      // Then each second run is announced, naming its execution
      expect(lines).toEqual([
        '  Step Functions: --duplicate-executions: execution one runs a second time (at once)',
        '  Step Functions: --duplicate-executions: execution three runs a second time (after the first ended)',
        '  Step Functions: --duplicate-executions: execution four runs a second time (at once)',
      ]);
    });

    it('STANDARD runs each execution exactly once, whatever the rate', async () => {
      const lines = await withDuplicates('STANDARD', [0, 0, 0]);
      await start('one', '{}');
      await start('two', '{}');
      expect(sfn.runs.map((r) => r.request.name)).toEqual(['one', 'two']);
      expect(lines).toEqual([]);
    });
  });

  it.each([['not json'], ["{'not': 'json'"], ['{"a":'], ['']])(
    'input %j is not JSON: InvalidExecutionInput, nothing runs',
    async (input) => {
      const e = await failure(start('bad', input));
      expect(e).toBeInstanceOf(InvalidExecutionInput);
      expect(e.message).toMatch(/^Invalid State Machine Execution Input: '.+'$/);
      expect(sfn.runs).toHaveLength(0);
    },
  );

  it.each([['2'], ['"some text"'], ['null'], ['[1,2]']])('any JSON value is an input: %s starts', async (input) => {
    await start(undefined, input);
    expect(sfn.last().request.input).toBe(input);
  });

  it('input over 262,144 UTF-8 bytes is a ValidationException (size in bytes, not characters); 262,144 bytes start', async () => {
    // Two-byte characters: 131,072 of them are far under the limit in characters, and over it in bytes.
    const atLimit = `"${'é'.repeat(131_071)}"`;
    expect(Buffer.byteLength(atLimit)).toBe(262_144);
    await start('at-limit', atLimit);
    const e = await failure(start('over', `"${'é'.repeat(131_072)}"`));
    expect(e).toBeInstanceOf(ValidationException);
    expect(e.message).toBe(
      "1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have size less than or equal to 262144 bytes in UTF-8 encoding",
    );
    expect(sfn.runs).toHaveLength(1);
  });

  it('a name of 81 characters is a ValidationException; 80 start', async () => {
    await start('a'.repeat(80));
    const e = await failure(start('a'.repeat(81)));
    expect(e).toBeInstanceOf(ValidationException);
    expect(e.message).toBe(
      `1 validation error detected: Value '${'a'.repeat(81)}' at 'name' failed to satisfy constraint: Member must have length less than or equal to 80`,
    );
  });

  /** A name, shown with its characters outside printable ASCII as code points. */
  const shown = (name: string) =>
    name.replace(/[^\x21-\x7e]/gu, (c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`);
  it.each(
    [...' <>{}[]?*"#%\\^|~`$&,;:/', '\t', '\u0085', '\u00a0', '\u3000', '\ufffe', '\ud800', '\u{10ffff}'].map((c) => [
      shown(`a${c}b`),
      `a${c}b`,
    ]),
  )('the name %s breaks the naming rules: InvalidName', async (_shown, name) => {
    const e = await failure(start(name));
    expect(e).toBeInstanceOf(InvalidName);
    expect(e.message).toBe(`Invalid Name: '${name}'`);
  });

  it('names of letters, digits, - _ . and other Unicode letters are valid', () => {
    for (const name of ['order-1_a.b', 'bestellung-über', '注文', '😀']) expect(isInvalidExecutionName(name)).toBe(false);
  });

  it('a state machine ARN that is not this one is StateMachineDoesNotExist; not an ARN, InvalidArn', async () => {
    const missing = `${ARN}-other`;
    const e = await failure(sfn.client.send(new StartExecutionCommand({ stateMachineArn: missing })));
    expect(e).toBeInstanceOf(StateMachineDoesNotExist);
    expect(e.message).toBe(`State Machine Does Not Exist: '${missing}'`);
    const bad = await failure(sfn.client.send(new StartExecutionCommand({ stateMachineArn: 'not-an-arn' })));
    expect(bad).toBeInstanceOf(InvalidArn);
    expect(bad.message).toBe("Invalid Arn: 'Invalid ARN prefix: not-an-arn'");
    const wrongType = await failure(sfn.client.send(new StartExecutionCommand({ stateMachineArn: EXECUTION('x') })));
    expect(wrongType.message).toBe("Invalid Arn: 'Resource type not valid in this context: execution'");
  });

  it('the model is checked before the state machine, the state machine before the name and input', async () => {
    const missing = `${ARN}-other`;
    expect(await failure(sfn.client.send(new StartExecutionCommand({ stateMachineArn: missing, name: 'a'.repeat(81) })))).toBeInstanceOf(
      ValidationException,
    );
    expect(await failure(sfn.client.send(new StartExecutionCommand({ stateMachineArn: missing, name: 'a b', input: '{' })))).toBeInstanceOf(
      StateMachineDoesNotExist,
    );
  });

  it('without a state machine ARN: ValidationException, as AWS words a missing required member', async () => {
    const e = await failure(sfn.client.send(new StartExecutionCommand({} as never)));
    expect(e).toBeInstanceOf(ValidationException);
    expect(e.message).toBe(
      "1 validation error detected: Value null at 'stateMachineArn' failed to satisfy constraint: Member must not be null",
    );
  });
});

describe('DescribeExecution', () => {
  it('an ended execution: its status, output, stopDate and details flags', async () => {
    await start('e1', '{"a":1}');
    sfn.last().end({ status: 'SUCCEEDED', output: '{"b":2}' });
    const d = await describe_('e1');
    expect(d).toMatchObject({
      status: 'SUCCEEDED',
      input: '{"a":1}',
      output: '{"b":2}',
      inputDetails: { included: true },
      redriveCount: 0,
    });
    expect(d.stopDate!.getTime()).toBeGreaterThanOrEqual(d.startDate!.getTime());
  });

  it('a failed execution: its error and cause', async () => {
    await start('f1');
    sfn.last().end({ status: 'FAILED', error: 'StorageFailed', cause: 'no table' });
    expect(await describe_('f1')).toMatchObject({ status: 'FAILED', error: 'StorageFailed', cause: 'no table' });
  });

  it('an execution that does not exist: ExecutionDoesNotExist; an express or state machine ARN: InvalidArn', async () => {
    const e = await failure(describe_('nope'));
    expect(e).toBeInstanceOf(ExecutionDoesNotExist);
    expect(e.message).toBe(`Execution Does Not Exist: '${EXECUTION('nope')}'`);
    const express = await failure(
      sfn.client.send(new DescribeExecutionCommand({ executionArn: 'arn:aws:states:eu-west-1:123456789012:express:dofs-workflow:a:b' })),
    );
    expect(express).toBeInstanceOf(InvalidArn);
    expect(express.message).toBe("Invalid Arn: 'Resource type not valid in this context: express'");
    expect((await failure(sfn.client.send(new DescribeExecutionCommand({ executionArn: ARN })))).message).toBe(
      "Invalid Arn: 'Resource type not valid in this context: statemachine'",
    );
  });
});

describe('ListExecutions', () => {
  const list = (input: Partial<ConstructorParameters<typeof ListExecutionsCommand>[0]> = {}) =>
    sfn.client.send(new ListExecutionsCommand({ stateMachineArn: ARN, ...input }));

  it('lists the executions, the most recent first, with their status and dates', async () => {
    for (const name of ['l1', 'l2', 'l3']) await start(name);
    sfn.runs[0].end({ status: 'SUCCEEDED', output: '{}' });
    await describe_('l1');
    const res = await list();
    expect(res.executions!.map((e) => [e.name, e.status])).toEqual([
      ['l3', 'RUNNING'],
      ['l2', 'RUNNING'],
      ['l1', 'SUCCEEDED'],
    ]);
    expect(res.executions![2]).toMatchObject({ executionArn: EXECUTION('l1'), stateMachineArn: ARN, redriveCount: 0 });
    expect(res.executions![2].stopDate).toBeInstanceOf(Date);
    expect(res.executions![0]).not.toHaveProperty('stopDate');
    expect(res).not.toHaveProperty('nextToken');
  });

  it('statusFilter lists only the executions of that status', async () => {
    for (const name of ['a', 'b', 'c']) await start(name);
    sfn.runs[1].end({ status: 'FAILED', error: 'E', cause: 'C' });
    sfn.runs[2].end({ status: 'SUCCEEDED', output: '{}' });
    const names = async (statusFilter: 'RUNNING' | 'FAILED' | 'ABORTED' | 'SUCCEEDED') =>
      (await list({ statusFilter })).executions!.map((e) => e.name);
    expect(await names('RUNNING')).toEqual(['a']);
    expect(await names('FAILED')).toEqual(['b']);
    expect(await names('SUCCEEDED')).toEqual(['c']);
    expect(await names('ABORTED')).toEqual([]);
  });

  it('pages with maxResults and nextToken: the SDK paginator sees every execution once', async () => {
    for (let i = 0; i < 7; i++) await start(`p${i}`);
    const first = await list({ maxResults: 3 });
    expect(first.executions).toHaveLength(3);
    expect(first.nextToken).toEqual(expect.any(String));
    const pages = [];
    for await (const page of paginateListExecutions({ client: sfn.client, pageSize: 3 }, { stateMachineArn: ARN }))
      pages.push(page.executions!.map((e) => e.name));
    expect(pages).toEqual([['p6', 'p5', 'p4'], ['p3', 'p2', 'p1'], ['p0']]);
  });

  it('maxResults 0 means the default page of 100', async () => {
    for (let i = 0; i < 101; i++) await start(`d${i}`);
    const res = await list({ maxResults: 0 });
    expect(res.executions).toHaveLength(100);
    expect(res.nextToken).toBeDefined();
  });

  it('a token it did not give: InvalidToken; constraints broken: ValidationException, worded as AWS words them', async () => {
    expect(await failure(list({ nextToken: 'not-a-token' }))).toBeInstanceOf(InvalidToken);
    expect((await failure(list({ maxResults: 1001 }))).message).toBe(
      "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000",
    );
    expect((await failure(list({ statusFilter: 'succeeded' as never }))).message).toBe(
      "1 validation error detected: Value 'succeeded' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]",
    );
    const both = await failure(list({ maxResults: 1001, nextToken: 'x'.repeat(3097) }));
    expect(both.message).toMatch(
      /^2 validation errors detected: Value '1001' at 'maxResults' .*; Value 'x{3097}' at 'nextToken' failed to satisfy constraint: Member must have length less than or equal to 3096$/,
    );
  });

  it('an unknown state machine: StateMachineDoesNotExist; an EXPRESS one: StateMachineTypeNotSupported', async () => {
    expect(await failure(list({ stateMachineArn: `${ARN}-other` }))).toBeInstanceOf(StateMachineDoesNotExist);
    await sfn.stop();
    sfn = await startEndpoint({ type: 'EXPRESS' });
    const e = await failure(list());
    expect(e).toBeInstanceOf(StateMachineTypeNotSupported);
    expect(e.message).toBe('This operation is not supported by this type of state machine');
  });
});

describe('ListStateMachines and DescribeStateMachine', () => {
  it('list the one state machine with its type and creation date', async () => {
    const res = await sfn.client.send(new ListStateMachinesCommand({}));
    expect(res.stateMachines).toEqual([
      { stateMachineArn: ARN, name: 'dofs-workflow', type: 'STANDARD', creationDate: new Date(1_700_000_000_000) },
    ]);
    expect(res).not.toHaveProperty('nextToken');
  });

  it('describe it: definition, role, type, status and its logging and tracing', async () => {
    await sfn.stop();
    sfn = await startEndpoint({
      loggingConfiguration: { level: 'ERROR', includeExecutionData: false },
      tracingConfiguration: { enabled: true },
    });
    const d = await sfn.client.send(new DescribeStateMachineCommand({ stateMachineArn: ARN }));
    expect(d).toMatchObject({
      stateMachineArn: ARN,
      name: 'dofs-workflow',
      status: 'ACTIVE',
      definition: DEFINITION,
      roleArn: 'arn:aws:iam::123456789012:role/dofs-workflow-role',
      type: 'STANDARD',
      loggingConfiguration: { level: 'ERROR', includeExecutionData: false },
      tracingConfiguration: { enabled: true },
    });
    expect(d.creationDate).toEqual(new Date(1_700_000_000_000));
  });

  it('another state machine: StateMachineDoesNotExist; not an ARN: InvalidArn', async () => {
    const other = `${ARN}-other`;
    const e = await failure(sfn.client.send(new DescribeStateMachineCommand({ stateMachineArn: other })));
    expect(e).toBeInstanceOf(StateMachineDoesNotExist);
    expect(e.message).toBe(`State Machine Does Not Exist: '${other}'`);
    expect(await failure(sfn.client.send(new DescribeStateMachineCommand({ stateMachineArn: 'not_a_valid_arn' })))).toBeInstanceOf(
      InvalidArn,
    );
  });
});

describe('GetExecutionHistory', () => {
  /** Events as the runner keeps them (timestamps in ms). */
  const recorded = (n: number): HistoryEvent[] =>
    Array.from({ length: n }, (_, i) => ({
      id: i + 1,
      previousEventId: i < 2 ? 0 : i,
      timestamp: 1_700_000_000_000 + i * 1500,
      type: i === 0 ? 'ExecutionStarted' : 'PassStateEntered',
      ...(i === 0
        ? {
            executionStartedEventDetails: {
              input: '{"a":1}',
              inputDetails: { truncated: false },
              roleArn: 'arn:aws:iam::123456789012:role/r',
            },
          }
        : { stateEnteredEventDetails: { name: `S${i}`, input: '{"a":1}', inputDetails: { truncated: false } } }),
    }));
  const history = (input: Partial<ConstructorParameters<typeof GetExecutionHistoryCommand>[0]> = {}) =>
    sfn.client.send(new GetExecutionHistoryCommand({ executionArn: EXECUTION('h'), ...input }));

  beforeEach(async () => {
    await start('h', '{"a":1}');
    sfn.histories.set(EXECUTION('h'), recorded(5));
  });

  it('returns the runner’s events oldest first, timestamps as dates, with their details', async () => {
    const res = await history();
    expect(res.events!.map((e) => [e.id, e.previousEventId, e.type])).toEqual([
      [1, 0, 'ExecutionStarted'],
      [2, 0, 'PassStateEntered'],
      [3, 2, 'PassStateEntered'],
      [4, 3, 'PassStateEntered'],
      [5, 4, 'PassStateEntered'],
    ]);
    expect(res.events![1].timestamp).toEqual(new Date(1_700_000_001_500));
    expect(res.events![0].executionStartedEventDetails).toEqual({
      input: '{"a":1}',
      inputDetails: { truncated: false },
      roleArn: 'arn:aws:iam::123456789012:role/r',
    });
    expect(res).not.toHaveProperty('nextToken');
  });

  it('reverseOrder lists the newest first; maxResults and nextToken page it, and the SDK paginator sees each event once', async () => {
    expect((await history({ reverseOrder: true })).events!.map((e) => e.id)).toEqual([5, 4, 3, 2, 1]);
    const first = await history({ maxResults: 2 });
    expect(first.events!.map((e) => e.id)).toEqual([1, 2]);
    expect((await history({ maxResults: 2, nextToken: first.nextToken })).events!.map((e) => e.id)).toEqual([3, 4]);
    const pages = [];
    for await (const page of paginateGetExecutionHistory(
      { client: sfn.client, pageSize: 2 },
      { executionArn: EXECUTION('h'), reverseOrder: true },
    ))
      pages.push(page.events!.map((e) => e.id));
    expect(pages).toEqual([[5, 4], [3, 2], [1]]);
  });

  it('includeExecutionData false leaves the inputs and outputs out', async () => {
    const res = await history({ includeExecutionData: false });
    expect(res.events![0].executionStartedEventDetails).toEqual({
      inputDetails: { truncated: false },
      roleArn: 'arn:aws:iam::123456789012:role/r',
    });
    expect(res.events![1].stateEnteredEventDetails).toEqual({ name: 'S1', inputDetails: { truncated: false } });
  });

  it('an unknown execution: ExecutionDoesNotExist; an express or state machine ARN: InvalidArn; a foreign token: InvalidToken', async () => {
    const e = await failure(history({ executionArn: EXECUTION('nope') }));
    expect(e).toBeInstanceOf(ExecutionDoesNotExist);
    expect(e.message).toBe(`Execution Does Not Exist: '${EXECUTION('nope')}'`);
    const express = await failure(history({ executionArn: 'arn:aws:states:eu-west-1:123456789012:express:dofs-workflow:a:b' }));
    expect(express).toBeInstanceOf(InvalidArn);
    expect(express.message).toBe("Invalid Arn: 'Resource type not valid in this context: express'");
    expect((await failure(history({ executionArn: 'invalid_state_machine_arn' }))).message).toBe(
      "Invalid Arn: 'Invalid ARN prefix: invalid_state_machine_arn'",
    );
    expect(await failure(history({ nextToken: 'not-a-token' }))).toBeInstanceOf(InvalidToken);
  });

  it('constraints broken: ValidationException in AWS’s words', async () => {
    expect((await failure(history({ maxResults: 1001 }))).message).toBe(
      "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000",
    );
    expect((await failure(history({ nextToken: 't'.repeat(1025) }))).message).toBe(
      `1 validation error detected: Value '${'t'.repeat(1025)}' at 'nextToken' failed to satisfy constraint: Member must have length less than or equal to 1024`,
    );
  });
});

describe('StopExecution', () => {
  const stop = (name: string, input: { error?: string; cause?: string } = {}) =>
    sfn.client.send(new StopExecutionCommand({ executionArn: EXECUTION(name), ...input }));

  it('a running execution: ABORTED at once with the error and cause given, and the runner told to stop it', async () => {
    await start('s1');
    const res = await stop('s1', { error: 'Operator', cause: 'stopped by hand' });
    expect(res.stopDate).toBeInstanceOf(Date);
    expect(sfn.stops).toEqual([{ executionArn: EXECUTION('s1'), reason: { error: 'Operator', cause: 'stopped by hand' } }]);
    const d = await describe_('s1');
    expect(d).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'stopped by hand' });
    expect(d.stopDate).toEqual(res.stopDate);
    const aborted = await sfn.client.send(new ListExecutionsCommand({ stateMachineArn: ARN, statusFilter: 'ABORTED' }));
    expect(aborted.executions!.map((e) => e.name)).toEqual(['s1']);
  });

  it('the runner’s late outcome does not change an aborted execution; its name stays taken', async () => {
    await start('s2', '{}');
    await stop('s2');
    sfn.last().end({ status: 'SUCCEEDED', output: '{}' });
    const d = await describe_('s2');
    expect(d.status).toBe('ABORTED');
    expect(d).not.toHaveProperty('output');
    expect(d).not.toHaveProperty('error');
    expect(await failure(start('s2', '{}'))).toBeInstanceOf(ExecutionAlreadyExists);
  });

  it('an execution that has ended: no error, nothing changes, its stop date is returned', async () => {
    await start('s3');
    sfn.last().end({ status: 'SUCCEEDED', output: '{"ok":true}' });
    const before = await describe_('s3');
    const res = await stop('s3', { error: 'late' });
    expect(res.stopDate).toEqual(before.stopDate);
    const after = await describe_('s3');
    expect({ ...after, $metadata: undefined }).toEqual({ ...before, $metadata: undefined });
    expect(sfn.stops).toEqual([]);
  });

  it('the runner decides: one that has ended there, its outcome still on the way, is not ABORTED', async () => {
    await start('s5');
    sfn.last().ended = true; // ended in the runner; the outcome not yet delivered
    await stop('s5');
    expect(sfn.stops.map((x) => x.executionArn)).toEqual([EXECUTION('s5')]);
    expect((await describe_('s5')).status).toBe('RUNNING');
    sfn.last().end({ status: 'SUCCEEDED', output: '{}' });
    expect((await describe_('s5')).status).toBe('SUCCEEDED');
  });

  it('an unknown execution: ExecutionDoesNotExist; an express ARN: InvalidArn; error or cause too long: ValidationException', async () => {
    expect(await failure(stop('nope'))).toBeInstanceOf(ExecutionDoesNotExist);
    const express = await failure(
      sfn.client.send(new StopExecutionCommand({ executionArn: 'arn:aws:states:eu-west-1:123456789012:express:dofs-workflow:a:b' })),
    );
    expect(express).toBeInstanceOf(InvalidArn);
    await start('s4');
    const long = await failure(stop('s4', { error: 'e'.repeat(257), cause: 'c'.repeat(32769) }));
    expect(long).toBeInstanceOf(ValidationException);
    // error and cause are sensitive: their values stay out of the message.
    expect(long.message).toBe(
      "2 validation errors detected: Value at 'error' failed to satisfy constraint: Member must have length less than or equal to 256; " +
        "Value at 'cause' failed to satisfy constraint: Member must have length less than or equal to 32768",
    );
    expect((await describe_('s4')).status).toBe('RUNNING');
  });
});

describe('malformed requests: 4xx with the AWS JSON error shape, never a 500', () => {
  it.each([
    [
      'a body that is not JSON',
      'AWSStepFunctions.StartExecution',
      '{"stateMachineArn":',
      'com.amazon.coral.service#SerializationException',
    ],
    ['an empty body', 'AWSStepFunctions.ListStateMachines', '', 'com.amazon.coral.service#SerializationException'],
    ['a JSON array', 'AWSStepFunctions.ListStateMachines', '[]', 'com.amazon.coral.service#SerializationException'],
    [
      'a member of the wrong type',
      'AWSStepFunctions.StartExecution',
      `{"stateMachineArn":"${ARN}","name":5}`,
      'com.amazon.coral.service#SerializationException',
    ],
    [
      'a maxResults that is not an integer',
      'AWSStepFunctions.ListExecutions',
      `{"stateMachineArn":"${ARN}","maxResults":1.5}`,
      'com.amazon.coral.service#SerializationException',
    ],
    ['a missing required member', 'AWSStepFunctions.DescribeExecution', '{}', 'com.amazon.coral.validate#ValidationException'],
    [
      'an operation Step Functions does not have',
      'AWSStepFunctions.Frobnicate',
      '{}',
      'com.amazon.coral.service#UnknownOperationException',
    ],
    [
      'an operation the local endpoint does not serve',
      'AWSStepFunctions.CreateStateMachine',
      '{}',
      'com.amazon.coral.service#UnknownOperationException',
    ],
    ['another service', 'DynamoDB_20120810.ListTables', '{}', 'com.amazon.coral.service#UnknownOperationException'],
    ['no X-Amz-Target', undefined, '{}', 'com.amazon.coral.service#UnknownOperationException'],
  ])('%s', async (_what, target, body, type) => {
    const res = await raw(target, body);
    expect(res.status).toBe(400);
    expect(Object.keys(res.body).sort()).toEqual(['__type', 'message']);
    expect(res.body.__type).toBe(type);
    expect(res.body.message).toEqual(expect.any(String));
  });

  it.each([
    ['application/json', 'application/json'],
    ['text/plain', 'text/plain'],
    ['the JSON 1.1 media type', 'application/x-amz-json-1.1'],
    ['no Content-Type', null],
  ])('%s: 415 UnsupportedMediaTypeException, before the body is read', async (_what, contentType) => {
    const res = await raw('AWSStepFunctions.ListStateMachines', 'not even json', contentType);
    expect(res.status).toBe(415);
    expect(res.body.__type).toBe('com.amazon.coral.service#UnsupportedMediaTypeException');
    expect(res.body.message).toContain('application/x-amz-json-1.0');
  });

  it('the media type’s parameters and case are ignored', async () => {
    expect((await raw('AWSStepFunctions.ListStateMachines', '{}', 'Application/X-Amz-Json-1.0; charset=utf-8')).status).toBe(200);
  });

  it("Step Functions' own errors carry its namespace, which the SDK strips", async () => {
    const res = await raw('AWSStepFunctions.DescribeExecution', JSON.stringify({ executionArn: EXECUTION('nope') }));
    expect(res).toEqual({
      status: 400,
      body: {
        __type: 'com.amazonaws.swf.service.v2.model#ExecutionDoesNotExist',
        message: `Execution Does Not Exist: '${EXECUTION('nope')}'`,
      },
    });
  });

  it('unknown members are ignored and a null member counts as absent', async () => {
    const res = await raw('AWSStepFunctions.StartExecution', JSON.stringify({ stateMachineArn: ARN, name: null, extra: { any: 1 } }));
    expect(res.status).toBe(200);
  });
});
