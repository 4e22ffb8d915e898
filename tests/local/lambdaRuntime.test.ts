/**
 * The Lambda runtime's contract as the local sandboxes keep it (local/lambdaRuntime.js, after
 * aws-lambda-ric): what a thrown value becomes, and how the state machine sees it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FunctionError, InvokeError, LocalFunction, type LocalFunctionSpec, PAYLOAD_LIMITS } from '../../local/functions';
import { STATE_DATA_LIMIT_BYTES, lambdaTask, makeInterpreter } from '../../local/interpreter';
import type { LambdaLogLevel } from '../../local/lambdaLogs';
import { waitUntil } from '../support/localCloud';

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
       if (event.bytes) return 'x'.repeat(event.bytes - 2); // a JSON string of exactly event.bytes bytes
       return { attempts: attempts[event.key] };
     };`,
  );
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  // A bundle that writes one line of each kind, in order, and then a FATAL line that every level keeps.
  fs.writeFileSync(
    path.join(dir, 'logs.js'),
    `exports.handler = async (event) => {
       const line = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
       const timestamp = new Date().toISOString();
       line({ timestamp, level: 'DEBUG', message: 'json debug' });
       line({ timestamp, level: 'info', message: 'json info' });
       line({ timestamp, level: 'WARN', message: 'json warn' });
       line({ timestamp, level: 'ERROR', message: 'json error' });
       line({ timestamp, message: 'json without level' });
       line({ level: 'ERROR', message: 'json error without timestamp' });
       line({ _aws: { Timestamp: Date.now(), CloudWatchMetrics: [] }, service: 'emf', Orders: 1 });
       process.stdout.write('plain text\\n');
       console.debug('console debug');
       console.info('console info');
       console.warn('console warn');
       console.error('console error');
       if (event.fail) throw Object.assign(new Error('it broke'), { name: 'TransientError' });
       line({ timestamp, level: 'FATAL', message: 'last' });
       return null;
     };`,
  );
});

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
  logging: { format: 'Text', applicationLogLevel: 'INFO' },
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

/** The interpreter of a one-task state machine whose task invokes `fn`: `task` adds to the task state, `states` to the machine. */
const oneTaskInterpreter = (fn: LocalFunction, task: object, states: object = {}) => {
  const work = { Type: 'Task', Resource: 'arn:aws:lambda:eu-west-1:123456789012:function:test-fn', End: true, ...task };
  const definition = { StartAt: 'Work', States: { Work: work, ...states } };
  return makeInterpreter(
    {
      definition,
      tasks: { Work: lambdaTask((e) => fn.invoke(e)) },
      retryIntervalMs: 1,
      maxConcurrent: 1,
    },
    () => undefined,
  );
};

/** Runs one execution of `input`. */
const runOnce = (interpreter: ReturnType<typeof makeInterpreter>, input: object) =>
  interpreter.run({ executionArn: 'arn:x', name: 'x', input: JSON.stringify(input) });

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
  const run = (fn: LocalFunction, input: object) =>
    runOnce(oneTaskInterpreter(fn, { Retry: [{ ErrorEquals: ['TransientError'], MaxAttempts: 2 }] }), input);

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

describe('logs, as Lambda filters them (advanced logging controls, JSON format)', () => {
  /** Invokes logs.js and returns the lines that reached the log, once the last one has. */
  const logsAt = async (applicationLogLevel: LambdaLogLevel, fail = false) => {
    const lines: string[] = [];
    const fn = new LocalFunction(
      spec({
        handler: 'logs.handler',
        logs: true,
        logging: { format: 'JSON', applicationLogLevel },
        environment: { AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: applicationLogLevel },
      }),
      (l) => lines.push(l.replace(/^\[test-fn [^\]]*\] /, '')),
    );
    running.push(fn);
    await fn.invoke({ fail }).catch(() => undefined);
    const last = fail ? 'it broke' : '"last"';
    await waitUntil(`the line ${last}`, () => lines.some((l) => l.includes(last)));
    return lines;
  };
  const messages = (lines: string[]) => lines.map((l) => (l.startsWith('{') ? (JSON.parse(l).message ?? JSON.parse(l).service) : l));

  it('keeps only lines at or above the application log level: WARN drops INFO, DEBUG and lines without a level', async () => {
    expect(messages(await logsAt('WARN'))).toEqual(['json warn', 'json error', 'console warn', 'console error', 'last']);
  });

  it('takes a line without a level, without a valid timestamp, or not JSON at all as INFO', async () => {
    expect(messages(await logsAt('INFO'))).toEqual([
      'json info',
      'json warn',
      'json error',
      'json without level',
      'json error without timestamp',
      'emf',
      'plain text',
      'console info',
      'console warn',
      'console error',
      'last',
    ]);
  });

  it('writes console lines as the runtime does in JSON format, and logs a failed invocation as "Invoke Error" at ERROR', async () => {
    const lines = await logsAt('ERROR', true);
    const consoleError = JSON.parse(lines.find((l) => l.includes('console error'))!);
    expect(consoleError).toEqual({
      timestamp: expect.any(String),
      level: 'ERROR',
      requestId: expect.any(String),
      message: 'console error',
    });
    const invokeError = JSON.parse(lines[lines.length - 1]);
    expect(invokeError).toMatchObject({
      level: 'ERROR',
      requestId: consoleError.requestId,
      message: { errorType: 'Error', errorMessage: 'it broke', stackTrace: expect.arrayContaining(['TransientError: it broke']) },
    });
  });
});

