import { randomUUID } from 'crypto';
import * as path from 'path';
import * as readline from 'readline';
import { Worker } from 'worker_threads';
import { type LoggingConfig, keepsLogLine } from './lambdaLogs';
import type { RapidErrorResponse } from './lambdaRuntime';

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

export interface LocalFunctionSpec {
  /** The resource name, e.g. `dofs-fulfillment`. */
  readonly name: string;
  /** The ARN the program gave it (what the ASL, mappings and integrations refer to). */
  readonly arn: string;
  readonly bundleDir: string;
  /** The handler string, `module.export` within the bundle (Pulumi's CallbackFunction: `__index.handler`). */
  readonly handler: string;
  readonly environment: Record<string, string>;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  /** Stream the function's stdout (its log lines); when false they are dropped inside the sandbox. Errors on stderr always show. */
  readonly logs: boolean;
  /** Its logging config: with the JSON format, lines below the application log level are dropped, as Lambda drops them. */
  readonly logging: LoggingConfig;
  /** Asynchronous back-end work (workflow tasks, queue consumers): its sandboxes run at a lower OS priority. */
  readonly background: boolean;
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

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
 * memory size, running the generated bundle. A timed-out sandbox is discarded, as Lambda does.
 */
class Sandbox {
  private worker!: Worker;
  readonly pending = new Map<string, Pending>();
  /** The bundle has loaded (Lambda's init phase is over): the sandbox takes invocations. */
  ready = false;
  private stopped = false;

  constructor(
    private readonly spec: LocalFunctionSpec,
    private readonly youngGenerationMb: number,
    private readonly logLine: (line: string) => void,
    private readonly log: (line: string) => void,
    private readonly onReady: () => void,
  ) {
    this.spawn();
  }

  private spawn(): void {
    this.ready = false;
    const worker = new Worker(path.join(__dirname, 'worker.js'), {
      workerData: {
        bundleDir: this.spec.bundleDir,
        handler: this.spec.handler,
        functionArn: this.spec.arn,
        logs: this.spec.logs,
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
    worker.on('message', (m: { type: string; id?: string; result?: string; error?: string | RapidErrorResponse }) => {
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
      const p = this.pending.get(m.id!);
      if (!p) return;
      this.pending.delete(m.id!);
      clearTimeout(p.timer);
      if (m.error !== undefined) p.reject(FunctionError.fromPayload(m.error as string));
      else p.resolve(JSON.parse(m.result!));
    });
    worker.on('error', (e) => this.failAll(new FunctionError('Runtime.ExitError', e.message)));
    worker.on('exit', () => {
      this.failAll(new FunctionError('Runtime.ExitError', 'the sandbox exited'));
      if (!this.stopped && this.worker === worker) this.spawn();
    });
    this.worker = worker;
  }

  private failAll(error: Error): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(error);
      this.pending.delete(id);
    }
  }

  invoke(event: unknown): Promise<unknown> {
    const id = randomUUID();
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new FunctionError('Sandbox.Timedout', `Task timed out after ${this.spec.timeoutSeconds.toFixed(2)} seconds`));
        // Lambda discards a timed-out sandbox; so do we (other invocations in it fail with it).
        const old = this.worker;
        this.spawn();
        void old.terminate();
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      // As JSON text, as Lambda's payloads are: cheaper to pass than a structured clone, and only JSON values cross.
      this.worker.postMessage({ id, payload: JSON.stringify(event), requestId: id, deadline: Date.now() + timeoutMs });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.failAll(new FunctionError('Runtime.ExitError', 'the local cloud is stopping'));
    await this.worker.terminate();
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
  private readonly waiting: { event: unknown; resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];
  private stopped = false;

  constructor(
    readonly spec: LocalFunctionSpec,
    private readonly log: (line: string) => void,
    sizing: Partial<SandboxSizing> = {},
  ) {
    this.sizing = { ...DEFAULT_SIZING, ...sizing };
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
      ),
    );
  }

  /** Resolves once the sandboxes started with the function have finished their init. */
  ready(): Promise<void> {
    return this.initialised;
  }

  private logLine(line: string): void {
    if (!keepsLogLine(this.spec.logging, line)) return;
    let requestId = '-';
    try {
      const parsed = JSON.parse(line) as { requestId?: string };
      requestId = parsed.requestId ?? '-';
    } catch {
      // not JSON: shown as is
    }
    this.log(`[${this.spec.name} ${requestId.slice(0, 8)}] ${line}`);
  }

  /** Invokes the handler with `event`; rejects with a {@link FunctionError} named like Lambda's error type. */
  invoke(event: unknown): Promise<unknown> {
    if (this.stopped) return Promise.reject(new FunctionError('Runtime.ExitError', 'the local cloud is stopping'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ event, resolve, reject });
      this.dispatch();
    });
  }

  /** Hands waiting invocations to sandboxes with room, starting a sandbox where the limit allows. */
  private dispatch(): void {
    while (this.waiting.length > 0 && !this.stopped) {
      let best: Sandbox | undefined;
      for (const s of this.sandboxes) {
        if (s.ready && s.pending.size < this.sizing.perSandbox && (!best || s.pending.size < best.pending.size)) best = s;
      }
      if (!best) {
        // Every ready sandbox is full: start one more unless one is starting already or the limit is reached.
        if (this.sandboxes.every((s) => s.ready) && this.sandboxes.length < this.sizing.maxSandboxes) this.startSandbox();
        return;
      }
      const next = this.waiting.shift()!;
      best.invoke(next.event).then(
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
  }
}
