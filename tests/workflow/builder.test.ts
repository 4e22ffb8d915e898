import { WorkflowBuilder, WorkflowValidationError, lambdaFn, type ErrorList } from '../../components/workflow';

type In = { orderId: string; n: number; ok: boolean };
const echo = lambdaFn<(i: In) => Promise<In>>('arn:aws:lambda:eu-west-1:1:function:echo');

describe('WorkflowBuilder.validate', () => {
  it('accepts a well-formed machine and derives Next/End', () => {
    const wf = new WorkflowBuilder<In>();
    const a = wf.lambda('A', { fn: echo });
    const b = wf.lambda('B', { fn: echo });
    a.next(b);
    expect(wf.validate(a)).toEqual([]);
    const states = wf.build(a).render().definition.States as Record<string, Record<string, unknown>>;
    expect(states.A.Next).toBe('B');
    expect(states.A.End).toBeUndefined();
    expect(states.B.End).toBe(true);
  });

  it('reports duplicate names', () => {
    const wf = new WorkflowBuilder<In>();
    const a = wf.lambda('Same', { fn: echo });
    a.next(wf.lambda('Same', { fn: echo }));
    expect(wf.validate(a)).toContain("duplicate state name 'Same' (2 states)");
  });

  it('reports a state reused by calling next() twice', () => {
    const wf = new WorkflowBuilder<In>();
    const a = wf.lambda('A', { fn: echo });
    a.next(wf.given<In>().succeed('B'));
    a.next(wf.given<In>().succeed('C'));
    expect(wf.validate(a)).toEqual(
      expect.arrayContaining(["state 'A' is reused: next() was called twice ('B', then 'C')", "state 'C' is unreachable from 'A'"]),
    );
  });

  it('reports a state that belongs to another workflow', () => {
    const other = new WorkflowBuilder<In>();
    const foreign = other.given<In>().succeed('Foreign');
    const wf = new WorkflowBuilder<In>();
    const a = wf.lambda('A', { fn: echo });
    a.next(foreign);
    expect(wf.validate(a)).toContain("state 'Foreign' is reused: it belongs to another workflow");
  });

  it('reports unreachable (orphan) states', () => {
    const wf = new WorkflowBuilder<In>();
    const a = wf.lambda('A', { fn: echo });
    wf.given<In>().fail('Orphan', { error: 'X' });
    expect(wf.validate(a)).toEqual(["state 'Orphan' is unreachable from 'A'"]);
  });

  it('reports a Choice with no rules', () => {
    const wf = new WorkflowBuilder<In>();
    const a = wf.lambda('A', { fn: echo });
    const c = wf.given<In>().choice('Empty');
    a.next(c);
    c.otherwise(wf.given<In>().succeed('Done'));
    expect(wf.validate(a)).toEqual(["choice 'Empty' has no rules"]);
  });

  it('reports states with no path to a terminal state', () => {
    const wf = new WorkflowBuilder<In>();
    const wait = wf.given<In>().wait('Wait', 1);
    const loop = wf.given<In>().choice('Loop');
    wait.next(loop);
    loop.when((c) => c.booleanEquals('$.ok', true), wait).otherwise(wait);
    expect(wf.validate(wait)).toEqual([
      "state 'Wait' has no path to a terminal state (Succeed, Fail or End)",
      "state 'Loop' has no path to a terminal state (Succeed, Fail or End)",
    ]);
  });

  it('reports States.ALL that does not stand alone and last, and unknown error names', () => {
    const wf = new WorkflowBuilder<In>();
    const done = wf.given<In>().succeed('Done');
    const a = wf.lambda('A', {
      fn: echo,
      retry: [{ errors: ['States.ALL'] }, { errors: ['TransientError'] }],
    });
    // Bypasses the ErrorList type on purpose, as JavaScript callers could.
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
    const a = wf.lambda('A', { fn: echo });
    a.next(wf.given<In>().choice('Empty'));
    wf.given<In>().succeed('Orphan');
    let thrown: unknown;
    try {
      wf.build(a);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(WorkflowValidationError);
    expect((thrown as WorkflowValidationError).problems).toEqual([
      "state 'Orphan' is unreachable from 'A'",
      "choice 'Empty' has no rules",
    ]);
    expect((thrown as Error).message).toContain('2 problems');
  });

  it('applies the default retry policy once, with per-rule overrides', () => {
    const wf = new WorkflowBuilder<In>({ defaultRetry: { maxDelaySeconds: 5 } });
    const a = wf.lambda('A', { fn: echo, retry: [{ errors: ['TransientError'], maxAttempts: 6 }] });
    const asl = wf.build(a).render().definition.States as Record<string, { Retry: unknown[] }>;
    expect(asl.A.Retry).toEqual([
      { ErrorEquals: ['TransientError'], IntervalSeconds: 1, MaxAttempts: 6, BackoffRate: 2, MaxDelaySeconds: 5, JitterStrategy: 'FULL' },
    ]);
  });

  it('renders a Fail with both error and errorPath as a problem', () => {
    const wf = new WorkflowBuilder<In>();
    const f = wf.given<In>().fail('F', { error: 'E', errorPath: '$.orderId' });
    expect(wf.validate(f)).toEqual(["state 'F': 'error' and 'errorPath' are both set; give one"]);
  });

  it('renders path references and intrinsics as "<key>.$" fields', () => {
    const wf = new WorkflowBuilder<In>();
    const p = wf.given<In>().pass('P', { parameters: ($) => ({ id: $('$.orderId'), nested: { n: $('$.n') }, fixed: 'x' }) });
    const states = wf.build(p).render().definition.States as Record<string, unknown>;
    expect(states.P).toEqual({ Type: 'Pass', Parameters: { 'id.$': '$.orderId', nested: { 'n.$': '$.n' }, fixed: 'x' }, End: true });
  });
});

describe('Workflow.toMermaid', () => {
  it('draws transitions, choice labels and catch routes', () => {
    const wf = new WorkflowBuilder<In>();
    const a = wf.lambda('A', { fn: echo });
    const c = wf.given<In>().choice('C');
    const ok = wf.given<In>().succeed('Ok');
    const bad = wf.given<In>().fail('Bad', { error: 'X' });
    a.catch(bad).next(c).when((x) => x.booleanEquals('$.ok', true), ok).otherwise(bad);
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
