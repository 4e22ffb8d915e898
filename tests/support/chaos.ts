/**
 * The chaos run behind `npm run chaos` and tests/local/chaos.test.ts. It starts one local cloud with errors
 * and timeouts injected in every function and in SendToQueue, SQS redeliveries (`--redeliveries`) and, under
 * EXPRESS, duplicate executions (`--duplicate-executions`); posts the orders as a well-behaved client does (an
 * Idempotency-Key each, 5xx and timeouts retried with the same key and body, a share of them posted twice);
 * watches every accepted order's status until it is terminal; and reads back the conservation ledger.
 *
 * The statuses are watched in the orders table (strongly consistent reads, a hundred a call) rather than
 * through GET /orders/{id}: the api-handler's injected timeouts hold a request for 9 s (its own deadline), so
 * polling ten thousand orders through it would measure the poller. What is seen per order is every distinct
 * (status, failureReason) in order, the first terminal one with its `updatedAt`; the final scan must agree with
 * it. A change between two reads that returns to where it was is not seen (no status history is stored, and
 * every status write is conditional on the status before it).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { type LocalCloudFile, localCloudFile } from '../../local/discovery';
import { redriveExecutionName } from '../../runtime/reconciler';
import { type Ledger, type StoredOrder, orderBodies, readLedger } from './ledger';
import { HANG_GUARD_MS, type RunningCloud, http, startCloud } from './localCloud';

const TERMINAL = ['REJECTED', 'FULFILLED', 'FAILED'];
const RANK: Record<string, number> = { ACCEPTED: 0, PENDING: 1, REJECTED: 2, FULFILLED: 2, FAILED: 2 };
const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };

/** Where faults are injected: every function, and SendToQueue (config.ts `Faults`). */
export const FAULT_TARGETS = ['apiHandler', 'validator', 'storeOrder', 'fulfillment', 'dlqHandler', 'sendToQueue'] as const;

/** How duplicate POSTs are sent: with the first, right after its answer, or once every first POST has been sent. */
export const DUPLICATE_MODES = ['concurrent', 'after', 'late'] as const;
type DuplicateMode = (typeof DUPLICATE_MODES)[number];

export interface ChaosOptions {
  readonly orders: number;
  /** Share of each function's invocations (and SendToQueue calls) that fail, and share that time out; also the share of SQS redeliveries. */
  readonly faultRate: number;
  /** Share of orders posted a second time with the same key and body; under EXPRESS, also the share of executions run twice. */
  readonly duplicates: number;
  /** Under EXPRESS, the share of executions run twice (`--duplicate-executions`); default `duplicates`. */
  readonly duplicateExecutions?: number;
  readonly workflow: 'STANDARD' | 'EXPRESS';
  /** POSTs in flight at once (default 16). */
  readonly concurrency?: number;
  /**
   * Orders accepted and not yet seen terminal, at most, before the client posts more (default 200): an open loop
   * would pile orders up in the queues past the reconciler's stuck bound (15 minutes ÷ 30) and measure the
   * reconciler under overload, not conservation under faults.
   */
  readonly maxInFlight?: number;
  /** Progress lines (default: none), every `progressEveryMs` (default 5 s). */
  readonly progress?: (line: string) => void;
  readonly progressEveryMs?: number;
}

/** Counts of conservation failures: every one is 0 when the system keeps the contract. */
export interface Conservation {
  /** Accepted (answered 202) but not terminal at the end, or not stored at all. */
  readonly lost: number;
  /** accepted − (REJECTED + FULFILLED + FAILED), as an absolute value. */
  readonly unbalanced: number;
  /** Seen in one terminal status (or FAILED reason), then in another. */
  readonly doubleTerminal: number;
  /** Seen in a status that comes before one seen earlier (e.g. PENDING after FULFILLED, ACCEPTED after PENDING). */
  readonly backwards: number;
  /** Keys whose 202 answers named two different order ids. */
  readonly keysWithTwoOrders: number;
  /** Orders stored that no 202 named. */
  readonly unaccounted: number;
  /** FAILED orders without exactly one failed-orders record. */
  readonly failedWithoutOneRecord: number;
  /** Failed-orders records of orders that are not FAILED, or of no order (a message record). */
  readonly recordsForOthers: number;
  /** FAILED orders whose record gives another reason than the order. */
  readonly recordReasonMismatch: number;
  /** Queues not empty at the end (visible or in flight). */
  readonly queuesNotDrained: number;
  /** Orders the reconciler's in-flight index still holds at the end. */
  readonly inFlightIndexed: number;
  /** Keys the client gave up on (no 202 after its retries). */
  readonly neverAccepted: number;
  /** Keys that started other than exactly one workflow of their own (re-drives and injected duplicates apart). */
  readonly keysNotStartedOnce: number;
}

