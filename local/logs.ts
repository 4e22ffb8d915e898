/**
 * CloudWatch Logs, as far as the operator's commands use it: each function's log lines (those Lambda keeps
 * at the function's log level) are kept per log group, one JSON line per event in `<dir>/<group>.jsonl`, and
 * an endpoint answers FilterLogEvents over them (AWS JSON 1.1, `Logs_20140328.FilterLogEvents`).
 *
 * Sources: the request and response, https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html;
 * the filter pattern syntax, https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html.
 * Patterns emulated: empty (every event), terms (a bare word or a "quoted phrase"; all must appear,
 * case-sensitive; `?term`s: any; `-term`: none) and one JSON comparison `{ $.a.b = "v" }` or `!=`. Any other
 * pattern (regex, space-delimited, compound JSON) is refused here rather than matched differently from AWS.
 */
import * as fs from 'fs';
import * as http from 'http';
import { listenLocally } from './listen';
import * as path from 'path';
import { AwsJsonError } from './awsJson';

/** One log event, as FilterLogEvents returns it. */
export interface LogEvent {
  readonly logStreamName: string;
  readonly timestamp: number;
  readonly ingestionTime: number;
  readonly message: string;
  readonly eventId: string;
}

/** The file that keeps a log group's events. */
export const logFileOf = (dir: string, group: string): string => path.join(dir, `${encodeURIComponent(group)}.jsonl`);

/** Appends a log stream's events to its group's file (one writer per stream; appends are whole lines). */
export class LogWriter {
  private stream?: fs.WriteStream;
  private seq = 0;
  private closed = false;

  constructor(
    private readonly file: string,
    private readonly logStreamName: string,
  ) {}

  write(message: string, timestamp = Date.now()): void {
    if (this.closed) return;
    if (!this.stream) {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      this.stream = fs.createWriteStream(this.file, { flags: 'a' });
      this.stream.on('error', () => undefined); // a log line that cannot be kept never stops the function
    }
    const event = { logStreamName: this.logStreamName, timestamp, message, eventId: `${timestamp}-${this.logStreamName}-${this.seq++}` };
    this.stream.write(JSON.stringify(event) + '\n');
  }

  close(): Promise<void> {
    this.closed = true;
    const stream = this.stream;
    this.stream = undefined;
    return stream ? new Promise((resolve) => stream.end(() => resolve())) : Promise.resolve();
  }
}

const invalid = (message: string) => new AwsJsonError('InvalidParameterException', message, 'com.amazonaws.logs');

/** A filter pattern as a predicate on a message; a pattern this emulation does not cover is refused. */
export const matcherFor = (pattern: string | undefined): ((message: string) => boolean) => {
  const p = (pattern ?? '').trim();
  if (p === '') return () => true;
  if (p.startsWith('{')) {
    const m = /^\{\s*\$((?:\.[A-Za-z_][\w-]*)+)\s*(=|!=)\s*(?:"((?:[^"\\]|\\.)*)"|(-?\d+(?:\.\d+)?))\s*\}$/.exec(p);
    if (!m) throw invalid(`Invalid filter pattern: the local cloud matches one JSON comparison '{ $.field = "value" }' only, not '${p}'`);
    const keys = m[1].slice(1).split('.');
    const expected = m[3] !== undefined ? (JSON.parse(`"${m[3]}"`) as string) : Number(m[4]);
    return (message) => {
      let value: unknown;
      try {
        value = JSON.parse(message);
      } catch {
        return false; // a JSON pattern matches JSON events only
      }
      for (const k of keys) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[k] : undefined;
      const equal = value === expected;
      return m[2] === '=' ? equal : value !== undefined && !equal;
    };
  }
  if (p.startsWith('[') || p.includes('%'))
    throw invalid(`Invalid filter pattern: the local cloud does not match '${p}' (terms and one JSON comparison only)`);
  const terms: { kind: 'all' | 'any' | 'none'; text: string }[] = [];
  const re = /([?-]?)(?:"((?:[^"\\]|\\.)*)"|(\S+))/g;
  for (let m = re.exec(p); m; m = re.exec(p)) {
    const text = m[2] !== undefined ? (JSON.parse(`"${m[2]}"`) as string) : m[3];
    terms.push({ kind: m[1] === '?' ? 'any' : m[1] === '-' ? 'none' : 'all', text });
  }
  const any = terms.filter((t) => t.kind === 'any');
  return (message) =>
    terms.every((t) => (t.kind === 'all' ? message.includes(t.text) : t.kind === 'none' ? !message.includes(t.text) : true)) &&
    (any.length === 0 || any.some((t) => message.includes(t.text)));
};

