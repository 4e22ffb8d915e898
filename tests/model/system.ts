/**
 * The real system the order-lifecycle model is checked against: the runtime's own code (the api-handler's core,
 * StoreOrder's write, ValidateOrder's rules, fulfillment, the dlq-handler, the reconciler) and the workflow's own
 * DynamoDB tasks, rendered from components/workflow and run by the project's ASL interpreter, all on dynalite.
 * Step Functions and SQS are plain arrays that this harness delivers from, one step at a time, so that a test
 * decides every interleaving and replays it exactly: nothing here runs in the background, every call it makes is
 * awaited before the next command, and what a concurrent step would leave in an order (the reconciler's workers)
 * is sorted before it is kept.
 */
import { createHash } from 'crypto';
import type { SQSRecord } from 'aws-lambda';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  type DynamoDBClient,
  PutItemCommand,
  type PutItemCommandInput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { FAILED_ORDERS_KEYS, ORDERS_KEYS, tableKeyArgs } from '../../components/orderStore';
import { orderWorkflow } from '../../components/workflow';
import { START_LEASE_MARGIN_MS, orderIdForKey, routeApiRequest, type ApiDeps } from '../../runtime/apiHandler';
import { type FulfillmentMessage, type WorkflowInput, makeCodecs } from '../../runtime/codecs';
import { recordDeadLetters } from '../../runtime/dlqHandler';
import { transientError } from '../../runtime/errors';
import { fulfillBatch } from '../../runtime/fulfillment';
import { type HttpResponse, decodeOrThrow } from '../../runtime/http';
import { makeLogger } from '../../runtime/log';
import { type OrderTables, makeOrderTables } from '../../runtime/orders';
import { reconcile, reconcilerTables } from '../../runtime/reconciler';
import { validateOrder } from '../../runtime/validateOrder';
import { StateMachine } from '../../local/interpreter';
import { createTableInput } from '../../local/tables';
import { apiEvent, sqsRecord } from '../support/events';
import { fakeResources } from '../workflow/fixtures';

/** The stack's defaults where they shape the lifecycle (FulfillmentQueue's maxReceiveCount and success rate). */
export const MAX_RECEIVE_COUNT = 3;
export const SUCCESS_RATE = 0.7;
/** Re-drives before the reconciler gives up: lower than the stack's default (3), so that a give-up fits the depth. */
export const REDRIVE_MAX_ATTEMPTS = 2;
/** The api-handler's timeout (components/orderApi.ts): how long an invocation, and so a suspended request, may live. */
export const API_INVOCATION_MS = 10_000;

/** The order bodies the model picks from: each passes tier 1; the last two fail a tier-2 rule. */
export const BODIES = [
  { customerId: 'CUST-0001', items: [{ productId: 'SKU-1', quantity: 2 }] },
  { customerId: 'CUST-0002', items: [{ productId: 'SKU-2', quantity: 1, unitPrice: 9.99 }] },
  { customerId: 'C-3', items: [{ productId: 'SKU-3', quantity: 1 }] },
  { customerId: 'CUST-0004', items: [{ productId: 'SKU-4', quantity: 101 }] },
] as const;
export const isValidBody = (body: number) => body < 2;

/** How a request meets its StartExecution (the first request of an order, or a replay that claims the start). */
export type StartMode =
  /** It starts the workflow and flags it. */
  | 'ok'
  /** Its invocation ends (a timeout) before StartExecution: the order is written, no workflow started. */
  | 'crashBeforeStart'
  /** Its invocation ends after StartExecution, before the order is flagged started. */
  | 'crashAfterStart'
  /** StartExecution is slow: the request waits there until a later command resumes it (or its invocation ends). */
  | 'suspend'
  /** StartExecution is refused (throttled): no workflow. */
  | 'startRefused'
  /** StartExecution starts the workflow but its answer is lost: the request sees an error. */
  | 'startLost';
export type ResumeOutcome = 'ok' | 'refused' | 'lost';

/**
 * What happens to the next task of an execution:
 * - `normal`: it runs;
 * - `twice`: it runs, its answer is lost (States.Timeout) and its Retry runs it again;
 * - `crashBefore` / `crashAfter`: the execution ends there (a timeout, a StopExecution), before or after the task's work;
 * - `failForGood`: the task fails on every attempt, so that its Retry gives up and its Catch routes the failure.
 */
export type Perturbation = 'normal' | 'twice' | 'crashBefore' | 'crashAfter' | 'failForGood';

