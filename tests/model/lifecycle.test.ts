/**
 * The order lifecycle, model-checked (issue 17, item 5): fast-check generates interleavings of what the world may do
 * to a few orders — POSTs with and without an Idempotency-Key, replays, crashes between two writes, workflow steps
 * run once, twice or not at all, executions run twice (EXPRESS runs at least once), queue redeliveries and dead
 * letters, reconciler runs — and runs each against the real handlers on dynalite (tests/model/system.ts). After every
 * command, and once every run is drained (every execution and message run to its end, then the reconciler until
 * nothing is in flight), the contract's invariants must hold.
 *
 * The figure the api-handler's start lease is about (workflows the api-handler started per Idempotency-Key) is
 * counted and printed, not asserted here: that exactly one workflow starts per key is asserted by the local cloud's
 * conservation tests (tests/local/chaos.test.ts), which race real replays against the local Step Functions under
 * both workflow types.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import type { HttpResponse } from '../../runtime/http';
import { isFulfilled } from '../../runtime/fulfillment';
import { IN_FLIGHT_KEY } from '../../runtime/inFlightIndex';
import { TERMINAL_STATUSES } from '../../runtime/orders';
import { type Dynamo, startDynamo } from '../support/dynamo';
import {
  BODIES,
  type DeliveryMode,
  LifecycleSystem,
  type Perturbation,
  REDRIVE_MAX_ATTEMPTS,
  type RequestFate,
  type ResumeOutcome,
  type RunFigures,
  type StartMode,
  SUCCESS_RATE,
  isValidBody,
} from './system';

/** Orders per run (keyless POSTs and first uses of a key): a few, so that commands meet the same orders often. */
const MAX_ORDERS = 4;
const KEYS = ['key-a', 'key-b', 'key-c'] as const;
const SECOND = 1000;
/**
 * Commands generated per run, the bound of the interleavings' depth; those whose precondition holds run (about 15 a
 * run on average: a delivery needs a message, a step an execution).
 */
const MAX_COMMANDS = 50;
/** Runs per `npm run test:unit`: about 7 s alone, up to 20 s among the unit suites on a busy two-core machine (the summary line says). */
const NUM_RUNS = Number(process.env.MODEL_RUNS ?? 30);

// ------------------------------------------------------------------------------------------------------------ the model

interface ModelOrder {
  readonly orderId: string;
  readonly key?: string;
  readonly body: number;
  /** A POST for it was answered 202: it must reach exactly one terminal status, and may never disappear. */
  acknowledged: boolean;
  /** Something happened to it that may end it FAILED with PROCESSING_ERROR (a stage failing for good, a dead letter, a re-drive). */
  mayFailProcessing: boolean;
  /** The reconciler started a workflow of it. */
  redriven: boolean;
}

/**
 * The runtime faults the model has found and that are not fixed yet (tests/model/counterexamples.md): while one is
 * open, the commands that lead to it are not run (their preconditions say no), so that the rest stays checked and
 * the suite green. Fixing one means removing it here, and adding its seed and path to `regressions` below.
 */
const OPEN_COUNTEREXAMPLES: readonly Counterexample[] = [];
/** Every counterexample the model has found, open or fixed: the ids the preconditions and the regressions name. */
type Counterexample = 'delete-after-start' | 'lease-then-delete' | 'failure-route-record' | 'dead-letter-after-partial-failure';

interface Model {
  /** The open counterexamples whose commands this run leaves out. */
  readonly avoid: ReadonlySet<Counterexample>;
  readonly orders: Map<string, ModelOrder>;
  /** Idempotency-Key → the body its order was written with, while that order exists. */
  readonly keys: Map<string, number>;
  /** Idempotency-Key → every order id a 202 answered for it. */
  readonly answeredIds: Map<string, Set<string>>;
  // What the harness holds, for preconditions (refreshed after every command).
  /** The next task of each live execution (undefined: not started). */
  next: (string | undefined)[];
  queued: number;
  deadLetters: number;
  /** The order of each request suspended at its StartExecution that will still live when the next command acts. */
  suspended: string[];
}

