/**
 * The Lambda runtime's contract as the local sandboxes keep it (local/lambdaRuntime.js, after
 * aws-lambda-ric): what a thrown value becomes, and how the state machine sees it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FunctionError, LocalFunction, type LocalFunctionSpec } from '../../local/functions';
import { lambdaTask, makeInterpreter } from '../../local/interpreter';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dofs-runtime-'));
  // A bundle that does what the event says. `native` fails as a native Error named TransientError until
  // its `failures` are used up; `plain` throws what Pulumi's serializer used to make of our error classes.
  fs.writeFileSync(
    path.join(dir, '__index.js'),
    `const attempts = {};
     exports.handler = async (event) => {
       attempts[event.key] = (attempts[event.key] ?? 0) + 1;
       if (event.throw === 'native' && attempts[event.key] <= event.failures)
         throw Object.assign(new Error('throttled'), { name: 'TransientError' });
       if (event.throw === 'plain') throw { name: 'TransientError', message: 'throttled' };
       if (event.throw === 'nothing') return Promise.reject(undefined);
       if (event.throw === 'string') throw 'boom';
       if (event.return === 'unserializable') return { big: 1n };
       return { attempts: attempts[event.key] };
     };`,
  );
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const spec = (overrides: Partial<LocalFunctionSpec> = {}): LocalFunctionSpec => ({
  name: 'test-fn',
  arn: 'arn:aws:lambda:eu-west-1:123456789012:function:test-fn',
  bundleDir: dir,
  handler: '__index.handler',
  environment: {},
  timeoutSeconds: 30,
  memorySize: 128,
  logs: false,
  background: false,
  ...overrides,
});

const running: LocalFunction[] = [];
const make = (s: LocalFunctionSpec = spec()) => {
  const fn = new LocalFunction(s, () => undefined);
  running.push(fn);
  return fn;
};
afterEach(async () => {
  await Promise.all(running.splice(0).map((f) => f.stop()));
});

const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined as unknown as FunctionError,
    (e: FunctionError) => e,
  );

describe('errors, as the Node.js runtime forms them (aws-lambda-ric toRapidResponse)', () => {
  it('a native Error: its name is the error type, with its message and stack trace', async () => {
    const e = await failureOf(make().invoke({ key: 'a', throw: 'native', failures: 1 }));
    expect(e).toBeInstanceOf(FunctionError);
    expect(e.name).toBe('TransientError');
    expect(e.message).toBe('throttled');
    const body = JSON.parse(e.payload);
    expect(Object.keys(body)).toEqual(['errorType', 'errorMessage', 'trace']);
    expect(body.trace[0]).toBe('TransientError: throttled');
    expect(body.trace[1]).toMatch(/^ {4}at /);
  });

  it('a thrown object that is not an Error: error type "object", message "[object Object]", no trace', async () => {
    const e = await failureOf(make().invoke({ key: 'b', throw: 'plain' }));
    expect(e.name).toBe('object');
    expect(JSON.parse(e.payload)).toEqual({ errorType: 'object', errorMessage: '[object Object]', trace: [] });
  });

  it('a thrown string, a rejection with nothing, and a result JSON cannot hold', async () => {
    const fn = make();
    expect(JSON.parse((await failureOf(fn.invoke({ key: 'c', throw: 'string' }))).payload)).toEqual({
      errorType: 'string',
      errorMessage: 'boom',
      trace: [],
    });
    expect(JSON.parse((await failureOf(fn.invoke({ key: 'd', throw: 'nothing' }))).payload)).toEqual({
      errorType: 'string',
      errorMessage: 'handled',
      trace: [],
    });
    const unserializable = await failureOf(fn.invoke({ key: 'e', return: 'unserializable' }));
    expect([unserializable.name, unserializable.message]).toEqual(['Error', 'Unable to stringify response body']);
  });

  it('a handler the bundle does not export fails every invocation as Runtime.HandlerNotFound', async () => {
    const e = await failureOf(make(spec({ handler: '__index.nothere' })).invoke({}));
    expect([e.name, e.message]).toEqual(['Runtime.HandlerNotFound', '__index.nothere is undefined or not exported']);
  });
});

describe('a function error in the state machine', () => {
  const definition = {
    StartAt: 'Work',
    States: {
      Work: {
        Type: 'Task',
        Resource: 'arn:aws:lambda:eu-west-1:123456789012:function:test-fn',
        Retry: [{ ErrorEquals: ['TransientError'], MaxAttempts: 2 }],
        End: true,
      },
    },
  };
  const run = (fn: LocalFunction, input: object) =>
    makeInterpreter(
      { definition, tasks: { Work: lambdaTask((e) => fn.invoke(e)) }, retryIntervalMs: 1, maxConcurrent: 1 },
      () => undefined,
    )({
      executionArn: 'arn:x',
      name: 'x',
      input: JSON.stringify(input),
    });

  it('is retried by its error type when the function throws a native Error of that name', async () => {
    expect(await run(make(), { key: 'f', throw: 'native', failures: 2 })).toEqual({ status: 'SUCCEEDED', output: '{"attempts":3}' });
  });

  it('is not retried as TransientError when the thrown value is not an Error, and fails with Error "object" and the payload as Cause', async () => {
    const outcome = await run(make(), { key: 'g', throw: 'plain' });
    expect(outcome).toEqual({
      status: 'FAILED',
      error: 'object',
      cause: JSON.stringify({ errorType: 'object', errorMessage: '[object Object]', trace: [] }),
    });
  });
});