export interface ChaosReport {
  readonly options: Required<Omit<ChaosOptions, 'progress' | 'progressEveryMs'>>;
  /** From the first POST until every accepted order was seen terminal (or the watch gave up). */
  readonly seconds: number;
  readonly posts: {
    /** Keys posted twice, by how. */
    readonly duplicateKeys: Readonly<Record<DuplicateMode, number>>;
    /** HTTP requests sent, and those answered with 5xx, 429 or not at all (each retried with the same key). */
    readonly requests: number;
    readonly retried: number;
    readonly byStatus: Readonly<Record<string, number>>;
  };
  readonly accepted: number;
  readonly outcomes: {
    readonly REJECTED: number;
    readonly FULFILLED: number;
    readonly FAILED: number;
    readonly OUT_OF_STOCK: number;
    readonly PROCESSING_ERROR: number;
  };
  /** failed-orders records by the stage that wrote them and their error (`STORAGE States.Timeout`). */
  readonly recordsByStage: Readonly<Record<string, number>>;
  readonly conservation: Conservation;
  readonly workflows: {
    /** How the starts per key were counted. */
    readonly source: string;
    /** Keys by how many workflows of their own they started: {"1": n, ...}. */
    readonly perKey: Readonly<Record<string, number>>;
    /** The same, for the keys that were posted twice. */
    readonly perDuplicatedKey: Readonly<Record<string, number>>;
    /** Executions the reconciler started for orders stuck ACCEPTED (`<orderId>-redrive-<n>`), and messages it sent again. */
    readonly redriven: number;
    readonly resent: number;
    /** Executions the local Step Functions ran a second time (`--duplicate-executions`). */
    readonly injectedDuplicates: number;
    /** StartExecution calls of the api-handler per key, beyond one (STANDARD deduplicates them by name). */
    readonly extraStartCalls: number;
    /** Messages fulfillment received for an order already finished (a redelivery, a message sent twice): its log lines. */
    readonly redeliveriesIgnored: number;
  };
  readonly timeToTerminalMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly peakRssMb: number;
  /** Lambda's 'Task timed out' lines (its platform's line for an invocation that timed out), by function. */
  readonly functionTimeouts: Readonly<Record<string, number>>;
  /** A few orders behind the figures that are not 0: what was seen of each, its item, records and log lines. */
  readonly examples: readonly {
    readonly orderId: string;
    readonly figures: readonly string[];
    readonly seen: readonly string[];
    readonly stored?: StoredOrder;
    readonly records: readonly object[];
    readonly logLines: readonly string[];
  }[];
}

