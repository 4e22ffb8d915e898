import { type ChildProcess, spawn } from 'child_process';
import * as path from 'path';
import * as readline from 'readline';

const ROOT = path.join(__dirname, '..', '..');

/**
 * The only clock in the end-to-end tests: a bound on a wait that should end on a signal (a ready line, an
 * exit, a terminal status), so that a hang fails with what was seen instead of holding CI. Minutes, far
 * above any wait on a busy 2-core machine: how fast the system is, is measured by `npm run load`.
 */
export const HANG_GUARD_MS = 5 * 60_000;

export interface RunningCloud {
  readonly url: string;
  readonly sfnEndpoint: string;
  readonly sqsEndpoint: string;
  readonly dynamoEndpoint: string;
  readonly stateMachineArn: string;
  readonly output: string[];
  readonly child: ChildProcess;
  stop(): Promise<number | null>;
}

/**
 * Starts `npm start`'s program (local/main.ts) as a child process and waits for its ready line or its exit;
 * `env` is added to this process's environment (e.g. a `DOFS_DATA_DIR` of its own).
 */
export const startCloud = (args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<RunningCloud> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', 'sucrase/register/ts', 'local/main.ts', '--port', '0', '--quiet', ...args], {
      cwd: ROOT,
      env: { ...process.env, PORT: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    const found: Record<string, string> = {};
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hang guard: the local cloud printed no ready line and did not exit in ${HANG_GUARD_MS} ms:\n${output.join('\n')}`));
    }, HANG_GUARD_MS);
    const onLine = (line: string) => {
      output.push(line);
      const grab = (key: string, re: RegExp) => {
        const m = re.exec(line);
        if (m) found[key] = m[1];
      };
      grab('dynamo', /DynamoDB \(dynalite[^)]*\): (http:\/\/[\d.:]+)/);
      grab('sqs', /SQS \(fauxqs\): (http:\/\/[\d.:]+)/);
      grab('sfn', /Step Functions endpoint: (http:\/\/[\d.:]+)\s+state machine: (\S+)/);
      grab('arn', /state machine: (\S+)/);
      grab('url', /^ready in .*DOFS API on (http:\/\/[\d.:]+)/);
      if (found.url) {
        clearTimeout(timer);
        resolve({
          url: found.url,
          sfnEndpoint: found.sfn,
          sqsEndpoint: found.sqs,
          dynamoEndpoint: found.dynamo,
          stateMachineArn: found.arn,
          output,
          child,
          stop: () =>
            new Promise((r) => {
              if (child.exitCode !== null) return r(child.exitCode);
              child.once('exit', (code) => r(code));
              child.kill('SIGINT');
            }),
        });
      }
    };
    readline.createInterface({ input: child.stdout }).on('line', onLine);
    readline.createInterface({ input: child.stderr }).on('line', (l) => output.push(l));
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!found.url) reject(new Error(`the local cloud exited with ${code}:\n${output.join('\n')}`));
    });
  });

/** Runs the CLI to completion (for its error paths): exit code and output. */
export const runCli = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', 'sucrase/register/ts', 'local/main.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });

/** JSON over HTTP. */
export const http = async (url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: any }> => {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text so that a test can say so
  }
  return { status: res.status, headers: res.headers, body };
};

export const postOrder = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  http(`${url}/orders`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const TERMINAL = ['REJECTED', 'FULFILLED', 'FAILED'];

/** Polls GET /orders/{id} until the order is terminal (the hang guard bounds it). */
export const waitTerminal = async (url: string, orderId: string): Promise<any> => {
  const deadline = Date.now() + HANG_GUARD_MS;
  for (;;) {
    const res = await http(`${url}/orders/${orderId}`);
    if (res.status === 200 && TERMINAL.includes(res.body.status)) return res.body;
    if (Date.now() > deadline)
      throw new Error(`hang guard: order ${orderId} is still ${JSON.stringify(res.body)} after ${HANG_GUARD_MS} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

/** Resolves once `condition()` holds, polling every `everyMs`; the hang guard bounds it. */
export const waitUntil = async (
  what: string | (() => string),
  condition: () => boolean | Promise<boolean>,
  everyMs = 25,
): Promise<void> => {
  const deadline = Date.now() + HANG_GUARD_MS;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`hang guard: ${typeof what === 'string' ? what : what()} did not happen in ${HANG_GUARD_MS} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
};
