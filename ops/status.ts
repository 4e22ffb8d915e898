/**
 * `npm run ops -- status ORDER_ID`: one order as an operator follows it: its item and failed-orders record,
 * its workflow executions (STANDARD: DescribeExecution and the history; EXPRESS keeps none), the queue
 * messages that carried it, and every log line that names it, from every function and the workflow, in
 * time order.
 */
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { OpsError } from './outputs';
import type { Target } from './target';
import type { FailedOrderRecord, OrderRecord } from '../runtime/orders';
import { redriveExecutionName } from '../runtime/reconciler';

/** Order ids are the API's: letters, digits, `-` and `_` (a uuid, or the keyed id of an Idempotency-Key). */
const ORDER_ID = /^[A-Za-z0-9_-]{1,128}$/;

export const checkOrderId = (id: string | undefined): string => {
  if (id === undefined) throw new OpsError('an ORDER_ID is required, e.g. npm run ops -- status 0f8fad5b-d9cb-469f-a165-70867728950e', 2);
  if (!ORDER_ID.test(id)) throw new OpsError(`ORDER_ID '${id}' is not an order id: expected 1 to 128 letters, digits, '-' or '_'`, 2);
  return id;
};

export interface Execution {
  readonly name: string;
  readonly status: string;
  readonly startDate?: string;
  readonly stopDate?: string;
  readonly error?: string;
  readonly cause?: string;
}

export interface Message {
  readonly messageId: string;
  /** What happened to it, as the log lines and the history say, oldest first. */
  readonly seen: readonly { readonly at: string; readonly by: string; readonly what: string }[];
}

