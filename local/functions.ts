import { randomUUID } from 'crypto';
import * as path from 'path';
import * as readline from 'readline';
import { Worker } from 'worker_threads';
import { type LoggingConfig, keepsLogLine } from './lambdaLogs';
import { LogWriter } from './logs';
import type { RapidErrorResponse } from './lambdaRuntime';
import { threadClock as clock } from './runningClock';

/**
 * A function error as Lambda reports it to the caller: `name` is the error type (what Step Functions
 * matches in Retry/Catch), `message` the error message, and `payload` the response body itself, the JSON
 * text of `{errorType, errorMessage, trace}` the runtime posted, which Step Functions passes on as the
 * Cause. Made from the body when the function's code failed; a failure of the sandbox itself (a timeout,
 * an exit) has a body of the same shape without a trace.
 */
export class FunctionError extends Error {
  readonly payload: string;

  constructor(name: string, message: string, payload?: string) {
    super(message);
    this.name = name;
    this.payload = payload ?? JSON.stringify({ errorType: name, errorMessage: message });
  }

  /** The error of the body a sandbox posted (the runtime's `toRapidResponse`, see lambdaRuntime.js). */
  static fromPayload(payload: string): FunctionError {
    const body = JSON.parse(payload) as RapidErrorResponse;
    return new FunctionError(body.errorType, body.errorMessage, payload);
  }
}

/**
 * A failed Invoke call: Lambda refused the request itself, and no function ran. `name` is the Lambda API's
 * exception (e.g. RequestEntityTooLargeException).
 */
export class InvokeError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/**
 * Lambda's payload quotas for a synchronous invocation, in bytes: 6 MB for the request and 6 MB for the
 * response ("Lambda quotas", invocation payload). A larger request fails the Invoke call with
 * `RequestEntityTooLargeException: Request must be smaller than 6291456 bytes for the InvokeFunction
 * operation` (HTTP 413); a larger response fails the invocation with the function error
 * `Function.ResponseSizeTooLarge`, whose limit Lambda states as 6291556 bytes. (The messages are as Lambda
 * returns them, quoted in public bug reports, e.g. awslabs/aws-athena-query-federation#793 and
 * DataBiosphere/azul#7466; the API reference documents the 413 as RequestTooLargeException.)
 */
export const PAYLOAD_LIMITS = { requestBytes: 6_291_456, responseBytes: 6_291_556 } as const;

/**
 * The {@link InvokeError} Lambda answers an Invoke request carrying `payload` with, if it refuses it (a payload
 * over the request limit); undefined if it takes it. Every caller of a local function goes through it: the
 * local gateway maps the refusal to API Gateway's answer, so there is one 6 MB check, here.
 */
export const invokeRequestError = (payload: string): InvokeError | undefined =>
  Buffer.byteLength(payload) > PAYLOAD_LIMITS.requestBytes
    ? new InvokeError(
        'RequestEntityTooLargeException',
        `Request must be smaller than ${PAYLOAD_LIMITS.requestBytes} bytes for the InvokeFunction operation`,
      )
    : undefined;

export interface LocalFunctionSpec {
  /** The resource name, e.g. `dofs-fulfillment`. */
  readonly name: string;
  /** The ARN the program gave it (what the ASL, mappings and integrations refer to). */
  readonly arn: string;
  readonly bundleDir: string;
  /** The handler string, `module.export` within the bundle (Pulumi's CallbackFunction: `__index.handler`). */
  readonly handler: string;
  readonly environment: Record<string, string>;
  /** The timeout the function declares, in seconds (what its timeout error names). */
  readonly timeoutSeconds: number;
  /**
   * How long an invocation may run here, in ms: the declared timeout compressed as every local wait is
   * (`functionSpecFor`), counted on the thread's {@link RunningClock}. @default timeoutSeconds × 1000
   */
  readonly timeoutMs?: number;
  readonly memorySize: number;
  /** Show the function's log lines (`npm start` without --quiet). Errors on stderr always show. */
  readonly logs: boolean;
  /**
   * Where its log group's events are kept (local/logs.ts), as Lambda sends what it keeps to CloudWatch Logs;
   * without it, and without `logs`, lines are dropped inside the sandbox.
   */
  readonly logFile?: string;
  /** Its logging config: with the JSON format, lines below the application log level are dropped, as Lambda drops them. */
  readonly logging: LoggingConfig;
  /** Asynchronous back-end work (workflow tasks, queue consumers): its sandboxes run at a lower OS priority. */
  readonly background: boolean;
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; cancelTimeout: () => void; worker: Worker };