export interface FilterRequest {
  readonly logGroupName?: string;
  readonly logGroupIdentifier?: string;
  readonly filterPattern?: string;
  readonly startTime?: number;
  readonly endTime?: number;
  readonly limit?: number;
  readonly nextToken?: string;
}

/** FilterLogEvents over the groups kept in `dir`: events from oldest, at most `limit` a page (10,000 by default). */
export const filterLogEvents = (dir: string, groups: ReadonlySet<string>, request: FilterRequest) => {
  if (request.logGroupName !== undefined && request.logGroupIdentifier !== undefined) {
    throw invalid('LogGroup name and LogGroup ARN are mutually exclusive parameters.');
  }
  const group = request.logGroupName ?? request.logGroupIdentifier?.replace(/^arn:aws:logs:[^:]*:\d+:log-group:/, '').replace(/:\*$/, '');
  if (group === undefined) throw invalid('Either logGroupName or logGroupIdentifier must be specified.');
  if (!groups.has(group))
    throw new AwsJsonError('ResourceNotFoundException', 'The specified log group does not exist.', 'com.amazonaws.logs');
  const limit = request.limit ?? 10_000;
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    throw invalid(
      `1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 10000`,
    );
  }
  const matches = matcherFor(request.filterPattern);
  const file = logFileOf(dir, group);
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const all: LogEvent[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let e: Omit<LogEvent, 'ingestionTime'>;
    try {
      e = JSON.parse(line) as Omit<LogEvent, 'ingestionTime'>;
    } catch {
      continue; // the last line of a process killed mid-write
    }
    if (request.startTime !== undefined && e.timestamp < request.startTime) continue;
    if (request.endTime !== undefined && e.timestamp > request.endTime) continue;
    if (matches(e.message)) all.push({ ...e, ingestionTime: e.timestamp });
  }
  all.sort((a, b) => a.timestamp - b.timestamp);
  const from = request.nextToken === undefined ? 0 : Number(Buffer.from(request.nextToken, 'base64url').toString());
  if (!Number.isInteger(from) || from < 0) throw invalid('The specified nextToken is invalid.');
  const events = all.slice(from, from + limit);
  return {
    events,
    searchedLogStreams: [],
    ...(from + limit < all.length ? { nextToken: Buffer.from(String(from + limit)).toString('base64url') } : {}),
  };
};

/** The local CloudWatch Logs endpoint on 127.0.0.1: FilterLogEvents over `groups` kept in `dir`. */
export const startLocalLogs = async (dir: string, groups: ReadonlySet<string>) => {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        const text = JSON.stringify(body);
        res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'Content-Length': Buffer.byteLength(text) });
        res.end(text);
      };
      try {
        const target = String(req.headers['x-amz-target'] ?? '');
        if (target !== 'Logs_20140328.FilterLogEvents') {
          throw new AwsJsonError(
            'UnknownOperationException',
            `the local cloud's CloudWatch Logs answers FilterLogEvents only, not '${target}'`,
            'com.amazon.coral.service',
          );
        }
        reply(200, filterLogEvents(dir, groups, JSON.parse(Buffer.concat(chunks).toString() || '{}') as FilterRequest));
      } catch (e) {
        if (e instanceof AwsJsonError) reply(e.status, e.body);
        else reply(500, { __type: 'ServiceUnavailableException', message: (e as Error).message });
      }
    });
  });
  return listenLocally(server);
};