describe('payload limits', () => {
  it('refuses an event over 6 MB as Lambda does, with RequestEntityTooLargeException, before any code runs', async () => {
    const fn = make();
    const e = await fn.invoke({ key: 'h', pad: 'x'.repeat(PAYLOAD_LIMITS.requestBytes) }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InvokeError);
    expect([(e as InvokeError).name, (e as InvokeError).message]).toEqual([
      'RequestEntityTooLargeException',
      'Request must be smaller than 6291456 bytes for the InvokeFunction operation',
    ]);
    // Under the limit, the same function runs (and this is its first invocation for the key).
    expect(await fn.invoke({ key: 'h', pad: 'x'.repeat(1024 * 1024) })).toEqual({ attempts: 1 });
  });

  it('fails a response over 6 MB as Function.ResponseSizeTooLarge, and returns one at the limit', async () => {
    const fn = make();
    const over = PAYLOAD_LIMITS.responseBytes + 1;
    const e = await failureOf(fn.invoke({ bytes: over }));
    expect(e).toBeInstanceOf(FunctionError);
    expect([e.name, e.message]).toEqual([
      'Function.ResponseSizeTooLarge',
      `Response payload size (${over} bytes) exceeded maximum allowed payload size (6291556 bytes).`,
    ]);
    expect(((await fn.invoke({ bytes: PAYLOAD_LIMITS.responseBytes })) as string).length).toBe(PAYLOAD_LIMITS.responseBytes - 2);
  });

  it('fails a Lambda task whose result is over 256 KiB with States.DataLimitExceeded, which States.ALL does not catch', async () => {
    const interpreter = oneTaskInterpreter(
      make(),
      { Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 2 }], Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }] },
      { Caught: { Type: 'Succeed' } },
    );
    const execute = (bytes: number) => runOnce(interpreter, { bytes });
    expect(await execute(STATE_DATA_LIMIT_BYTES + 1)).toEqual({
      status: 'FAILED',
      error: 'States.DataLimitExceeded',
      cause:
        "The state/task 'arn:aws:lambda:eu-west-1:123456789012:function:test-fn' returned a result with a size exceeding the maximum number of bytes service limit.",
    });
    expect(await execute(STATE_DATA_LIMIT_BYTES)).toMatchObject({ status: 'SUCCEEDED' });
  });
});

describe('a crash inside an invocation (aws-lambda-ric src/index.mjs, src/Runtime.js _setErrorCallbacks)', () => {
  beforeAll(() => {
    // `reject` leaves a rejected promise unhandled, `throw` throws from a timer (an uncaught exception);
    // otherwise the handler waits for the file event.gate and says which sandbox (thread) ran it.
    fs.writeFileSync(
      path.join(dir, 'crash.js'),
      `const fs = require('fs');
       const { threadId } = require('worker_threads');
       exports.handler = async (event) => {
         if (event.reject) Promise.reject(new Error('boom'));
         if (event.throw) setTimeout(() => { throw new TypeError('kaput'); }, 0);
         if (event.reject || event.throw) return new Promise(() => undefined);
         while (event.gate && !fs.existsSync(event.gate)) await new Promise((r) => setTimeout(r, 5));
         return { threadId };
       };`,
    );
  });

  const crashing = () => {
    const fn = new LocalFunction(spec({ handler: 'crash.handler' }), () => undefined, { maxSandboxes: 1, perSandbox: 8, warmSandboxes: 1 });
    running.push(fn);
    return fn;
  };

  it.each([
    ['an unhandled rejection', { reject: true }, 'Runtime.UnhandledPromiseRejection', 'Error: boom'],
    ['an uncaught exception', { throw: true }, 'TypeError', 'kaput'],
  ])(
    '%s fails that invocation as the runtime reports it; the invocation beside it completes, and the next runs in a fresh sandbox',
    async (_, event, errorType, errorMessage) => {
      const fn = crashing();
      await fn.ready();
      const gate = path.join(dir, `gate-${errorType}`);
      const neighbour = fn.invoke({ gate }) as Promise<{ threadId: number }>;
      const e = await failureOf(fn.invoke(event));
      expect([e.name, e.message]).toEqual([errorType, errorMessage]);
      expect(JSON.parse(e.payload)).toMatchObject({ errorType, errorMessage });
      fs.writeFileSync(gate, '');
      const { threadId } = await neighbour;
      expect(((await fn.invoke({})) as { threadId: number }).threadId).not.toBe(threadId);
    },
  );
});