/** How many sandboxes a local function runs, and how big. */
export interface SandboxSizing {
  /** Most sandboxes at once. */
  readonly maxSandboxes: number;
  /** Invocations one sandbox runs at once. */
  readonly perSandbox: number;
  /** Sandboxes started with the function, before any invocation (as provisioned concurrency keeps them). */
  readonly warmSandboxes: number;
  /**
   * V8's young generation, MB. Small keeps an idle sandbox lean; a busy one allocates a few hundred KB an
   * invocation (mostly in the AWS SDK) and, with a small one, pauses for a scavenge every few invocations.
   */
  readonly youngGenerationMb: number;
}

const DEFAULT_SIZING: SandboxSizing = { maxSandboxes: 2, perSandbox: 8, warmSandboxes: 1, youngGenerationMb: 8 };

/**
 * One sandbox: a worker thread with the function's own environment variables and a heap limit from its
 * memory size, running the generated bundle.
 *
 * A timeout ends its own invocation and nothing else. On Lambda an execution environment runs one
 * invocation at a time, and a timed-out one is discarded, so what the timed-out code left behind (a
 * hanging promise, module state) never meets another invocation. A sandbox here runs several at once
 * (see LocalFunction), so it does what keeps both halves of that: it answers the timed-out invocation
 * with Sandbox.Timedout at once, takes no more work in that worker, starts a fresh worker for what comes
 * next, and lets the old one finish the invocations it is running (each under its own timeout) before
 * it is terminated. The timed-out code may run on until then, but its result goes nowhere.
 */
class Sandbox {
  /** The worker that takes new invocations. */
  private worker!: Worker;
  /** Invocations in flight, in the current worker or in one retired after a timeout. */
  private readonly pending = new Map<string, Pending>();
  /** The bundle has loaded (Lambda's init phase is over): the sandbox takes invocations. */
  ready = false;
  private stopped = false;

  constructor(
    private readonly spec: LocalFunctionSpec,
    private readonly youngGenerationMb: number,
    private readonly logLine: (line: string) => void,
    private readonly log: (line: string) => void,
    private readonly onReady: () => void,
    /** A line Lambda's platform writes to the function's log group whatever its level (a timeout). */
    private readonly platformLine: (line: string) => void = () => undefined,
  ) {
    this.spawn();
  }

  /** Invocations the current worker is running: what counts against the sandbox's concurrency. */
  get load(): number {
    let n = 0;
    for (const p of this.pending.values()) if (p.worker === this.worker) n++;
    return n;
  }

