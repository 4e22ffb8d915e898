import {
  type ErrorList,
  LAMBDA_TASK_TIMEOUT_MARGIN_SECONDS,
  type StateFactory,
  TRANSIENT_LAMBDA_ERRORS,
  WorkflowBuilder,
  WorkflowValidationError,
  fragment,
  lambdaFn,
} from '../../components/workflow';

type In = { orderId: string; n: number; ok: boolean };
const echo = lambdaFn<(i: In) => Promise<In>>('arn:aws:lambda:eu-west-1:1:function:echo');

describe('WorkflowBuilder.validate', () => {
  it('accepts a well-formed machine and derives Next/End', () => {
    const wf = new WorkflowBuilder<In>();
    const a = wf.start().lambda('A', { fn: echo });
    a.next().lambda('B', { fn: echo });
    expect(wf.validate(a)).toEqual([]);
    const states = wf.build(a).render().definition.States as Record<string, Record<string, unknown>>;
    expect(states.A.Next).toBe('B');
    expect(states.A.End).toBeUndefined();
    expect(states.B.End).toBe(true);
  });

  it('reports duplicate names', () => {
    const wf = new WorkflowBuilder<In>();
    const a = wf.start().lambda('Same', { fn: echo });
    a.next().lambda('Same', { fn: echo });
    expect(wf.validate(a)).toContain("duplicate state name 'Same' (2 states)");
  });

  it('reports a state reused by calling next() twice', () => {
    const wf = new WorkflowBuilder<In>();
    const a = wf.start().lambda('A', { fn: echo });
    a.next().succeed('B');
    a.next().succeed('C');
    expect(wf.validate(a)).toEqual(
      expect.arrayContaining(["state 'A' is reused: next() was called twice ('B', then 'C')", "state 'C' is unreachable from 'A'"]),
    );
  });

  it('reports a state that belongs to another workflow', () => {
    const other = new WorkflowBuilder<In>();
    const foreign = other.start().succeed('Foreign');
    const wf = new WorkflowBuilder<In>();
    const a = wf.start().lambda('A', { fn: echo });
    a.next(foreign);
    expect(wf.validate(a)).toContain("state 'Foreign' is reused: it belongs to another workflow");
  });

  it('reports unreachable (orphan) states', () => {
    const wf = new WorkflowBuilder<In>();
    const a = wf.start().lambda('A', { fn: echo });
    wf.start().fail('Orphan', { error: 'X' });
    expect(wf.validate(a)).toEqual(["state 'Orphan' is unreachable from 'A'"]);
  });

  it('reports a Choice with no rules', () => {
    const wf = new WorkflowBuilder<In>();
    const a = wf.start().lambda('A', { fn: echo });
    a.next().choice('Empty').otherwise().succeed('Done');
    expect(wf.validate(a)).toEqual(["choice 'Empty' has no rules"]);
  });

  it('reports states with no path to a terminal state', () => {
    const wf = new WorkflowBuilder<In>();
    const wait = wf.start().wait('Wait', 1);
    const loop = wait.next().choice('Loop');
    loop.when((c) => c.booleanEquals('$.ok', true), wait).otherwise(wait);
    expect(wf.validate(wait)).toEqual([
      "state 'Wait' has no path to a terminal state (Succeed, Fail or End)",
      "state 'Loop' has no path to a terminal state (Succeed, Fail or End)",
    ]);
  });

  it('reports States.ALL that does not stand alone and last, and unknown error names', () => {
    const wf = new WorkflowBuilder<In>();
    const a = wf.start().lambda('A', {
      fn: echo,
      retry: [{ errors: ['States.ALL'] }, { errors: ['TransientError'] }],
    });
    // Bypasses the ErrorList type on purpose, as JavaScript callers could.
    const done = a.next().succeed('Done');
    a.catch(done, { errors: ['States.ALL', 'TransientError'] as unknown as ErrorList });
    a.catch(done, { errors: ['NoSuchError'] as unknown as ErrorList });
    expect(wf.validate(a)).toEqual([
      "state 'A': Retry rule 1 uses 'States.ALL' but is not the last rule",
      "state 'A': Catch rule 1 lists 'States.ALL' with other errors; it must stand alone",
      "state 'A': Catch rule 1 uses 'States.ALL' but is not the last rule",
      "state 'A': Catch names unknown error 'NoSuchError'",
    ]);
  });

  it('build() throws one error listing every problem at once', () => {
    const wf = new WorkflowBuilder<In>();
    const a = wf.start().lambda('A', { fn: echo });
    a.next().choice('Empty');
    wf.start().succeed('Orphan');
    let thrown: unknown;
    try {
      wf.build(a);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(WorkflowValidationError);
    expect((thrown as WorkflowValidationError).problems).toEqual(["state 'Orphan' is unreachable from 'A'", "choice 'Empty' has no rules"]);
    expect((thrown as Error).message).toContain('2 problems');
  });

  it('applies the default retry policy once, with per-rule overrides', () => {
    const wf = new WorkflowBuilder<In>({ defaultRetry: { maxDelaySeconds: 5 } });
    const a = wf.start().lambda('A', { fn: echo, retry: [{ errors: TRANSIENT_LAMBDA_ERRORS, maxAttempts: 6 }] });
    const asl = wf.build(a).render().definition.States as Record<string, { Retry: unknown[] }>;
    expect(asl.A.Retry).toEqual([
      {
        ErrorEquals: [...TRANSIENT_LAMBDA_ERRORS],
        IntervalSeconds: 1,
        MaxAttempts: 6,
        BackoffRate: 2,
        MaxDelaySeconds: 5,
        JitterStrategy: 'FULL',
      },
    ]);
  });

  describe('timeouts', () => {
    const fn10 = lambdaFn<(i: In) => Promise<In>>('arn:aws:lambda:eu-west-1:1:function:ten', 10);

    it("renders a Lambda task's TimeoutSeconds just above its function's timeout", () => {
      const wf = new WorkflowBuilder<In>();
      const a = wf.start().lambda('A', { fn: fn10 });
      const states = wf.build(a).render().definition.States as Record<string, { TimeoutSeconds: number }>;
      expect(states.A.TimeoutSeconds).toBe(10 + LAMBDA_TASK_TIMEOUT_MARGIN_SECONDS);
    });

    it("reports a Lambda task's TimeoutSeconds at or below its function's timeout, or far above it", () => {
      for (const timeoutSeconds of [5, 10, 10 + LAMBDA_TASK_TIMEOUT_MARGIN_SECONDS + 1]) {
        const wf = new WorkflowBuilder<In>();
        const a = wf.start().lambda('A', { fn: fn10, timeoutSeconds });
        expect(wf.validate(a)).toEqual([
          `state 'A': TimeoutSeconds ${timeoutSeconds} must be above its function's timeout of 10 s and at most ${LAMBDA_TASK_TIMEOUT_MARGIN_SECONDS} s more (11-22)`,
        ]);
      }
      const wf = new WorkflowBuilder<In>();
      expect(wf.validate(wf.start().lambda('A', { fn: fn10, timeoutSeconds: 11 }))).toEqual([]);
    });

    it('reports a Lambda task that retries, but not timeouts and the Lambda service errors', () => {
      const wf = new WorkflowBuilder<In>();
      const a = wf.start().lambda('A', { fn: fn10, retry: [{ errors: ['TransientError', 'States.Timeout', 'Lambda.ServiceException'] }] });
      expect(wf.validate(a)).toEqual([
        "state 'A': Retry does not name Sandbox.Timedout, Lambda.Unknown, Lambda.ClientExecutionTimeoutException, Lambda.AWSLambdaException, " +
          'Lambda.SdkClientException, Lambda.TooManyRequestsException: a timeout or a Lambda service error would fail the state at once',
      ]);
      // a task that retries nothing, or everything, is left to its author
      const none = new WorkflowBuilder<In>();
      expect(none.validate(none.start().lambda('A', { fn: fn10, retry: false }))).toEqual([]);
      const all = new WorkflowBuilder<In>();
      expect(all.validate(all.start().lambda('A', { fn: fn10, retry: [{ errors: ['States.ALL'] }] }))).toEqual([]);
    });

    it('reports an execution TimeoutSeconds below the worst case of its longest path, and names the path', () => {
      // Given two tasks of 22 s each, retried 3 times with 1 + 2 + 4 s of backoff: 2 × (4 × 22 + 7) = 190 s
      const build = (timeoutSeconds: number) => {
        const wf = new WorkflowBuilder<In>({ timeoutSeconds });
        const a = wf.start().lambda('A', { fn: fn10 });
        return { wf, a, b: a.next().lambda('B', { fn: fn10 }) };
      };
      const short = build(189);
      expect(short.wf.validate(short.a)).toEqual([
        "the execution's TimeoutSeconds 189 is shorter than its worst case, 190 s when every task on A → B times out after all its retries: " +
          'such an execution would end TIMED_OUT, with no Catch to run',
      ]);
      const enough = build(190);
      expect(enough.wf.validate(enough.a)).toEqual([]);
    });
  });

  it('renders a Fail with both error and errorPath as a problem', () => {
    const wf = new WorkflowBuilder<In>();
    const f = wf.start().fail('F', { error: 'E', errorPath: '$.orderId' });
    expect(wf.validate(f)).toEqual(["state 'F': 'error' and 'errorPath' are both set; give one"]);
  });

  it('renders path references and intrinsics as "<key>.$" fields', () => {
    const wf = new WorkflowBuilder<In>();
    const p = wf.start().pass('P', { parameters: ($) => ({ id: $('$.orderId'), nested: { n: $('$.n') }, fixed: 'x' }) });
    const states = wf.build(p).render().definition.States as Record<string, unknown>;
    expect(states.P).toEqual({ Type: 'Pass', Parameters: { 'id.$': '$.orderId', nested: { 'n.$': '$.n' }, fixed: 'x' }, End: true });
  });
});

describe('continuations', () => {
  type Caught = In & { error: { Error: string; Cause: string } };

  it('wires the state each factory makes: next(), when(), otherwise() and a catch continuation', () => {
    // Given a task, a choice after it and a catch route, each made from the state before it
    const wf = new WorkflowBuilder<In>();
    const a = wf.start().lambda('A', { fn: echo });
    const c = a.next().choice('C');
    c.when((x) => x.booleanEquals('$.ok', true)).succeed('Ok');
    c.otherwise().pass('Shape', { parameters: ($) => ({ id: $('$.orderId') }) });
    a.catch((from) => from.fail('Failed', { errorPath: '$.error.Error' }));
    // When it is built
    const states = wf.build(a).render().definition.States as Record<string, Record<string, unknown>>;
    // Then every transition was derived from where the state was made
    expect(states.A).toMatchObject({ Next: 'C', Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Failed' }] });
    expect(states.C).toMatchObject({ Choices: [{ Variable: '$.ok', BooleanEquals: true, Next: 'Ok' }], Default: 'Shape' });
    expect(states.Shape.End).toBe(true);
  });

  it('joins an existing state, and wires the state a continuation returns when it made none', () => {
    const wf = new WorkflowBuilder<In>();
    const a = wf.start().lambda('A', { fn: echo });
    const done = a.next().succeed('Done');
    const b = wf.start().lambda('B', { fn: echo });
    a.catch(() => b);
    b.next(done);
    const states = wf.build(a).render().definition.States as Record<string, Record<string, unknown>>;
    expect(states.A.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'B' }]);
    expect(states.B.Next).toBe('Done');
  });

  it("makes a fragment's states anew at each use, wherever the payload fits its declared input", () => {
    // Given a fragment that needs the error at $.error
    const wf = new WorkflowBuilder<In>();
    const failed = (name: string) => fragment((from: StateFactory<Caught>) => from.fail(name, { causePath: '$.error.Cause' }));
    // When two tasks use it
    const a = wf.start().lambda('A', { fn: echo });
    a.catch(failed('AFailed')).next().lambda('B', { fn: echo }).catch(failed('BFailed'));
    // Then each has its own route
    const states = wf.build(a).render().definition.States as Record<string, Record<string, unknown>>;
    expect(states.AFailed).toEqual({ Type: 'Fail', CausePath: '$.error.Cause' });
    expect(states.BFailed).toEqual({ Type: 'Fail', CausePath: '$.error.Cause' });
  });

  it('reports a factory that made no state', () => {
    const wf = new WorkflowBuilder<In>();
    const a = wf.start().lambda('A', { fn: echo });
    const c = a.next().choice('C');
    c.when((x) => x.booleanEquals('$.ok', true));
    c.when((x) => x.numericEquals('$.n', 1)).succeed('One');
    c.otherwise().lambda('B', { fn: echo }).next();
    expect(wf.validate(a)).toEqual(["state 'C': rule 1 ($.ok == true) made no state", "state 'B': next() made no state"]);
    const d = wf.start().choice('D');
    d.when((x) => x.booleanEquals('$.ok', true)).succeed('Ok');
    d.otherwise();
    expect(wf.validate(d)).toContain("state 'D': otherwise() made no state");
  });

  it('reports a factory used for two states', () => {
    const wf = new WorkflowBuilder<In>();
    const a = wf.start().lambda('A', { fn: echo });
    const c = a.next().choice('C');
    const branch = c.when((x) => x.booleanEquals('$.ok', true));
    branch.succeed('Ok');
    branch.succeed('AlsoOk');
    c.otherwise().succeed('Done');
    a.catch((from) => {
      from.succeed('Caught');
      return from.succeed('CaughtAgain');
    });
    expect(wf.validate(a)).toEqual(
      expect.arrayContaining([
        "state 'C': rule 1 was given two states ('Ok', then 'AlsoOk')",
        "state 'A': a catch continuation made two states ('Caught', then 'CaughtAgain')",
        "state 'AlsoOk' is unreachable from 'A'",
        "state 'CaughtAgain' is unreachable from 'A'",
      ]),
    );
  });
});

describe('Workflow.toMermaid', () => {
  it('draws transitions, choice labels and catch routes', () => {
    const wf = new WorkflowBuilder<In>();
    const a = wf.start().lambda('A', { fn: echo });
    const c = a.next().choice('C');
    c.when((x) => x.booleanEquals('$.ok', true)).succeed('Ok');
    const bad = c.otherwise().fail('Bad', { error: 'X' });
    a.catch(bad);
    expect(wf.build(a).toMermaid()).toBe(
      [
        'flowchart TD',
        '  start((start)) --> s0',
        '  s0["A"]',
        '  s1{"C"}',
        '  s2[["Bad"]]',
        '  s3(["Ok"])',
        '  s0 --> s1',
        '  s0 -. "catch States.ALL" .-> s2',
        '  s1 -- "$.ok == true" --> s3',
        '  s1 -- "otherwise" --> s2',
        '',
      ].join('\n'),
    );
  });
});