const initialModel = (avoid: ReadonlySet<Counterexample>): Model => ({
  avoid,
  orders: new Map(),
  keys: new Map(),
  answeredIds: new Map(),
  next: [],
  queued: 0,
  deadLetters: 0,
  suspended: [],
});

/** The terminal outcomes the model allows an order: its business outcome, or PROCESSING_ERROR if something may have caused one. */
const allowedOutcomes = (o: ModelOrder): string[] => {
  const business = !isValidBody(o.body) ? 'REJECTED' : isFulfilled(o.orderId, SUCCESS_RATE) ? 'FULFILLED' : 'FAILED/OUT_OF_STOCK';
  return o.mayFailProcessing ? [business, 'FAILED/PROCESSING_ERROR'] : [business];
};

// ------------------------------------------------------------------------------------------------------- the invariants

const violated = (what: string): never => {
  throw new Error(`invariant broken: ${what}`);
};

const RANK: Record<string, number> = { ACCEPTED: 0, PENDING: 1, REJECTED: 2, FULFILLED: 2, FAILED: 2 };
const isTerminal = (status: string) => (TERMINAL_STATUSES as readonly string[]).includes(status);

/** What the invariants read after every command: every status each order was seen in, and every failed-orders record as first seen. */
class Ledger {
  /** Every status each order was seen in, in order; ABSENT when its item was gone. */
  readonly seen = new Map<string, string[]>();
  private readonly records = new Map<string, string>();
  private readonly created = new Map<string, unknown>();

  /** Reads both tables, checks what can be checked at any time, and returns the ids of the orders present. */
  async observe(sys: LifecycleSystem, m: Model, where: string): Promise<Set<string>> {
    const at = (what: string) => violated(`${what} (after ${where})`);
    const orders = new Map((await sys.scan(sys.ordersTable)).map((i) => [i.orderId as string, i]));
    const records = await sys.scan(sys.failedOrdersTable);
    for (const [id, item] of orders) {
      if (!m.orders.has(id)) at(`order ${id} is in the table, but no request created it`);
      const status = item.status as string;
      const history = this.seen.get(id) ?? [];
      const last = [...history].reverse().find((s) => s !== 'ABSENT');
      if (last !== undefined && RANK[status] < RANK[last]) at(`order ${id} moved backwards: ${history.join(' → ')} → ${status}`);
      if (last !== undefined && isTerminal(last) && status !== last)
        at(`order ${id} changed its terminal status: ${history.join(' → ')} → ${status}`);
      if (history[history.length - 1] !== status) this.seen.set(id, [...history, status]);
      // No acknowledged order's item is ever replaced (a put over it would write it twice).
      if (m.orders.get(id)?.acknowledged) {
        if (!this.created.has(id)) this.created.set(id, item.createdAt);
        else if (this.created.get(id) !== item.createdAt)
          at(`order ${id} was written again: createdAt ${String(this.created.get(id))} → ${String(item.createdAt)}`);
      }
    }
    for (const [id, history] of this.seen) {
      if (orders.has(id) || history[history.length - 1] === 'ABSENT') continue;
      // Only the api-handler's deleteUnstarted removes an order: one still ACCEPTED, whose workflow it could not start.
      if (history[history.length - 1] !== 'ACCEPTED') at(`order ${id} disappeared after ${history.join(' → ')}`);
      this.seen.set(id, [...history, 'ABSENT']);
    }
    for (const o of m.orders.values()) {
      if (o.acknowledged && !orders.has(o.orderId))
        at(`order ${o.orderId} was answered 202 and is gone (${(this.seen.get(o.orderId) ?? []).join(' → ')})`);
    }
    for (const r of records) {
      const id = r.orderId as string;
      const order = orders.get(id);
      if (!order) at(`failed-orders record ${id} (${String(r.failureReason)}) names no order: a message was recorded as no order's`);
      else if (order.status !== 'FAILED') at(`failed-orders record ${id} for an order that is ${String(order.status)}`);
      else if (order.failureReason !== r.failureReason)
        at(`failed-orders record ${id} says ${String(r.failureReason)}, the order ${String(order.failureReason)}`);
      const json = JSON.stringify(r);
      if (!this.records.has(id)) this.records.set(id, json);
      else if (this.records.get(id) !== json) at(`failed-orders record ${id} was written twice: ${this.records.get(id)} → ${json}`);
    }
    for (const [key, ids] of m.answeredIds) if (ids.size > 1) at(`Idempotency-Key ${key} was answered with ${ids.size} order ids`);
    return new Set(orders.keys());
  }