  private spawn(): void {
    this.ready = false;
    const worker = new Worker(path.join(__dirname, 'worker.js'), {
      workerData: {
        bundleDir: this.spec.bundleDir,
        handler: this.spec.handler,
        functionArn: this.spec.arn,
        logs: this.spec.logs || this.spec.logFile !== undefined,
        background: this.spec.background,
      },
      env: this.spec.environment,
      // A sandbox runs the bundle as Lambda would: without the loaders (-r ts-node/...) of this process.
      execArgv: [],
      // The heap may grow to the function's memory size.
      resourceLimits: { maxOldGenerationSizeMb: Math.max(64, this.spec.memorySize), maxYoungGenerationSizeMb: this.youngGenerationMb },
      stdout: true,
      stderr: true,
    });
    for (const stream of [worker.stdout, worker.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => this.logLine(line));
    }
    worker.on('message', (m: { type: string; id?: string; requestId?: string; result?: string; error?: string | RapidErrorResponse }) => {
      if (m.type === 'init-error') {
        const error = m.error as RapidErrorResponse;
        this.log(`[${this.spec.name}] init failed: ${error.errorType}: ${error.errorMessage}`);
        return;
      }
      if (m.type === 'ready') {
        if (this.worker === worker) {
          this.ready = true;
          this.onReady();
        }
        return;
      }
      if (m.type === 'crash') {
        // The runtime exits after an uncaught exception or unhandled rejection (worker.js): that
        // invocation fails with the error, and the worker is retired as after a timeout.
        const p = m.requestId === undefined ? undefined : this.pending.get(m.requestId);
        if (worker === this.worker && !this.stopped) this.spawn();
        if (p) {
          this.settle(m.requestId!, p);
          p.reject(FunctionError.fromPayload(m.error as string));
        } else if (![...this.pending.values()].some((q) => q.worker === worker)) void worker.terminate();
        return;
      }
      const p = this.pending.get(m.id!);
      if (!p) return; // timed out already: its answer goes nowhere
      this.settle(m.id!, p);
      if (m.error !== undefined) return p.reject(FunctionError.fromPayload(m.error as string));
      const size = Buffer.byteLength(m.result!);
      if (size > PAYLOAD_LIMITS.responseBytes) {
        return p.reject(
          new FunctionError(
            'Function.ResponseSizeTooLarge',
            `Response payload size (${size} bytes) exceeded maximum allowed payload size (${PAYLOAD_LIMITS.responseBytes} bytes).`,
          ),
        );
      }
      p.resolve(JSON.parse(m.result!));
    });
    worker.on('error', (e) => this.failIn(worker, new FunctionError('Runtime.ExitError', e.message)));
    worker.on('exit', () => {
      this.failIn(worker, new FunctionError('Runtime.ExitError', 'the sandbox exited'));
      if (!this.stopped && this.worker === worker) this.spawn();
    });
    this.worker = worker;
  }

  /** Forgets an invocation that has its answer; a retired worker goes once it has answered them all. */
  private settle(id: string, p: Pending): void {
    this.pending.delete(id);
    p.cancelTimeout();
    if (p.worker !== this.worker && ![...this.pending.values()].some((q) => q.worker === p.worker)) void p.worker.terminate();
  }

  private failIn(worker: Worker, error: Error): void {
    for (const [id, p] of this.pending) {
      if (p.worker !== worker) continue;
      p.cancelTimeout();
      this.pending.delete(id);
      p.reject(error);
    }
  }

