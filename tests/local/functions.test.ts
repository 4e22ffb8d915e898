/**
 * LocalFunction's scheduling, on a tiny bundle: init runs before any invocation is handed over, a
 * function's timeout counts from then, and a waiting invocation goes to whichever sandbox has room first
 * rather than waiting on another sandbox's cold start.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FunctionError, LocalFunction, type LocalFunctionSpec } from '../../local/functions';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dofs-fn-'));
  // Init blocks for INIT_MS (as a heavy bundle's module load does); the handler waits event.ms, or until
  // the file event.gate exists, and says which sandbox (thread) ran it.
  fs.writeFileSync(
    path.join(dir, '__index.js'),
    `const end = Date.now() + Number(process.env.INIT_MS); while (Date.now() < end);
     const fs = require('fs');
     const { threadId } = require('worker_threads');
     const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
     exports.handler = async (event) => {
       if (event.gate) while (!fs.existsSync(event.gate)) await sleep(5);
       else await sleep(event.ms);
       return { threadId };
     };`,
  );
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const spec = (initMs: number, timeoutSeconds: number): LocalFunctionSpec => ({
  name: 'test-fn',
  arn: 'arn:aws:lambda:eu-west-1:123456789012:function:test-fn',
  bundleDir: dir,
  handler: '__index.handler',
  environment: { INIT_MS: String(initMs) },
  timeoutSeconds,
  memorySize: 128,
  logs: false,
  background: false,
  logging: { format: 'Text', applicationLogLevel: 'INFO' },
});

const running: LocalFunction[] = [];
const make = (...args: ConstructorParameters<typeof LocalFunction>) => {
  const fn = new LocalFunction(...args);
  running.push(fn);
  return fn;
};
afterEach(async () => {
  await Promise.all(running.splice(0).map((f) => f.stop()));
});

describe('LocalFunction', () => {
  it('counts a timeout from the end of init, not from the call', async () => {
    // Init takes 1.5 s, longer than the 1 s timeout; the invocation itself takes 50 ms.
    const fn = make(spec(1500, 1), () => undefined);
    await expect(fn.invoke({ ms: 50 })).resolves.toEqual({ threadId: expect.any(Number) });
  });

  it('still times out an invocation that runs too long, as Sandbox.Timedout', async () => {
    const fn = make(spec(0, 1), () => undefined);
    await fn.ready();
    const error = await fn.invoke({ ms: 3000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FunctionError);
    expect((error as FunctionError).name).toBe('Sandbox.Timedout');
  });

  it('ends only the invocation that timed out: the others in its sandbox complete, and the next runs in a fresh one', async () => {
    // One sandbox of up to 8 invocations. `hung` never returns and has a 1 s timeout. The two neighbours
    // start beside it with a long one (a sandbox reads the timeout as it takes an invocation) and wait for
    // a gate that opens once `hung` has timed out: they are in flight at its timeout, and only the gate
    // ends them.
    const s = spec(0, 1);
    const fn = make(s, () => undefined, { maxSandboxes: 1, perSandbox: 8, warmSandboxes: 1 });
    await fn.ready();
    const gate = path.join(dir, `gate-${Date.now()}`);
    const hung = fn.invoke({ ms: 1e9 }).catch((e: unknown) => e);
    (s as { timeoutSeconds: number }).timeoutSeconds = 600;
    const neighbours = [fn.invoke({ gate }), fn.invoke({ gate })];
    const timedOut = (await hung) as FunctionError;
    fs.writeFileSync(gate, '');
    expect(timedOut).toBeInstanceOf(FunctionError);
    expect([timedOut.name, timedOut.message]).toEqual(['Sandbox.Timedout', 'Task timed out after 1.00 seconds']);
    const [a, b] = (await Promise.all(neighbours)) as { threadId: number }[];
    expect(b.threadId).toBe(a.threadId);
    const next = (await fn.invoke({ ms: 0 })) as { threadId: number };
    expect(next.threadId).not.toBe(a.threadId);
  });

  it('hands a waiting invocation to the sandbox that frees first, not to one still in its init', async () => {
    // One invocation per sandbox; the second sandbox's init takes 3 s, the first invocation 100 ms.
    const fn = make(spec(3000, 10), () => undefined, { maxSandboxes: 2, perSandbox: 1, warmSandboxes: 1 });
    await fn.ready();
    const [a, b] = (await Promise.all([fn.invoke({ ms: 100 }), fn.invoke({ ms: 100 })])) as { threadId: number }[];
    expect(b.threadId).toBe(a.threadId);
  });

  it('starts its warm sandboxes before any invocation and resolves ready() once all have finished init', async () => {
    const fn = make(spec(300, 10), () => undefined, { maxSandboxes: 2, perSandbox: 1, warmSandboxes: 2 });
    await fn.ready();
    const ids = (await Promise.all([fn.invoke({ ms: 200 }), fn.invoke({ ms: 200 })])) as { threadId: number }[];
    expect(new Set(ids.map((r) => r.threadId)).size).toBe(2);
  });
});