  /** Once drained: nothing in flight, and each order ended once, as the model allows, with its one record if FAILED. */
  async final(sys: LifecycleSystem, m: Model): Promise<void> {
    await this.observe(sys, m, 'draining');
    const orders = await sys.scan(sys.ordersTable);
    const records = await sys.scan(sys.failedOrdersTable);
    if (sys.liveExecutions.length + sys.queue.length + sys.deadLetters.length > 0) violated('the drain left work behind');
    for (const item of orders) {
      const id = item.orderId as string;
      const status = item.status as string;
      if (!isTerminal(status)) violated(`order ${id} is still ${status} once drained (${this.seen.get(id)?.join(' → ')})`);
      const mine = records.filter((r) => r.orderId === id).length;
      if (status === 'FAILED' && mine !== 1)
        violated(`order ${id} is FAILED (${String(item.failureReason)}) with ${mine} failed-orders records`);
      if (status !== 'FAILED' && mine !== 0) violated(`order ${id} is ${status} with ${mine} failed-orders records`);
      const o = m.orders.get(id)!;
      const outcome = status === 'FAILED' ? `FAILED/${String(item.failureReason)}` : status;
      if (!allowedOutcomes(o).includes(outcome)) {
        violated(`order ${id} (body ${o.body}) ended ${outcome}; the model allows ${allowedOutcomes(o).join(' or ')}`);
      }
    }
    for (const o of m.orders.values()) {
      if (o.acknowledged && !orders.some((i) => i.orderId === o.orderId)) violated(`order ${o.orderId} was answered 202 and never ended`);
    }
  }
}

/** What the runs did, printed once (the figure the start lease is about: workflows the api-handler started per key). */
const summary = {
  runs: 0,
  commands: 0,
  orders: 0,
  terminal: new Map<string, number>(),
  startsPerKey: new Map<number, number>(),
  executions: new Map<string, number>(),
  redrives: 0,
  duplicates: 0,
};
const count = <K>(map: Map<K, number>, key: K, n = 1) => map.set(key, (map.get(key) ?? 0) + n);
const tally = (figures: RunFigures, m: Model, ledger: Ledger) => {
  summary.runs++;
  summary.orders += m.orders.size;
  summary.redrives += figures.redriveStarts;
  summary.duplicates += figures.duplicateExecutions;
  for (const [outcome, n] of figures.executionOutcomes) count(summary.executions, outcome, n);
  for (const o of m.orders.values()) {
    // Never seen, or last seen ABSENT: the api-handler deleted it when its StartExecution failed (and answered 5xx).
    const end = ledger.seen.get(o.orderId)?.at(-1) ?? 'ABSENT';
    count(summary.terminal, end === 'ABSENT' ? 'deleted' : end);
    if (o.key !== undefined && o.acknowledged) {
      const starts = figures.apiStarts.get(o.orderId) ?? 0;
      count(summary.startsPerKey, starts);
    }
  }
};

// ------------------------------------------------------------------------------------------------------------ commands

interface Real {
  readonly sys: LifecycleSystem;
  readonly ledger: Ledger;
}

/** Every command: time moves on a second, the command acts on the real system, the model follows, the invariants are read. */
abstract class LifecycleCommand implements fc.AsyncCommand<Model, Real> {
  abstract check(m: Readonly<Model>): boolean;
  protected abstract act(m: Model, r: Real): Promise<void>;
  abstract toString(): string;
  async run(m: Model, r: Real): Promise<void> {
    summary.commands++;
    r.sys.clock.advance(SECOND);
    await this.act(m, r);
    mirror(m, r.sys);
    const present = await r.ledger.observe(r.sys, m, this.toString());
    // A key stands for its order while the order exists (the api-handler deletes one whose workflow it could not start).
    for (const key of KEYS) {
      const order = m.orders.get(r.sys.idForKey(key));
      if (order && present.has(order.orderId)) m.keys.set(key, order.body);
      else m.keys.delete(key);
    }
  }
}