  /** Runs one invocation of `payload`, the event as JSON text. */
  invoke(payload: string): Promise<unknown> {
    const id = randomUUID();
    const { timeoutSeconds } = this.spec;
    const timeoutMs = this.spec.timeoutMs ?? timeoutSeconds * 1000;
    const worker = this.worker;
    return new Promise((resolve, reject) => {
      const cancelTimeout = clock.after(timeoutMs, () => {
        const p = this.pending.get(id);
        if (!p) return;
        // The first timeout in a worker retires it: new invocations go to a fresh one.
        if (p.worker === this.worker && !this.stopped) this.spawn();
        this.settle(id, p);
        const message = `Task timed out after ${timeoutSeconds.toFixed(2)} seconds`;
        // Lambda's platform writes this line to the function's log whatever its log level (shown with --quiet too).
        this.platformLine(`${new Date().toISOString()} ${id} ${message}`);
        this.log(`[${this.spec.name} ${id.slice(0, 8)}] ${id} ${message}`);
        reject(new FunctionError('Sandbox.Timedout', message));
      });
      this.pending.set(id, { resolve, reject, cancelTimeout, worker });
      worker.postMessage({ id, payload, requestId: id, deadline: Date.now() + timeoutMs });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const workers = new Set([this.worker, ...[...this.pending.values()].map((p) => p.worker)]);
    for (const w of workers) this.failIn(w, new FunctionError('Runtime.ExitError', 'the local cloud is stopping'));
    await Promise.all([...workers].map((w) => w.terminate()));
  }
}

/**
 * A local Lambda function: sandboxes in worker threads, each with the function's environment, memory
 * limit and timeout. A sandbox runs at most `perSandbox` invocations at once; past that another sandbox
 * starts (up to `maxSandboxes`), and past that invocations wait in line, untimed, as Lambda's queued
 * events do: a function's timeout counts from the moment a sandbox takes the invocation, which is once
 * its init is over (as Lambda's timeout does not include init). An invocation is not held up by another
 * sandbox's cold start: it goes to whichever sandbox has room first. Log lines are streamed with the
 * function's name and the request id.
 */
export class LocalFunction {
  private readonly sizing: SandboxSizing;
  private readonly sandboxes: Sandbox[] = [];
  private readonly initialised: Promise<void>;
  private markInitialised!: () => void;
  private readonly waiting: { payload: string; resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];
  private stopped = false;
  private readonly logWriter?: LogWriter;

  constructor(
    readonly spec: LocalFunctionSpec,
    private readonly log: (line: string) => void,
    sizing: Partial<SandboxSizing> = {},
  ) {
    this.sizing = { ...DEFAULT_SIZING, ...sizing };
    if (spec.logFile) this.logWriter = new LogWriter(spec.logFile, spec.environment.AWS_LAMBDA_LOG_STREAM_NAME ?? spec.name);
    this.initialised = new Promise((r) => (this.markInitialised = r));
    for (let i = 0; i < Math.max(1, this.sizing.warmSandboxes); i++) this.startSandbox();
  }

  private startSandbox(): void {
    this.sandboxes.push(
      new Sandbox(
        this.spec,
        this.sizing.youngGenerationMb,
        (l) => this.logLine(l),
        this.log,
        () => {
          if (this.sandboxes.every((s) => s.ready)) this.markInitialised();
          this.dispatch();
        },
        (line) => this.logWriter?.write(line),
      ),
    );
  }

  /** Resolves once the sandboxes started with the function have finished their init. */
  ready(): Promise<void> {
    return this.initialised;
  }

  private logLine(line: string): void {
    if (!keepsLogLine(this.spec.logging, line)) return;
    this.logWriter?.write(line);
    if (!this.spec.logs) return;
    let requestId = '-';
    try {
      const parsed = JSON.parse(line) as { requestId?: string };
      requestId = parsed.requestId ?? '-';
    } catch {
      // not JSON: shown as is
    }
    this.log(`[${this.spec.name} ${requestId.slice(0, 8)}] ${line}`);
  }

  /**
   * Invokes the handler with `event` and waits for its result, as a synchronous (RequestResponse) Invoke
   * does; rejects with a {@link FunctionError} named like Lambda's error type, or with an
   * {@link InvokeError} when Lambda would refuse the request (an event over 6 MB).
   */
  invoke(event: unknown): Promise<unknown> {
    if (this.stopped) return Promise.reject(new FunctionError('Runtime.ExitError', 'the local cloud is stopping'));
    // As JSON text, as Lambda's payloads are: cheaper to pass than a structured clone, and only JSON values cross.
    const payload = JSON.stringify(event === undefined ? null : event);
    const refused = invokeRequestError(payload);
    if (refused) return Promise.reject(refused);
    return new Promise((resolve, reject) => {
      this.waiting.push({ payload, resolve, reject });
      this.dispatch();
    });
  }

  /** Hands waiting invocations to sandboxes with room, starting a sandbox where the limit allows. */
  private dispatch(): void {
    while (this.waiting.length > 0 && !this.stopped) {
      let best: Sandbox | undefined;
      for (const s of this.sandboxes) {
        if (s.ready && s.load < this.sizing.perSandbox && (!best || s.load < best.load)) best = s;
      }
      if (!best) {
        // Every ready sandbox is full: start one more unless one is starting already or the limit is reached.
        if (this.sandboxes.every((s) => s.ready) && this.sandboxes.length < this.sizing.maxSandboxes) this.startSandbox();
        return;
      }
      const next = this.waiting.shift()!;
      best.invoke(next.payload).then(
        (v) => {
          next.resolve(v);
          this.dispatch();
        },
        (e: Error) => {
          next.reject(e);
          this.dispatch();
        },
      );
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.waiting.splice(0)) w.reject(new FunctionError('Runtime.ExitError', 'the local cloud is stopping'));
    await Promise.all(this.sandboxes.map((s) => s.stop()));
    await this.logWriter?.close();
  }
}