export interface TimelineEntry {
  readonly at: string;
  /** The function (by role) or `workflow`. */
  readonly source: string;
  readonly level: string;
  readonly message: string;
  /** The line's other fields, for `--json` and the operator's eye. */
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface StatusReport {
  readonly orderId: string;
  readonly order?: OrderRecord;
  readonly failedRecord?: FailedOrderRecord;
  readonly workflowType: 'STANDARD' | 'EXPRESS';
  readonly executions: readonly Execution[];
  readonly messages: readonly Message[];
  readonly timeline: readonly TimelineEntry[];
  readonly notes: readonly string[];
}

/** How far back log lines are looked for when the order's item is gone (it names no creation time). */
const LOOKBACK_WITHOUT_ORDER_MS = 14 * 24 * 3600 * 1000;
/** A bound on the FilterLogEvents calls per log group: pages may come back empty until the whole range is searched. */
const MAX_CALLS_PER_GROUP = 60;
/** A bound on the lines read per log group: one order writes tens. */
const MAX_LINES_PER_GROUP = 2000;

const executionArnOf = (stateMachineArn: string, name: string) => `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;

/** The history events worth a line in the timeline, with what they say. */
const historyLine = (e: HistoryEvent, names: Map<number, string>): { state?: string; text: string; messageId?: string } | undefined => {
  const entered = e.stateEnteredEventDetails;
  if (entered?.name) names.set(Number(e.id), entered.name);
  const stateOf = (): string | undefined => {
    for (let id = Number(e.previousEventId); id > 0;) {
      const n = names.get(id);
      if (n) return n;
      id -= 1;
    }
    return undefined;
  };
  switch (String(e.type)) {
    case 'ExecutionStarted':
      return { text: 'execution started' };
    case 'TaskStateEntered':
    case 'ChoiceStateEntered':
    case 'FailStateEntered':
    case 'SucceedStateEntered':
      return { state: entered?.name, text: `entered ${entered?.name ?? '?'}` };
    case 'TaskFailed':
      return {
        state: stateOf(),
        text: `task failed: ${e.taskFailedEventDetails?.error ?? ''} ${e.taskFailedEventDetails?.cause ?? ''}`.trim(),
      };
    case 'TaskTimedOut':
      return { state: stateOf(), text: `task timed out: ${e.taskTimedOutEventDetails?.error ?? ''}` };
    case 'LambdaFunctionFailed':
      return { state: stateOf(), text: `function failed: ${e.lambdaFunctionFailedEventDetails?.error ?? ''}` };
    case 'LambdaFunctionTimedOut':
      return { state: stateOf(), text: 'function timed out' };
    case 'TaskSucceeded': {
      let messageId: string | undefined;
      try {
        messageId = (JSON.parse(e.taskSucceededEventDetails?.output ?? '{}') as { MessageId?: string }).MessageId;
      } catch {
        // an output that is not JSON names no message
      }
      return messageId ? { state: stateOf(), text: `sent message ${messageId}`, messageId } : undefined;
    }
    case 'ExecutionSucceeded':
      return { text: 'execution succeeded' };
    case 'ExecutionFailed':
      return {
        text: `execution failed: ${e.executionFailedEventDetails?.error ?? ''} ${e.executionFailedEventDetails?.cause ?? ''}`.trim(),
      };
    case 'ExecutionTimedOut':
      return { text: 'execution timed out' };
    case 'ExecutionAborted':
      return { text: 'execution aborted' };
    default:
      return undefined; // scheduled, started, exited and the like: the entered and ended states say enough
  }
};

/** The executions of an order (its own and the reconciler's re-drives), with their histories as timeline entries. */
const executionsOf = async (target: Target, orderId: string, order: OrderRecord | undefined) => {
  const { sfn } = target.clients;
  const names = [orderId, ...Array.from({ length: order?.redriveAttempts ?? 0 }, (_, i) => redriveExecutionName(orderId, i + 1))];
  const executions: Execution[] = [];
  const timeline: TimelineEntry[] = [];
  const sent: { messageId: string; at: string }[] = [];
  for (const name of names) {
    const executionArn = executionArnOf(target.outputs.stateMachineArn, name);
    let described;
    try {
      described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    } catch (e) {
      if ((e as Error).name === 'ExecutionDoesNotExist') continue;
      throw e;
    }
    executions.push({
      name,
      status: described.status ?? 'UNKNOWN',
      startDate: described.startDate?.toISOString(),
      stopDate: described.stopDate?.toISOString(),
      error: described.error,
      cause: described.cause,
    });
    const stateNames = new Map<number, string>();
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }));
      for (const e of page.events ?? []) {
        const line = historyLine(e, stateNames);
        if (!line) continue;
        const at = e.timestamp?.toISOString() ?? '';
        timeline.push({
          at,
          source: 'workflow',
          level: e.type?.includes('Fail') ? 'ERROR' : 'INFO',
          message: line.text,
          fields: { execution: name, ...(line.state ? { state: line.state } : {}) },
        });
        if (line.messageId) sent.push({ messageId: line.messageId, at });
      }
      nextToken = page.nextToken;
    } while (nextToken);
  }
  return { executions, timeline, sent };
};

const parseObject = (text: string): Record<string, unknown> | undefined => {
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

/** Every log line that names `orderId`, from each log group of the stack, oldest first. */
const logLinesOf = async (target: Target, orderId: string, since: number, progress: (line: string) => void, notes: string[]) => {
  const entries: TimelineEntry[] = [];
  // Paced below FilterLogEvents' quota (5 a second per account and region), which other readers share.
  const pauseMs = target.local ? 0 : 250;
  for (const [source, group] of Object.entries(target.outputs.operations.logGroups)) {
    let nextToken: string | undefined;
    let read = 0;
    let calls = 0;
    try {
      do {
        if (calls++ > 0) await new Promise((r) => setTimeout(r, pauseMs));
        if (calls > MAX_CALLS_PER_GROUP) {
          notes.push(`${source}: stopped after ${MAX_CALLS_PER_GROUP} FilterLogEvents calls; narrow the time with the order's createdAt`);
          break;
        }
        // A quoted term matches the events that contain it exactly (FilterAndPatternSyntax.html).
        const page = await target.clients.logs.send(
          new FilterLogEventsCommand({ logGroupName: group, filterPattern: `"${orderId}"`, startTime: since, nextToken, limit: 500 }),
        );
        for (const e of page.events ?? []) {
          read++;
          let fields: Record<string, unknown> = {};
          let message = e.message ?? '';
          let level = 'INFO';
          const parsed = parseObject(message);
          if (parsed?._aws) continue; // an EMF metric line: counted, not told
          if (parsed) {
            message = typeof parsed.message === 'string' ? parsed.message : JSON.stringify(parsed.message ?? '');
            level = typeof parsed.level === 'string' ? parsed.level : 'INFO';
            fields = { ...parsed };
            for (const k of ['timestamp', 'message', 'level']) delete fields[k];
          } else {
            message = message.trim(); // a plain line (Lambda's platform: a timeout), kept as it is
          }
          entries.push({ at: new Date(e.timestamp ?? 0).toISOString(), source, level, message, fields });
        }
        nextToken = page.nextToken;
        if (read >= MAX_LINES_PER_GROUP) {
          progress(`  ${source}: more than ${MAX_LINES_PER_GROUP} lines name the order; the first ${read} are shown`);
          break;
        }
      } while (nextToken);
    } catch (e) {
      // One group that cannot be read (throttled past the retries, no permission) leaves the rest of the report.
      notes.push(`${source}: its log group ${group} could not be read (${(e as Error).name}: ${(e as Error).message})`);
    }
  }
  return entries;
};