/** What was seen of one order while it ran. */
interface Watched {
  /** Distinct (status, reason) in the order seen. */
  readonly seen: string[];
  firstTerminal?: { readonly status: string; readonly failureReason?: string; readonly updatedAt: string; readonly createdAt: string };
  backwards: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An index is duplicated when the running share of duplicates crosses a whole number there: evenly spread. */
const isDuplicated = (i: number, share: number) => Math.floor((i + 1) * share) > Math.floor(i * share);

/** The value at quantile `q` of sorted numbers (NaN for none). */
const at = (sorted: readonly number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

const histogram = (counts: Iterable<number>) => {
  const h: Record<string, number> = {};
  for (const n of counts) h[String(n)] = (h[String(n)] ?? 0) + 1;
  return h;
};

/** Peak resident set of a process, MB (Linux: VmHWM in /proc/<pid>/status); NaN elsewhere. */
export const peakRssMb = (pid: number | undefined): number => {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
};

/**
 * The client: POSTs a body under its key until an answer other than 5xx or 429 (or no answer in 35 s, past
 * API Gateway's 29 s), each retry after a jittered backoff, at most `MAX_ATTEMPTS` times, as a well-behaved
 * client retries with the same Idempotency-Key (CONTRACT.md, Idempotency).
 */
const MAX_ATTEMPTS = 12;
const makeClient = (url: string) => {
  const byStatus: Record<string, number> = {};
  let requests = 0;
  let retried = 0;
  const post = async (key: string, body: unknown): Promise<{ status: number; orderId?: string }> => {
    let last = 0;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (attempt > 0) {
        retried++;
        await sleep(Math.random() * Math.min(2000, 50 * 2 ** attempt));
      }
      requests++;
      let status: number;
      let orderId: string | undefined;
      try {
        const res = await http(`${url}/orders`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(35_000),
        });
        status = res.status;
        orderId = (res.body as { orderId?: string } | undefined)?.orderId;
      } catch {
        status = 0; // no answer: a timeout or a reset connection
      }
      byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1;
      last = status;
      if (status !== 0 && status !== 429 && status < 500) return { status, orderId };
    }
    return { status: last };
  };
  return { post, figures: () => ({ requests, retried, byStatus: { ...byStatus } }) };
};

/** Reads the statuses of `ids` from the orders table, a hundred a call, strongly consistent. */
const readStatuses = async (db: DynamoDBDocumentClient, ids: readonly string[]): Promise<StoredOrder[]> => {
  const out: StoredOrder[] = [];
  for (let i = 0; i < ids.length; i += 100) {
    let keys: Record<string, unknown>[] = ids.slice(i, i + 100).map((orderId) => ({ orderId }));
    while (keys.length > 0) {
      const r = await db.send(
        new BatchGetCommand({
          RequestItems: {
            'dofs-orders': {
              Keys: keys,
              ConsistentRead: true,
              ProjectionExpression: 'orderId, #s, failureReason, createdAt, updatedAt',
              ExpressionAttributeNames: { '#s': 'status' },
            },
          },
        }),
      );
      out.push(...((r.Responses?.['dofs-orders'] ?? []) as StoredOrder[]));
      keys = (r.UnprocessedKeys?.['dofs-orders']?.Keys ?? []) as Record<string, unknown>[];
    }
  }
  return out;
};

/** Every log event of a group that matches `pattern`, through the local cloud's FilterLogEvents. */
const logEvents = async (logs: CloudWatchLogsClient, logGroupName: string, filterPattern: string): Promise<Record<string, unknown>[]> => {
  const out: Record<string, unknown>[] = [];
  let nextToken: string | undefined;
  do {
    const page = await logs.send(new FilterLogEventsCommand({ logGroupName, filterPattern, nextToken }));
    for (const e of page.events ?? []) {
      try {
        out.push(JSON.parse(e.message ?? '') as Record<string, unknown>);
      } catch {
        // a platform line (not JSON): not one of the lines asked for
      }
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
};

/** Fields every structured line carries, left out of an example's lines. */
const ROUTINE_FIELDS = new Set([
  'timestamp',
  'level',
  'service',
  'requestId',
  'xray_trace_id',
  'cold_start',
  'orderId',
  'message',
  'Stack',
]);

/** A log line as an example shows it: level, message and the telling fields; none for a metric (EMF) line. */
const briefLine = (line: string): string | undefined => {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line; // a platform line
  }
  if ('_aws' in json) return undefined;
  const rest = Object.fromEntries(Object.entries(json).filter(([k]) => !ROUTINE_FIELDS.has(k) && k !== 'stack'));
  return `${String(json.level)} ${String(json.message)} ${JSON.stringify(rest)}`;
};

/** STANDARD: every execution of the state machine, by name (ListExecutions, a thousand a page). */
const executionNames = async (cloud: RunningCloud): Promise<string[]> => {
  const sfn = new SFNClient({ endpoint: cloud.sfnEndpoint, region: 'eu-west-1', credentials });
  try {
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn: cloud.stateMachineArn, maxResults: 1000, nextToken }));
      names.push(...(page.executions ?? []).map((e) => e.name!));
      nextToken = page.nextToken;
    } while (nextToken);
    return names;
  } finally {
    sfn.destroy();
  }
};