const mirror = (m: Model, sys: LifecycleSystem) => {
  m.next = sys.liveExecutions.map((e) => e.next);
  m.queued = sys.queue.length;
  m.deadLetters = sys.deadLetters.length;
  m.suspended = sys.suspendedAt(sys.clock.ms + SECOND).map((r) => r.orderId);
};

const acknowledge = (m: Model, orderId: string, key: string | undefined) => {
  m.orders.get(orderId)!.acknowledged = true;
  if (key !== undefined) {
    const ids = m.answeredIds.get(key) ?? new Set<string>();
    m.answeredIds.set(key, ids.add(orderId));
  }
};

const expectStatus = (what: string, res: HttpResponse, ok: (status: number) => boolean, expected: string) => {
  if (!ok(res.statusCode)) violated(`${what} was answered ${res.statusCode} ${res.body}; expected ${expected}`);
};

/** POST /orders: a new order, a replay of a key's order (same body), or a conflict (another body). */
class Post extends LifecycleCommand {
  constructor(
    readonly body: number,
    readonly key: string | undefined,
    readonly mode: StartMode,
  ) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    if (m.avoid.has('delete-after-start') && this.mode === 'startLost' && this.key !== undefined) return false;
    return (this.key !== undefined && m.keys.has(this.key)) || m.orders.size < MAX_ORDERS;
  }
  protected async act(m: Model, { sys }: Real): Promise<void> {
    const bound = this.key === undefined ? undefined : m.keys.get(this.key);
    const { fate, orderId, reachedStart } = await sys.post(this.body, this.key, this.mode);
    const what = this.toString();
    if (bound !== undefined && bound !== this.body) {
      // The same key with another body: 409, and nothing else happens.
      if (fate.kind !== 'answered') return violated(`${what} reached StartExecution for a key used with another body`);
      return expectStatus(what, fate.response, (s) => s === 409, '409 IDEMPOTENCY_CONFLICT');
    }
    if (bound === undefined) {
      m.orders.set(orderId, { orderId, key: this.key, body: this.body, acknowledged: false, mayFailProcessing: false, redriven: false });
      if (this.key !== undefined) m.keys.set(this.key, this.body);
    }
    settle(m, what, fate, reachedStart ? this.mode : 'ok', orderId, this.key);
  }
  toString(): string {
    return `Post(body ${this.body}, ${this.key ?? 'no key'}, ${this.mode})`;
  }
}

/** What a request's answer must be, given how its StartExecution went (`ok` when it did not need one). */
const settle = (m: Model, what: string, fate: RequestFate, mode: StartMode | ResumeOutcome, orderId: string, key: string | undefined) => {
  if (fate.kind !== 'answered') return;
  if (mode === 'startRefused' || mode === 'startLost' || mode === 'refused' || mode === 'lost') {
    return expectStatus(what, fate.response, (s) => s >= 500, 'a 5xx (StartExecution failed)');
  }
  expectStatus(what, fate.response, (s) => s === 202, '202');
  const answered = (JSON.parse(fate.response.body) as { orderId?: string }).orderId;
  if (answered !== orderId) violated(`${what} was answered for order ${answered}, not ${orderId}`);
  acknowledge(m, orderId, key);
};

/** A request suspended at its StartExecution gets its answer, while its invocation lives. */
class Resume extends LifecycleCommand {
  constructor(
    readonly index: number,
    readonly outcome: ResumeOutcome,
  ) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    if (m.suspended.length === 0) return false;
    const order = m.orders.get(m.suspended[this.index % m.suspended.length])!;
    if (order.key === undefined || this.outcome === 'ok') return true;
    if (m.avoid.has('delete-after-start') && (this.outcome === 'lost' || order.redriven)) return false;
    return !(m.avoid.has('lease-then-delete') && order.acknowledged);
  }
  protected async act(m: Model, { sys }: Real): Promise<void> {
    const { orderId, response } = await sys.resume(this.index % sys.suspendedAt().length, this.outcome);
    settle(m, this.toString(), { kind: 'answered', response }, this.outcome, orderId, m.orders.get(orderId)?.key);
  }
  toString(): string {
    return `Resume(#${this.index}, ${this.outcome})`;
  }
}