/**
 * How fulfillment (or the dlq-handler) meets a message: `ok`; `duplicate` (processed, but the delete is lost: SQS
 * delivers it again); `systemFailure` (the function fails before any write); `recordWriteFails` (its failed-orders
 * write fails after the order's own, as under a throttled or unavailable failed-orders table).
 */
export type DeliveryMode = 'ok' | 'duplicate' | 'systemFailure' | 'recordWriteFails';

export interface QueuedMessage {
  readonly messageId: string;
  readonly body: string;
  readonly orderId: string;
  receiveCount: number;
}

/** A POST's fate as the harness saw it: answered (and how), suspended at StartExecution, or ended by a crash. */
export type RequestFate = { readonly kind: 'answered'; readonly response: HttpResponse } | { readonly kind: 'suspended' | 'crashed' };

interface LiveRequest {
  readonly orderId: string;
  /** When its invocation ends: it cannot be resumed after. */
  readonly deadline: number;
  /** Set while it waits in its StartExecution. */
  resume?: (outcome: ResumeOutcome) => void;
  answer?: Promise<HttpResponse>;
}

/** `$$.State.EnteredTime` and every `now` of the runtime: a clock the commands move, so that leases and bounds are exact. */
export class Clock {
  constructor(public ms = Date.parse('2027-01-01T00:00:00.000Z')) {}
  iso(): string {
    return new Date(this.ms).toISOString();
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

const deferred = <T = void>() => {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
};
const named = (name: string, message: string) => Object.assign(new Error(message), { name });
/** A task's answer lost, as Step Functions reports a task that timed out (its Retry names it). */
const taskTimedOut = () => named('States.Timeout', 'States.Timeout');
const CRASHED = 'HarnessCrashed';
const silent = makeLogger('model', 'ERROR', {}, () => undefined);
const codecs = makeCodecs();
const decodeMessage = (body: unknown) => decodeOrThrow(codecs.FulfillmentMessage, body, 'queue message is not an order');

/** The rendered workflow, validated as the local cloud validates it (local/interpreter.ts). */
const declared = orderWorkflow(fakeResources).render().definition as {
  States: Record<string, { Type: string; Resource?: string; Retry?: unknown; TimeoutSeconds?: number }>;
};
new StateMachine(declared as never, { validationOptions: { checkPaths: true, checkArn: true } });
/**
 * The copy that runs: every wait is the harness's, never the wall clock's. As local/interpreter.ts keeps task
 * timeouts out of the interpreter's reach, a task waiting for its next command must not time out while the
 * machine is busy; and the execution's own TimeoutSeconds is left to the `crash` perturbation.
 */
const interpreted = {
  ...declared,
  TimeoutSeconds: undefined,
  States: Object.fromEntries(
    Object.entries(declared.States).map(([name, s]) => [name, s.Type === 'Task' ? { ...s, TimeoutSeconds: 2_000_000 } : s]),
  ),
};
const machine = new StateMachine(interpreted as never, { validationOptions: { noValidate: true } });
const retryIntervalOverrides = Object.fromEntries(
  Object.entries(declared.States)
    .filter(([, s]) => s.Retry)
    .map(([name]) => [name, 0]),
);
type TaskRunner = (input: never) => Promise<unknown>;

/** One execution of the order workflow, run one task at a time by {@link Execution.step}. */
export class Execution {
  private handle?: { abort: () => void };
  /** Where it waits for its next step: the task about to run. */
  private gate?: { readonly state: string; readonly release: (p: Perturbation) => void };
  /** Settles when it reaches its next gate or ends. */
  private stop = deferred();
  /** Task attempts to let through without a gate (the retry of a `twice`). */
  private passes = 0;
  /** The task that fails on every attempt (`failForGood`). */
  private failing?: string;
  private crashed = false;
  ended = false;
  /** SUCCEEDED, or the error name it ended with (ABORTED for a crash). */
  outcome?: string;

  constructor(
    readonly id: number,
    readonly input: WorkflowInput,
    /** Who started it: the api-handler (a first request or a replay), a re-drive, or Step Functions running it again. */
    readonly source: 'api' | 'redrive' | 'duplicate',
    private readonly runners: Record<string, TaskRunner>,
    private readonly clock: Clock,
  ) {}

  /** The task it will run at its next step (undefined before it started and after it ended). */
  get next(): string | undefined {
    return this.gate?.state;
  }

  private begin(): void {
    const handlers = Object.fromEntries(
      Object.entries(this.runners).map(([state, run]) => [state, (i: never) => this.task(state, run, i)]),
    );
    const clock = this.clock;
    const run = machine.run(this.input, {
      overrides: { taskResourceLocalHandlers: handlers as never, retryIntervalOverrides },
      context: {
        Execution: { Id: `exec-${this.id}`, Name: this.input.orderId },
        State: {
          get EnteredTime() {
            return clock.iso();
          },
        },
      },
    });
    this.handle = run;
    run.result.then(
      () => this.end('SUCCEEDED'),
      (e: unknown) => {
        const cause = (e as { cause?: { name?: string } }).cause;
        this.end(this.crashed ? 'ABORTED' : (cause?.name ?? (e as Error).name));
      },
    );
  }

  private end(outcome: string): void {
    this.ended = true;
    this.outcome = outcome;
    this.stop.resolve();
  }

  private async task(state: string, run: TaskRunner, input: never): Promise<unknown> {
    if (this.crashed) throw named(CRASHED, 'the execution ended');
    if (this.failing === state) throw taskTimedOut();
    let p: Perturbation = 'normal';
    if (this.passes > 0) this.passes--;
    else {
      const released = deferred<Perturbation>();
      this.gate = { state, release: released.resolve };
      this.stop.resolve();
      p = await released.promise;
    }
    if (this.crashed) throw named(CRASHED, 'the execution ended');
    switch (p) {
      case 'normal':
        return run(input);
      case 'twice':
        await run(input);
        this.passes = 1;
        throw taskTimedOut();
      case 'failForGood':
        this.failing = state;
        throw taskTimedOut();
      case 'crashBefore':
        this.crash();
        throw named(CRASHED, 'the execution ended');
      case 'crashAfter':
        await run(input);
        this.crash();
        throw named(CRASHED, 'the execution ended');
    }
  }

  /** Runs its next task as `p` says, and on to the task after (or its end). Starts it first if it has not started. */
  async step(p: Perturbation): Promise<void> {
    if (!this.handle) {
      this.begin();
      await this.stop.promise;
    }
    if (this.ended) return;
    const gate = this.gate!;
    this.gate = undefined;
    this.stop = deferred();
    gate.release(p);
    await this.stop.promise;
  }

  /** Ends it where it is (an execution timeout, a StopExecution); a task waiting at its gate unwinds without working. */
  crash(): void {
    if (this.ended) return;
    this.crashed = true;
    this.handle?.abort();
    const gate = this.gate;
    this.gate = undefined;
    gate?.release('crashBefore');
    if (!this.handle) this.end('ABORTED');
  }
}

/** A DynamoDB document client whose PutItems on `table` fail, as on a throttled table. */
const failingPuts = (db: DynamoDBDocumentClient, table: string): DynamoDBDocumentClient =>
  ({
    send: (command: unknown) => {
      if (command instanceof PutCommand && command.input.TableName === table) {
        return Promise.reject(
          named('ProvisionedThroughputExceededException', 'The level of configured provisioned throughput for the table was exceeded'),
        );
      }
      return db.send(command as never);
    },
  }) as unknown as DynamoDBDocumentClient;

let tableRun = 0;

/** Statistics a run leaves for the summary. */
export interface RunFigures {
  /** StartExecutions by the api-handler, per order id it accepted (a key's order included). */
  readonly apiStarts: Map<string, number>;
  redriveStarts: number;
  duplicateExecutions: number;
  readonly executionOutcomes: Map<string, number>;
}

/**
 * One world: its own two tables (on a shared dynalite), its clock, its executions and queues. `salt` makes the ids
 * (and so each order's deterministic fulfilment outcome) differ from run to run, and a run replays exactly.
 */
export class LifecycleSystem {
  readonly clock = new Clock();
  readonly tables: OrderTables;
  readonly executions: Execution[] = [];
  readonly queue: QueuedMessage[] = [];
  readonly deadLetters: QueuedMessage[] = [];
  readonly requests: LiveRequest[] = [];
  readonly figures: RunFigures = {
    apiStarts: new Map(),
    redriveStarts: 0,
    duplicateExecutions: 0,
    executionOutcomes: new Map(),
  };
  private readonly secret: Buffer;
  private ids = 0;
  private messages = 0;
  private readonly runners: Record<string, TaskRunner>;

  private constructor(
    readonly db: DynamoDBDocumentClient,
    private readonly raw: DynamoDBClient,
    readonly ordersTable: string,
    readonly failedOrdersTable: string,
    readonly salt: number,
  ) {
    this.tables = makeOrderTables(db, ordersTable, failedOrdersTable);
    this.secret = createHash('sha256').update(`model-secret-${salt}`).digest();
    this.runners = this.taskRunners();
  }

  /** A world with two fresh tables on the dynalite at `endpoint`, created as the program declares them (the in-flight index included). */
  static async create(db: DynamoDBDocumentClient, raw: DynamoDBClient, salt: number): Promise<LifecycleSystem> {
    const n = ++tableRun;
    const sys = new LifecycleSystem(db, raw, `orders-${n}`, `failed-orders-${n}`, salt);
    await raw.send(new CreateTableCommand(createTableInput(sys.ordersTable, tableKeyArgs(ORDERS_KEYS))));
    await raw.send(new CreateTableCommand(createTableInput(sys.failedOrdersTable, tableKeyArgs(FAILED_ORDERS_KEYS))));
    return sys;
  }

  /** The order id of an Idempotency-Key in this world (the stack's secret is the world's). */
  idForKey(key: string): string {
    return orderIdForKey(this.secret, key);
  }

  // ---------------------------------------------------------------------------------------------- the workflow's tasks

  /**
   * Each Task state's work, as the local cloud carries it out (local/backend.ts): the two Lambda tasks call the
   * functions' cores (decode, then the rules or StoreOrder's conditional write), SendToQueue appends to the queue,
   * and the DynamoDB integrations send their rendered Parameters to the tables, a failure named `DynamoDB.<error>`.
   */
  private taskRunners(): Record<string, TaskRunner> {
    const tableOf = (name: string) =>
      name === fakeResources.ordersTable.name
        ? this.ordersTable
        : name === fakeResources.failedOrdersTable.name
          ? this.failedOrdersTable
          : name;
    const runners: Record<string, TaskRunner> = {};
    for (const [name, state] of Object.entries(declared.States)) {
      if (state.Type !== 'Task') continue;
      const resource = state.Resource ?? '';
      if (resource === fakeResources.validator.arn) {
        runners[name] = async (input: unknown) =>
          validateOrder(decodeOrThrow(codecs.WorkflowInput, input, 'workflow input is not an order'));
      } else if (resource === fakeResources.storeOrder.arn) {
        runners[name] = async (input: unknown) =>
          this.tables.storePending(decodeOrThrow(codecs.WorkflowInput, input, 'workflow input is not an order'), this.clock.iso());
      } else if (resource === 'arn:aws:states:::sqs:sendMessage') {
        runners[name] = async (p: { MessageBody: unknown }) => {
          const body = typeof p.MessageBody === 'string' ? p.MessageBody : JSON.stringify(p.MessageBody);
          const messageId = this.enqueue(body);
          return { MessageId: messageId, MD5OfMessageBody: createHash('md5').update(body).digest('hex') };
        };
      } else if (resource === 'arn:aws:states:::dynamodb:putItem' || resource === 'arn:aws:states:::dynamodb:updateItem') {
        const put = resource.endsWith('putItem');
        runners[name] = async (p: PutItemCommandInput & UpdateItemCommandInput) => {
          const request = { ...p, TableName: tableOf(p.TableName ?? '') };
          try {
            const { $metadata, ...result } = await (put
              ? this.raw.send(new PutItemCommand(request))
              : this.raw.send(new UpdateItemCommand(request)));
            void $metadata;
            return result;
          } catch (e) {
            const error = e instanceof ConditionalCheckFailedException ? 'ConditionalCheckFailedException' : (e as Error).name;
            throw named(`DynamoDB.${error}`, (e as Error).message);
          }
        };
      } else {
        throw new Error(`state ${name}: task resource ${resource} has no runner in the model's harness`);
      }
    }
    return runners;
  }

  private startExecution(input: WorkflowInput, source: Execution['source']): Execution {
    const e = new Execution(this.executions.length, input, source, this.runners, this.clock);
    this.executions.push(e);
    if (source === 'api') this.figures.apiStarts.set(input.orderId, (this.figures.apiStarts.get(input.orderId) ?? 0) + 1);
    if (source === 'redrive') this.figures.redriveStarts++;
    if (source === 'duplicate') this.figures.duplicateExecutions++;
    return e;
  }

  private enqueue(body: string): string {
    const messageId = `msg-${++this.messages}`;
    this.queue.push({ messageId, body, orderId: (JSON.parse(body) as { orderId: string }).orderId, receiveCount: 0 });
    return messageId;
  }

  /** Executions that have not ended, started or not. */
  get liveExecutions(): Execution[] {
    return this.executions.filter((e) => !e.ended);
  }

  /** Runs the next task of live execution `i` as `p` says. */
  async step(i: number, p: Perturbation): Promise<Execution> {
    const e = this.liveExecutions[i];
    await e.step(p);
    this.countEnd(e);
    return e;
  }

  /** Runs live execution `i` to its end, every task as it comes. */
  async runToEnd(i: number): Promise<Execution> {
    const e = this.liveExecutions[i];
    while (!e.ended) await e.step('normal');
    this.countEnd(e);
    return e;
  }

  /** Step Functions runs live execution `i` again: a second execution with its input (EXPRESS runs at least once). */
  duplicate(i: number): Execution {
    return this.startExecution(this.liveExecutions[i].input, 'duplicate');
  }

  private countEnd(e: Execution): void {
    if (e.ended) this.figures.executionOutcomes.set(e.outcome!, (this.figures.executionOutcomes.get(e.outcome!) ?? 0) + 1);
  }

  // --------------------------------------------------------------------------------------------------------- the API

  /**
   * POST /orders through the api-handler's core (`routeApiRequest`), its StartExecution met as `mode` says. Resolves
   * once the request is answered, suspended at StartExecution, or ended by a crash.
   */
  async post(
    body: number,
    key: string | undefined,
    mode: StartMode,
  ): Promise<{ fate: RequestFate; orderId: string; reachedStart: boolean }> {
    const newId = `00000000-0000-4000-8000-${(this.salt % 0x1000000).toString(16).padStart(6, '0')}${(++this.ids).toString(16).padStart(6, '0')}`;
    const orderId = key === undefined ? newId : this.idForKey(key);
    const stopped = deferred<'suspended' | 'crashed'>();
    let reachedStart = false;
    const hang = () => new Promise<never>(() => undefined);
    const start = async (input: WorkflowInput, outcome: ResumeOutcome): Promise<void> => {
      if (outcome === 'refused') throw named('ThrottlingException', 'Rate exceeded');
      this.startExecution(input, 'api');
      if (outcome === 'lost') throw named('TimeoutError', 'the StartExecution answer was lost');
    };
    const request: LiveRequest = { orderId, deadline: this.clock.ms + API_INVOCATION_MS };
    const deps: ApiDeps = {
      tables: {
        ...this.tables,
        markWorkflowStarted: (orderId: string) =>
          mode === 'crashAfterStart' && reachedStart ? (stopped.resolve('crashed'), hang()) : this.tables.markWorkflowStarted(orderId),
      },
      startExecution: async (input) => {
        reachedStart = true;
        switch (mode) {
          case 'ok':
          case 'crashAfterStart':
            return start(input, 'ok');
          case 'startRefused':
            return start(input, 'refused');
          case 'startLost':
            return start(input, 'lost');
          case 'crashBeforeStart':
            stopped.resolve('crashed');
            return hang();
          case 'suspend': {
            const resumed = deferred<ResumeOutcome>();
            request.resume = resumed.resolve;
            stopped.resolve('suspended');
            return start(input, await resumed.promise);
          }
        }
      },
      newId: () => newId,
      idForKey: (k) => this.idForKey(k),
      now: () => this.clock.iso(),
      startLeaseUntil: () => new Date(this.clock.ms + API_INVOCATION_MS + START_LEASE_MARGIN_MS).toISOString(),
      log: silent,
    };
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (key !== undefined) headers['Idempotency-Key'] = key;
    const answer = routeApiRequest(apiEvent('POST', '/orders', { body: JSON.stringify(BODIES[body]), headers }), codecs)(deps);
    request.answer = answer;
    this.requests.push(request);
    const fate = await Promise.race([
      answer.then((response) => ({ kind: 'answered' as const, response })),
      stopped.promise.then((kind) => ({ kind })),
    ]);
    if (fate.kind !== 'suspended') request.resume = undefined;
    return { fate, orderId, reachedStart };
  }

  /** Requests suspended at their StartExecution whose invocation has not ended by `ms` (default: now). */
  suspendedAt(ms = this.clock.ms): LiveRequest[] {
    return this.requests.filter((r) => r.resume !== undefined && ms < r.deadline);
  }

  /** Resumes suspended request `i`: its StartExecution answers as `outcome` says, and the request finishes. */
  async resume(i: number, outcome: ResumeOutcome): Promise<{ orderId: string; response: HttpResponse }> {
    const r = this.suspendedAt()[i];
    const resume = r.resume!;
    r.resume = undefined;
    resume(outcome);
    return { orderId: r.orderId, response: await r.answer! };
  }

  // ------------------------------------------------------------------------------------------------ the queues

  private record(m: QueuedMessage): SQSRecord {
    return { ...sqsRecord(m.body, m.receiveCount), messageId: m.messageId, receiptHandle: `${m.messageId}-${m.receiveCount}` };
  }

  /** Fulfillment receives queued message `i` (alone in its batch), as `mode` says; SQS then deletes, keeps or dead-letters it. */
  async deliver(i: number, mode: DeliveryMode): Promise<QueuedMessage> {
    const m = this.queue[i];
    m.receiveCount++;
    const tables = mode === 'recordWriteFails' ? this.failingRecordTables() : this.tables;
    const inject = async () => {
      if (mode === 'systemFailure') throw transientError('injected fault in fulfillment');
    };
    let failed: boolean;
    try {
      const res = await fulfillBatch(
        [this.record(m)],
        decodeMessage,
      )({ tables, successRate: SUCCESS_RATE, now: () => this.clock.iso(), log: silent, inject });
      failed = res.batchItemFailures.length > 0;
    } catch {
      failed = true; // FullBatchFailureError: the one record failed
    }
    this.queue.splice(i, 1);
    // A message received maxReceiveCount times and not deleted moves to the DLQ instead of its next receive.
    if (failed || mode === 'duplicate') (m.receiveCount >= MAX_RECEIVE_COUNT ? this.deadLetters : this.queue).push(m);
    return m;
  }

  /**
   * The dlq-handler receives dead letter `i`, as `mode` says (`systemFailure`: it fails before any write;
   * `recordWriteFails`: its failed-orders write fails); the letter stays on the DLQ unless it was recorded and deleted.
   */
  async deliverDeadLetter(i: number, mode: DeliveryMode): Promise<QueuedMessage> {
    const m = this.deadLetters[i];
    m.receiveCount++;
    const tables = mode === 'recordWriteFails' ? this.failingRecordTables() : this.tables;
    const inject = async () => {
      if (mode === 'systemFailure') throw transientError('injected fault in the dlq-handler');
    };
    let failed: boolean;
    try {
      const res = await recordDeadLetters([this.record(m)], decodeMessage)({ tables, now: () => this.clock.iso(), log: silent, inject });
      failed = res.batchItemFailures.length > 0;
    } catch {
      failed = true; // FullBatchFailureError: the one record failed
    }
    if (!failed && mode !== 'duplicate') this.deadLetters.splice(i, 1);
    return m;
  }

  /** The tables as a function sees them while the failed-orders table refuses its writes. */
  private failingRecordTables(): OrderTables {
    return makeOrderTables(failingPuts(this.db, this.failedOrdersTable), this.ordersTable, this.failedOrdersTable);
  }

  // ------------------------------------------------------------------------------------------------ the reconciler

  /** One reconciler run over every order in flight (stuckAfter 0); what it starts or sends is kept in a stable order. */
  async reconcile(): Promise<Awaited<ReturnType<ReturnType<typeof reconcile>>>> {
    const started: WorkflowInput[] = [];
    const sent: FulfillmentMessage[] = [];
    const report = await reconcile({ stuckAfterMs: 0, maxAttempts: REDRIVE_MAX_ATTEMPTS })({
      ...reconcilerTables(this.tables),
      startExecution: async (_name, input) => void started.push(input),
      sendMessage: async (message) => void sent.push(message),
      now: () => new Date(this.clock.ms),
      log: silent,
    });
    // Its workers run at once: what they produced is put in order, so that a run replays the same.
    for (const input of started.sort((a, b) => a.orderId.localeCompare(b.orderId))) this.startExecution(input, 'redrive');
    for (const message of sent.sort((a, b) => a.orderId.localeCompare(b.orderId))) this.enqueue(JSON.stringify(message));
    return report;
  }

  // ------------------------------------------------------------------------------------------------ observation

  /** Every item of a table, read strongly consistent, page by page. */
  async scan(table: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new ScanCommand({ TableName: table, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }),
      );
      items.push(...((page.Items ?? []) as Record<string, unknown>[]));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** Ends whatever is left (executions waiting at a task, suspended requests): nothing of this world runs on. */
  close(): void {
    for (const e of this.executions) e.crash();
    for (const r of this.requests) r.resume = undefined;
  }
}