/** The line the local Step Functions prints for each execution it runs a second time (local/stepFunctions.ts). */
export const DUPLICATE_EXECUTION_LINE = /--duplicate-executions: execution (\S+) runs a second time/;

/** The cloud's arguments for a chaos run: the faults as stack config, the at-least-once knobs as flags. */
export const chaosCloudArgs = (o: Pick<ChaosOptions, 'faultRate' | 'duplicateExecutions' | 'workflow'>): string[] => {
  const faults = Object.fromEntries(FAULT_TARGETS.map((t) => [t, { errorRate: o.faultRate, timeoutRate: o.faultRate }]));
  return [
    '--config',
    `workflowType=${o.workflow}`,
    '--config',
    `faults=${JSON.stringify(faults)}`,
    // INFO, not the dev stack's DEBUG: the lines counted below are INFO and WARN, and DEBUG's volume is a cost of its own.
    '--config',
    'logLevel=INFO',
    '--redeliveries',
    String(o.faultRate),
    ...(o.workflow === 'EXPRESS' && (o.duplicateExecutions ?? 0) > 0 ? ['--duplicate-executions', String(o.duplicateExecutions)] : []),
  ];
};

/** Runs the chaos benchmark once and returns its figures; the cloud is stopped before it returns. */
export const runChaos = async (opts: ChaosOptions): Promise<ChaosReport> => {
  const options = { concurrency: 16, maxInFlight: 200, duplicateExecutions: opts.workflow === 'EXPRESS' ? opts.duplicates : 0, ...opts };
  const { orders, duplicates, workflow, concurrency, maxInFlight, duplicateExecutions } = options;
  const say = opts.progress ?? (() => undefined);
  // A data directory of its own: the discovery file (the logs endpoint) of this cloud, not of another one of the stack.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dofs-chaos-'));
  const cloud = await startCloud(chaosCloudArgs(options), { DOFS_DATA_DIR: dataDir });
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: cloud.dynamoEndpoint, region: 'eu-west-1', credentials }));
  try {
    const runId = Date.now().toString(36);
    const bodies = orderBodies(orders);
    const keyOf = (i: number) => `chaos-${runId}-${i}`;
    const client = makeClient(cloud.url);

    // What the client was told, per key; what was seen, per order.
    const answered = new Map<string, Set<string>>(); // key -> order ids its 202s named
    const gaveUp = new Set<string>();
    const watched = new Map<string, Watched>();
    const pending = new Set<string>(); // accepted, not yet seen terminal
    const terminalAt: number[] = [];
    const record = (key: string, r: { status: number; orderId?: string }) => {
      if (r.status !== 202 || !r.orderId) {
        if (r.status !== 202) gaveUp.add(key);
        return;
      }
      const ids = answered.get(key) ?? new Set<string>();
      ids.add(r.orderId);
      answered.set(key, ids);
      if (!watched.has(r.orderId)) {
        watched.set(r.orderId, { seen: [], backwards: false });
        pending.add(r.orderId);
      }
    };
    const observe = (o: StoredOrder) => {
      const w = watched.get(o.orderId);
      if (!w) return;
      const state = o.status === 'FAILED' ? `FAILED:${o.failureReason ?? ''}` : o.status;
      const last = w.seen[w.seen.length - 1];
      if (state === last) return;
      if (last !== undefined && RANK[o.status] < RANK[last.split(':')[0]]) w.backwards = true;
      w.seen.push(state);
      if (TERMINAL.includes(o.status) && !w.firstTerminal) {
        w.firstTerminal = { status: o.status, failureReason: o.failureReason, updatedAt: o.updatedAt, createdAt: o.createdAt };
        pending.delete(o.orderId);
        terminalAt.push(Date.parse(o.updatedAt) - Date.parse(o.createdAt));
      }
    };

    // The watcher: reads every order not yet terminal, again and again, until told to stop.
    let watching = true;
    let lastProgressAt = Date.now();
    const watcher = (async () => {
      while (watching) {
        const ids = [...pending];
        const before = pending.size;
        if (ids.length > 0) for (const o of await readStatuses(db, ids)) observe(o);
        if (pending.size < before) lastProgressAt = Date.now();
        await sleep(500);
      }
    })();

    // The posters: first POSTs in order, each duplicated key posted again as its mode says, the late ones last.
    const started = Date.now();
    const duplicateKeys: Record<DuplicateMode, number> = { concurrent: 0, after: 0, late: 0 };
    const duplicatedKeys = new Set<string>();
    const late: number[] = [];
    let next = 0;
    let posted = 0;
    let duplicatesPosted = 0;
    let nthDuplicate = 0;
    const progress = setInterval(() => {
      const accepted = watched.size;
      const s = (Date.now() - started) / 1000;
      say(
        `chaos ${workflow}: ${s.toFixed(0)} s: posted ${posted}/${orders} (+${duplicatesPosted} duplicates), accepted ${accepted}, ` +
          `terminal ${accepted - pending.size}, in flight ${pending.size}, ${((accepted - pending.size) / s).toFixed(1)} orders/s`,
      );
    }, opts.progressEveryMs ?? 5000);
    try {
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < orders) {
            while (pending.size >= maxInFlight) await sleep(20);
            if (next >= orders) break; // another poster took the last one while this one waited
            const i = next++;
            const key = keyOf(i);
            const mode = isDuplicated(i, duplicates) ? DUPLICATE_MODES[nthDuplicate++ % DUPLICATE_MODES.length] : undefined;
            if (mode) {
              duplicateKeys[mode]++;
              duplicatedKeys.add(key);
            }
            if (mode === 'concurrent') {
              const [a, b] = await Promise.all([client.post(key, bodies[i]), client.post(key, bodies[i])]);
              record(key, a);
              record(key, b);
              duplicatesPosted++;
            } else {
              record(key, await client.post(key, bodies[i]));
              if (mode === 'after') {
                record(key, await client.post(key, bodies[i]));
                duplicatesPosted++;
              } else if (mode === 'late') late.push(i);
            }
            posted++;
          }
        }),
      );
      let nextLate = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (nextLate < late.length) {
            const i = late[nextLate++];
            record(keyOf(i), await client.post(keyOf(i), bodies[i]));
            duplicatesPosted++;
          }
        }),
      );
      for (const key of answered.keys()) gaveUp.delete(key); // a retry of a key that failed once and was answered later

      // Every accepted order terminal, or nothing new terminal for the hang guard's time: what is left is lost.
      lastProgressAt = Date.now();
      while (pending.size > 0 && Date.now() - lastProgressAt < HANG_GUARD_MS) await sleep(250);
    } finally {
      clearInterval(progress);
      watching = false;
      await watcher;
    }
    const seconds = (Date.now() - started) / 1000;
    say(
      `chaos ${workflow}: ${watched.size} accepted, ${watched.size - pending.size} terminal after ${seconds.toFixed(1)} s; reading the ledger...`,
    );

    // The ledger: both tables, both queues (readLedger waits for the last records and for the queues to drain).
    const ledger: Ledger = await readLedger(cloud);
    const rss = peakRssMb(cloud.child.pid);
    const figures = await countWorkflows(cloud, dataDir, workflow, [...watched.keys()]);
    const accepted = [...watched.keys()];
    const stored = new Map(ledger.orders.map((o) => [o.orderId, o]));
    for (const o of ledger.orders) observe(o); // the last look: a change after the first terminal status shows here

    const outcomes = {
      REJECTED: ledger.orders.filter((o) => o.status === 'REJECTED').length,
      FULFILLED: ledger.orders.filter((o) => o.status === 'FULFILLED').length,
      FAILED: ledger.orders.filter((o) => o.status === 'FAILED').length,
      OUT_OF_STOCK: ledger.orders.filter((o) => o.failureReason === 'OUT_OF_STOCK').length,
      PROCESSING_ERROR: ledger.orders.filter((o) => o.failureReason === 'PROCESSING_ERROR').length,
    };
    const recordsOf = new Map<string, Ledger['failedRecords'][number][]>();
    for (const r of ledger.failedRecords) recordsOf.set(r.orderId, [...(recordsOf.get(r.orderId) ?? []), r]);
    const failed = ledger.orders.filter((o) => o.status === 'FAILED');
    const recordsByStage: Record<string, number> = {};
    for (const r of ledger.failedRecords) {
      const what = `${r.stage ?? '?'} ${r.error ?? ''}`.trim();
      recordsByStage[what] = (recordsByStage[what] ?? 0) + 1;
    }
    const isTerminal = (id: string) => TERMINAL.includes(stored.get(id)?.status ?? 'missing');
    // The orders (or keys, or queues) behind each figure: its count, and a few to follow up.
    const offenders: Record<keyof Conservation, string[]> = {
      lost: accepted.filter((id) => !isTerminal(id)),
      unbalanced: accepted.length === outcomes.REJECTED + outcomes.FULFILLED + outcomes.FAILED ? [] : ['(the sum)'],
      doubleTerminal: accepted.filter((id) => new Set(watched.get(id)!.seen.filter((x) => TERMINAL.includes(x.split(':')[0]))).size > 1),
      backwards: accepted.filter((id) => watched.get(id)!.backwards),
      keysWithTwoOrders: [...answered].filter(([, ids]) => ids.size > 1).map(([key]) => key),
      unaccounted: ledger.orders.filter((o) => !watched.has(o.orderId)).map((o) => o.orderId),
      failedWithoutOneRecord: failed.filter((o) => (recordsOf.get(o.orderId) ?? []).length !== 1).map((o) => o.orderId),
      recordsForOthers: ledger.failedRecords.filter((r) => stored.get(r.orderId)?.status !== 'FAILED').map((r) => r.orderId),
      recordReasonMismatch: failed
        .filter((o) => {
          const rs = recordsOf.get(o.orderId) ?? [];
          return rs.length === 1 && rs[0].failureReason !== o.failureReason;
        })
        .map((o) => o.orderId),
      queuesNotDrained: [
        ...ledger.queues.filter((q) => q.visible !== '0' || q.inFlight !== '0').map((q) => q.QueueUrl),
        ...(ledger.queues.length === 2 ? [] : ['(a queue missing)']),
      ],
      inFlightIndexed: ledger.inFlightIndexed,
      neverAccepted: [...gaveUp],
      keysNotStartedOnce: accepted.filter((id) => (figures.starts.get(id) ?? 0) !== 1),
    };
    const conservation = Object.fromEntries(Object.entries(offenders).map(([k, v]) => [k, v.length])) as unknown as Conservation;
    // Up to three orders behind the figures that are not 0, each with what was seen of it and its log lines.
    const exampleIds = [
      ...new Set(
        Object.values(offenders)
          .flatMap((ids) => ids.slice(0, 2))
          .filter((id) => watched.has(id) || stored.has(id)),
      ),
    ].slice(0, 3);
    const examples = await Promise.all(
      exampleIds.map(async (id) => ({
        orderId: id,
        figures: Object.entries(offenders)
          .filter(([, ids]) => ids.includes(id))
          .map(([k]) => k),
        seen: watched.get(id)?.seen ?? [],
        stored: stored.get(id),
        records: recordsOf.get(id) ?? [],
        logLines: await figures.linesOf(id),
      })),
    );
    const perKey = histogram(accepted.map((id) => figures.starts.get(id) ?? 0));
    const duplicatedIds = [...duplicatedKeys].flatMap((k) => [...(answered.get(k) ?? [])]);
    const took = [...terminalAt].sort((a, b) => a - b);
    const functionTimeouts: Record<string, number> = {};
    for (const l of cloud.output) {
      const fn = /^\[(\S+) [0-9a-f]{8}\] .*Task timed out after/.exec(l)?.[1];
      if (fn) functionTimeouts[fn] = (functionTimeouts[fn] ?? 0) + 1;
    }
    return {
      options: { orders, faultRate: options.faultRate, duplicates, duplicateExecutions, workflow, concurrency, maxInFlight },
      seconds,
      posts: { duplicateKeys, ...client.figures() },
      accepted: accepted.length,
      outcomes,
      recordsByStage,
      conservation,
      workflows: {
        source: figures.source,
        perKey,
        perDuplicatedKey: histogram(duplicatedIds.map((id) => figures.starts.get(id) ?? 0)),
        redriven: figures.redriven,
        resent: figures.resent,
        injectedDuplicates: figures.injected,
        extraStartCalls: figures.extraStartCalls,
        redeliveriesIgnored: figures.ignored,
      },
      timeToTerminalMs: { p50: at(took, 0.5), p99: at(took, 0.99), max: at(took, 1) },
      peakRssMb: rss,
      functionTimeouts,
      examples,
    };
  } finally {
    db.destroy();
    await cloud.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
};