/** The next task of an execution runs: once, twice, not at all (the execution ends there), or failing for good. */
class StepExecution extends LifecycleCommand {
  constructor(
    readonly index: number,
    readonly perturbation: Perturbation,
  ) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    if (m.next.length === 0) return false;
    const next = m.next[this.index % m.next.length] ?? '';
    const leavesRecordUnwritten =
      (/^Mark\w+Failure$/.test(next) && this.perturbation === 'crashAfter') ||
      (/^Record\w+Failure$/.test(next) && (this.perturbation === 'crashBefore' || this.perturbation === 'failForGood'));
    return !(m.avoid.has('failure-route-record') && leavesRecordUnwritten);
  }
  protected async act(m: Model, { sys }: Real): Promise<void> {
    const e = await sys.step(this.index % sys.liveExecutions.length, this.perturbation);
    if (this.perturbation === 'failForGood') m.orders.get(e.input.orderId)!.mayFailProcessing = true;
  }
  toString(): string {
    return `Step(#${this.index}, ${this.perturbation})`;
  }
}

/** An execution runs to its end. */
class RunExecution extends LifecycleCommand {
  constructor(readonly index: number) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.next.length > 0;
  }
  protected async act(_m: Model, { sys }: Real): Promise<void> {
    await sys.runToEnd(this.index % sys.liveExecutions.length);
  }
  toString(): string {
    return `Run(#${this.index})`;
  }
}

/** Step Functions starts an execution's input a second time (EXPRESS: at least once). */
class DuplicateExecution extends LifecycleCommand {
  constructor(readonly index: number) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.next.length > 0;
  }
  protected async act(_m: Model, { sys }: Real): Promise<void> {
    sys.duplicate(this.index % sys.liveExecutions.length);
  }
  toString(): string {
    return `Duplicate(#${this.index})`;
  }
}

/**
 * A queued message is received: the orders queue's by fulfillment, a dead letter by the dlq-handler (the index runs
 * over both, the orders queue first).
 */
class Deliver extends LifecycleCommand {
  constructor(
    readonly index: number,
    readonly mode: DeliveryMode,
  ) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    const all = m.queued + m.deadLetters;
    if (all === 0) return false;
    const fulfillment = this.index % all < m.queued;
    return !(m.avoid.has('dead-letter-after-partial-failure') && fulfillment && this.mode === 'recordWriteFails');
  }
  protected async act(m: Model, { sys }: Real): Promise<void> {
    const i = this.index % (sys.queue.length + sys.deadLetters.length);
    const message = i < sys.queue.length ? await sys.deliver(i, this.mode) : await sys.deliverDeadLetter(i - sys.queue.length, this.mode);
    if (this.mode === 'systemFailure' || this.mode === 'recordWriteFails') m.orders.get(message.orderId)!.mayFailProcessing = true;
  }
  toString(): string {
    return `Deliver(#${this.index}, ${this.mode})`;
  }
}

/** The reconciler runs, with every order in flight stuck (stuckAfter 0). */
class Reconcile extends LifecycleCommand {
  check(): boolean {
    return true;
  }
  protected async act(m: Model, { sys }: Real): Promise<void> {
    const report = await sys.reconcile();
    for (const a of report.actions) {
      const order = m.orders.get(a.orderId)!;
      if (a.action !== 'MOVED_ON') order.mayFailProcessing = true;
      if (a.action === 'RESTARTED_WORKFLOW') order.redriven = true;
    }
  }
  toString(): string {
    return 'Reconcile';
  }
}

/** A minute passes: leases run out, suspended requests' invocations end. */
class Tick extends LifecycleCommand {
  check(): boolean {
    return true;
  }
  protected async act(_m: Model, { sys }: Real): Promise<void> {
    sys.clock.advance(60_000);
  }
  toString(): string {
    return 'Tick(60 s)';
  }
}

