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
    const run = makeInterpreter(
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
    const outcomes = [1, 2, 3, 4].map((n) => run({ executionArn: `arn:x:${n}`, name: `e${n}`, input: JSON.stringify({ n }) }));
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
    const run = makeInterpreter(
      {
        definition,
        tasks: { Work: () => Promise.reject(Object.assign(new Error('no stock'), { name: 'OutOfStock' })) },
        retryIntervalMs: 1,
        maxConcurrent: 1,
      },
      () => undefined,
    );
    expect(await run({ executionArn: 'arn:x:f', name: 'f', input: '{}' })).toEqual({
      status: 'FAILED',
      error: 'OutOfStock',
      cause: 'no stock',
    });
  });
});