/**
 * How many workflows each order's key started, apart from the reconciler's re-drives and the executions the
 * local Step Functions itself ran twice:
 * - STANDARD: the executions named after the order, from ListExecutions (Step Functions' own record);
 * - EXPRESS, which keeps no record (ListExecutions is not supported): the api-handler's log lines for each
 *   StartExecution it made for a request, 'order accepted' (the first request) and 'idempotent replay found
 *   the workflow not started; starting it' (a replay that claimed the start).
 * The re-drives come from the reconciler's 'stuck order re-driven' lines, the injected duplicates from the
 * cloud's own lines.
 */
const countWorkflows = async (cloud: RunningCloud, dataDir: string, workflow: 'STANDARD' | 'EXPRESS', accepted: readonly string[]) => {
  const discovery = JSON.parse(fs.readFileSync(localCloudFile(dataDir, 'dev'), 'utf8')) as LocalCloudFile;
  const logs = new CloudWatchLogsClient({ endpoint: discovery.endpoints.logs, region: discovery.region, credentials });
  try {
    const group = discovery.outputs.operations.logGroups['api-handler'];
    const firsts = await logEvents(logs, group, '{ $.message = "order accepted" }');
    const replays = await logEvents(logs, group, '{ $.message = "idempotent replay found the workflow not started; starting it" }');
    const redrives = await logEvents(logs, group, '{ $.message = "stuck order re-driven" }');
    const ignored = (
      await logEvents(
        logs,
        discovery.outputs.operations.logGroups.fulfillment,
        '{ $.message = "order already finished; redelivery ignored" }',
      )
    ).length;
    const calls = new Map<string, number>();
    for (const line of [...firsts, ...replays]) calls.set(String(line.orderId), (calls.get(String(line.orderId)) ?? 0) + 1);
    const injected = cloud.output.filter((l) => DUPLICATE_EXECUTION_LINE.test(l)).length;
    const redriven = redrives.filter((l) => l.action === 'RESTARTED_WORKFLOW').length;
    const resent = redrives.filter((l) => l.action === 'RESENT_MESSAGE').length;
    const extraStartCalls = [...calls.values()].reduce((n, c) => n + Math.max(0, c - 1), 0);
    /** Every log line that names an order, from each log group of the stack, in time order (as `ops status` reads them). */
    const linesOf = async (orderId: string): Promise<string[]> => {
      const client = new CloudWatchLogsClient({ endpoint: discovery.endpoints.logs, region: discovery.region, credentials });
      try {
        const lines: { at: number; text: string }[] = [];
        for (const [role, logGroupName] of Object.entries(discovery.outputs.operations.logGroups)) {
          const page = await client
            .send(new FilterLogEventsCommand({ logGroupName, filterPattern: `"${orderId}"` }))
            .catch(() => undefined);
          for (const e of page?.events ?? []) {
            const text = briefLine(e.message ?? '');
            if (text !== undefined)
              lines.push({ at: e.timestamp ?? 0, text: `${new Date(e.timestamp ?? 0).toISOString()} ${role} ${text}` });
          }
        }
        return lines.sort((a, b) => a.at - b.at).map((l) => l.text);
      } finally {
        client.destroy();
      }
    };
    if (workflow === 'EXPRESS')
      return {
        source: "the api-handler's StartExecution log lines",
        starts: calls,
        injected,
        redriven,
        resent,
        extraStartCalls,
        linesOf,
        ignored,
      };
    const names = await executionNames(cloud);
    const ids = new Set(accepted);
    const starts = new Map<string, number>();
    let redrivenExecutions = 0;
    for (const name of names) {
      const redrive = /^(.+)-redrive-(\d+)$/.exec(name);
      if (ids.has(name)) starts.set(name, (starts.get(name) ?? 0) + 1);
      else if (redrive && ids.has(redrive[1]) && redriveExecutionName(redrive[1], Number(redrive[2])) === name) redrivenExecutions++;
    }
    return {
      source: 'ListExecutions (executions named after each order)',
      starts,
      injected,
      redriven: redrivenExecutions,
      resent,
      extraStartCalls,
      linesOf,
      ignored,
    };
  } finally {
    logs.destroy();
  }
};