const index = fc.nat({ max: 7 });
const post = fc
  .tuple(
    fc.nat({ max: BODIES.length - 1 }),
    fc.option(fc.constantFrom(...KEYS), { freq: 3 }),
    fc.constantFrom<StartMode>('ok', 'ok', 'ok', 'crashBeforeStart', 'crashAfterStart', 'suspend', 'startRefused', 'startLost'),
  )
  .map(([body, key, mode]) => new Post(body, key ?? undefined, mode));
const stepExecution = fc
  .tuple(index, fc.constantFrom<Perturbation>('normal', 'normal', 'normal', 'twice', 'twice', 'crashBefore', 'crashAfter', 'failForGood'))
  .map(([i, p]) => new StepExecution(i, p));
const deliver = fc
  .tuple(index, fc.constantFrom<DeliveryMode>('ok', 'ok', 'duplicate', 'systemFailure', 'recordWriteFails'))
  .map(([i, mode]) => new Deliver(i, mode));
/** Each command, as often as it is listed: the ones that drive an order on are drawn more often than the rare ones. */
const commandArbs = [
  post,
  post,
  fc.tuple(index, fc.constantFrom<ResumeOutcome>('ok', 'refused', 'lost')).map(([i, o]) => new Resume(i, o)),
  stepExecution,
  stepExecution,
  stepExecution,
  index.map((i) => new RunExecution(i)),
  index.map((i) => new DuplicateExecution(i)),
  deliver,
  deliver,
  fc.constant(new Reconcile()),
  fc.constant(new Tick()),
];

// ------------------------------------------------------------------------------------------------- draining, the property

/**
 * Runs everything to its end: suspended requests' invocations end, every execution runs, every message is delivered,
 * every dead letter recorded; then the reconciler re-drives what is left in flight, until nothing is. Each re-drive
 * attempt gets its own round, and a round more than the reconciler's attempts means something never ends.
 */
const drain = async (sys: LifecycleSystem, m: Model, ledger: Ledger) => {
  sys.clock.advance(60_000);
  for (let round = 0; round <= REDRIVE_MAX_ATTEMPTS + 2; round++) {
    while (sys.liveExecutions.length > 0) {
      await sys.runToEnd(0);
      await ledger.observe(sys, m, `drain: an execution ran`);
    }
    while (sys.queue.length > 0) {
      await sys.deliver(0, 'ok');
      await ledger.observe(sys, m, `drain: a message was delivered`);
    }
    while (sys.deadLetters.length > 0) {
      await sys.deliverDeadLetter(0, 'ok');
      await ledger.observe(sys, m, `drain: a dead letter was delivered`);
    }
    // In flight, or FAILED and still in the in-flight index (its record may be missing: the reconciler completes it)
    const inFlight = (await sys.scan(sys.ordersTable)).filter((i) => !isTerminal(i.status as string) || i[IN_FLIGHT_KEY] !== undefined);
    if (inFlight.length === 0) return;
    sys.clock.advance(60_000);
    await sys.reconcile();
    await ledger.observe(sys, m, `drain: the reconciler ran`);
  }
};

let dynamo: Dynamo;
let raw: DynamoDBClient;
let db: DynamoDBDocumentClient;
beforeAll(async () => {
  dynamo = await startDynamo();
  raw = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  db = DynamoDBDocumentClient.from(raw);
});
afterAll(async () => {
  raw.destroy();
  await dynamo.stop();
});

/**
 * The property, leaving out the commands that lead to the counterexamples in `avoid`; `replayPath` (the commands'
 * own part of a counterexample, printed with it) replays one with `fc.assert`'s seed and path.
 */
const lifecycle = (avoid: ReadonlySet<Counterexample>, replayPath?: string) =>
  fc.asyncProperty(fc.nat(), fc.commands(commandArbs, { maxCommands: MAX_COMMANDS, size: 'max', replayPath }), async (salt, cmds) => {
    const sys = await LifecycleSystem.create(db, raw, salt);
    const model = initialModel(avoid);
    const ledger = new Ledger();
    try {
      await fc.asyncModelRun(() => ({ model, real: { sys, ledger } }), cmds);
      await drain(sys, model, ledger);
      await ledger.final(sys, model);
    } finally {
      sys.close();
      tally(sys.figures, model, ledger);
    }
  });