/** Gathers everything known about one order. */
export const orderStatus = async (
  target: Target,
  orderId: string,
  progress: (line: string) => void = () => undefined,
): Promise<StatusReport> => {
  const { db } = target.clients;
  const { outputs } = target;
  progress(`reading order ${orderId} from ${target.description}...`);
  const order = (await db.send(new GetCommand({ TableName: outputs.ordersTableName, Key: { orderId }, ConsistentRead: true }))).Item as
    OrderRecord | undefined;
  const failedRecord = (await db.send(new GetCommand({ TableName: outputs.failedOrdersTableName, Key: { orderId }, ConsistentRead: true })))
    .Item as FailedOrderRecord | undefined;
  const notes: string[] = [];
  const workflowType = outputs.operations.workflowType;
  let executions: Execution[] = [];
  let history: TimelineEntry[] = [];
  let sent: { messageId: string; at: string }[] = [];
  if (workflowType === 'STANDARD') {
    progress('reading its workflow executions...');
    ({ executions, timeline: history, sent } = await executionsOf(target, orderId, order));
  } else {
    notes.push(
      "the workflow is EXPRESS: Step Functions keeps no execution record (DescribeExecution is not supported for EXPRESS); the workflow log group's lines below are all there is",
    );
  }
  progress(`reading the log lines that name it from ${Object.keys(outputs.operations.logGroups).length} log groups...`);
  const since = order ? Date.parse(order.createdAt) - 60_000 : Date.now() - LOOKBACK_WITHOUT_ORDER_MS;
  const lines = await logLinesOf(target, orderId, since, progress, notes);
  const timeline = [...history, ...lines].sort((a, b) => a.at.localeCompare(b.at));

  // The queue messages: sent by the workflow (STANDARD's history), received by the functions (their log lines).
  const messages = new Map<string, { at: string; by: string; what: string }[]>();
  for (const s of sent) messages.set(s.messageId, [{ at: s.at, by: 'workflow', what: 'sent by SendToQueue' }]);
  for (const l of lines) {
    const id = l.fields.messageId;
    if (typeof id !== 'string') continue;
    const seen = messages.get(id) ?? [];
    const receive = typeof l.fields.receiveCount === 'number' ? ` (receive ${l.fields.receiveCount})` : '';
    seen.push({ at: l.at, by: l.source, what: `${l.message}${receive}` });
    messages.set(id, seen);
  }
  if (!order) notes.push(`no order ${orderId} in ${outputs.ordersTableName}`);
  return {
    orderId,
    ...(order ? { order } : {}),
    ...(failedRecord ? { failedRecord } : {}),
    workflowType,
    executions,
    messages: [...messages].map(([messageId, seen]) => ({ messageId, seen: seen.sort((a, b) => a.at.localeCompare(b.at)) })),
    timeline,
    notes,
  };
};

/** The report as the operator reads it. */
export const formatStatus = (r: StatusReport): string[] => {
  const out: string[] = [];
  if (r.order) {
    const o = r.order;
    out.push(
      `order ${r.orderId}: ${o.status}${o.failureReason ? ` (${o.failureReason})` : ''}  customer ${o.customerId}  ${o.items.length} item(s)  created ${o.createdAt}  updated ${o.updatedAt}${
        o.redriveAttempts ? `  re-driven ${o.redriveAttempts} time(s)` : ''
      }`,
    );
  } else {
    out.push(`order ${r.orderId}: not found`);
  }
  if (r.failedRecord) {
    const f = r.failedRecord;
    out.push(
      `failed-orders record: ${f.failureReason} at ${f.stage}${f.error ? `, ${f.error}` : ''}${f.cause ? `: ${f.cause}` : ''} (${f.failedAt})`,
    );
  }
  out.push(`executions (${r.workflowType}): ${r.executions.length === 0 ? 'none found' : ''}`);
  for (const e of r.executions) {
    out.push(`  ${e.name}: ${e.status}  ${e.startDate ?? ''} → ${e.stopDate ?? '…'}${e.error ? `  ${e.error}: ${e.cause ?? ''}` : ''}`);
  }
  out.push(`messages: ${r.messages.length === 0 ? 'none seen' : ''}`);
  for (const m of r.messages) {
    out.push(`  ${m.messageId}`);
    for (const s of m.seen) out.push(`    ${s.at}  ${s.by}: ${s.what}`);
  }
  out.push(`timeline (${r.timeline.length} lines, oldest first):`);
  for (const t of r.timeline) {
    const extra = Object.entries(t.fields)
      .filter(([k]) => !['orderId', 'service', 'requestId', 'xray_trace_id', 'function'].includes(k))
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    out.push(`  ${t.at}  ${t.source.padEnd(11)} ${t.level.padEnd(5)} ${t.message}${extra ? `  ${extra}` : ''}`);
  }
  for (const n of r.notes) out.push(`note: ${n}`);
  return out;
};