/** The sum of a report's conservation figures: 0 when the system kept the contract. */
export const conservationFailures = (r: ChaosReport): number => Object.values(r.conservation).reduce((n, v) => n + v, 0);

/** The report as the lines `npm run chaos` prints. */
export const formatChaosReport = (r: ChaosReport): string => {
  const c = r.conservation;
  const o = r.outcomes;
  const ms = (n: number) => `${(n / 1000).toFixed(2)} s`;
  return [
    `chaos ${r.options.workflow}: ${r.options.orders} orders, faults ${r.options.faultRate} (errors and timeouts in every function and SendToQueue, ` +
      `SQS redeliveries), duplicate POSTs ${r.options.duplicates}${r.options.workflow === 'EXPRESS' ? `, duplicate executions ${r.options.duplicateExecutions}` : ''}`,
    `  run: ${r.seconds.toFixed(1)} s, ${(r.accepted / r.seconds).toFixed(1)} orders/s to terminal; time to terminal p50 ${ms(r.timeToTerminalMs.p50)}, ` +
      `p99 ${ms(r.timeToTerminalMs.p99)}, max ${ms(r.timeToTerminalMs.max)}; peak RSS of the cloud ${r.peakRssMb.toFixed(0)} MB`,
    `  POSTs: ${r.posts.requests} requests, ${r.posts.retried} retried with the same key; answers ${JSON.stringify(r.posts.byStatus)}; ` +
      `keys posted twice: ${JSON.stringify(r.posts.duplicateKeys)}`,
    `  ledger: accepted ${r.accepted} = REJECTED ${o.REJECTED} + FULFILLED ${o.FULFILLED} + FAILED ${o.FAILED} ` +
      `(OUT_OF_STOCK ${o.OUT_OF_STOCK}, PROCESSING_ERROR ${o.PROCESSING_ERROR})${c.unbalanced === 0 ? '' : `: off by ${c.unbalanced}`}`,
    `  lost ${c.lost}, double-terminal ${c.doubleTerminal}, status backwards ${c.backwards}, keys with two orders ${c.keysWithTwoOrders}, ` +
      `orders no 202 named ${c.unaccounted}, keys never accepted ${c.neverAccepted}`,
    `  FAILED without exactly one record ${c.failedWithoutOneRecord}, records of orders not FAILED ${c.recordsForOthers}, ` +
      `records with another reason ${c.recordReasonMismatch}; records by stage ${JSON.stringify(r.recordsByStage)}`,
    `  queues drained: ${c.queuesNotDrained === 0 ? 'both' : `${c.queuesNotDrained} not`}; in-flight index ${c.inFlightIndexed}`,
    `  workflows per key (${r.workflows.source}): ${JSON.stringify(r.workflows.perKey)}; for the keys posted twice ${JSON.stringify(r.workflows.perDuplicatedKey)}; ` +
      `keys not started exactly once ${c.keysNotStartedOnce}`,
    `    apart: re-driven by the reconciler ${r.workflows.redriven} (and ${r.workflows.resent} messages sent again), run twice by --duplicate-executions ` +
      `${r.workflows.injectedDuplicates}; api-handler StartExecution calls beyond one per key ${r.workflows.extraStartCalls}; ` +
      `messages fulfillment found already finished ${r.workflows.redeliveriesIgnored}`,
    `  Lambda timeouts reported: ${JSON.stringify(r.functionTimeouts)}`,
    ...r.examples.flatMap((e) => [
      `  example ${e.orderId} (${e.figures.join(', ')}): seen ${e.seen.join(' → ') || 'nothing'}; stored ${JSON.stringify(e.stored ?? null)}; ` +
        `records ${JSON.stringify(e.records)}`,
      ...e.logLines.map((l) => `    ${l.length > 800 ? `${l.slice(0, 800)}...` : l}`),
    ]),
  ].join('\n');
};