/**
 * Counterexamples found by earlier runs, replayed as they were found: `fc.assert`'s seed and path, the commands'
 * replayPath, and the open counterexamples that were left out when it was found (`avoid`). One is added here once
 * the runtime fault it found is fixed; until then it is described in tests/model/counterexamples.md.
 */
const regressions: readonly {
  readonly seed: number;
  readonly path: string;
  readonly replayPath: string;
  readonly avoid: readonly Counterexample[];
}[] = [
  // delete-after-start: the api-handler deleted a keyed order whose workflow ran (fixed: a keyed order is never deleted)
  {
    seed: 517625454,
    path: '90:0:6:4:6:8',
    replayPath: 'ACEAJFCAGBG:VV',
    avoid: ['lease-then-delete', 'failure-route-record', 'dead-letter-after-partial-failure'],
  },
  // lease-then-delete: a replay answered 202 for an order its first request then deleted (fixed as above)
  {
    seed: 1589327501,
    path: '329:0:3:5:10',
    replayPath: 'CACIK:V',
    avoid: ['delete-after-start', 'failure-route-record', 'dead-letter-after-partial-failure'],
  },
  // failure-route-record: the failure route left an order FAILED without its record (fixed: the key stays until recorded)
  {
    seed: -1638128304,
    path: '27:0:4:6:5:11:8:8:8:9:9',
    replayPath: 'AAAAAFAAHCACBAAEBGAfBAABCk:qqqqC',
    avoid: ['delete-after-start', 'lease-then-delete', 'dead-letter-after-partial-failure'],
  },
  // dead-letter-after-partial-failure: a dead letter for an order FAILED without its record was ignored (fixed: the
  // dlq-handler completes the record)
  {
    seed: 394227885,
    path: '695:2:0:0:1:0:1:0:0:0:0:0:0:0:3:1:1:0:0:0:0:0:5:10:14:15:13:17:17:19',
    replayPath: 'AACBBACBABBCIADACAPAABnAAAJAU:VVVVV',
    avoid: ['delete-after-start', 'lease-then-delete', 'failure-route-record'],
  },
];

/**
 * `MODEL_ALLOW=<counterexample>,...` (or `all`): run the commands of these open counterexamples too, to see them or to
 * check a fix; `MODEL_RUNS` sets the runs (a deeper search than the suite's).
 */
const allowed = (process.env.MODEL_ALLOW ?? '').split(',');
const avoided = new Set<Counterexample>(OPEN_COUNTEREXAMPLES.filter((c) => !allowed.includes(c) && !allowed.includes('all')));

describe('the order lifecycle, model-checked against the real handlers on dynalite', () => {
  it(`keeps every invariant over ${NUM_RUNS} runs of up to ${MAX_COMMANDS} commands, after each command and once drained`, async () => {
    const started = Date.now();
    await expect(fc.assert(lifecycle(avoided), { numRuns: NUM_RUNS, includeErrorInReport: true })).resolves.toBeUndefined();
    const starts = [...summary.startsPerKey].sort(([a], [b]) => a - b).map(([n, orders]) => `${n}: ${orders}`);
    console.log(
      `model check: ${summary.runs} runs, ${summary.commands} commands, ${summary.orders} orders in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
        `ended ${JSON.stringify(Object.fromEntries(summary.terminal))}; ` +
        `workflows started by the api-handler per acknowledged keyed order {${starts.join(', ')}}; ` +
        `${summary.redrives} re-drives, ${summary.duplicates} duplicate executions; ` +
        `executions ended ${JSON.stringify(Object.fromEntries(summary.executions))}`,
    );
  });

  it('replays every counterexample kept from earlier runs', async () => {
    for (const r of regressions) {
      await expect(
        fc.assert(lifecycle(new Set(r.avoid), r.replayPath), {
          seed: r.seed,
          path: r.path,
          endOnFailure: true,
          includeErrorInReport: true,
        }),
      ).resolves.toBeUndefined();
    }
  });
});
