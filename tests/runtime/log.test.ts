/**
 * The runtime's log lines under Lambda's log-level filter (local/lambdaLogs.ts, after the Lambda docs):
 * each line must be taken at its own level, or prod's WARN filter would drop warnings and errors.
 */
import { levelOfLogLine } from '../../local/lambdaLogs';
import { type LogLevel, makeLogger } from '../../runtime/log';
import { coldStartTracker, errorFields, invocationFields, traceIdOf } from '../../runtime/log';

describe('makeLogger', () => {
  it.each<LogLevel>(['DEBUG', 'INFO', 'WARN', 'ERROR'])(
    'writes %s lines that Lambda takes at that level (a level and an RFC 3339 timestamp), whatever fields they carry',
    (level) => {
      const lines: string[] = [];
      const log = makeLogger('test', 'DEBUG', { requestId: 'r', level: 'TRACE' }, (l) => lines.push(l)).with({ orderId: 'o' });
      log[level.toLowerCase() as 'debug' | 'info' | 'warn' | 'error']('something happened', { timestamp: 'yesterday' });
      expect(lines).toHaveLength(1);
      expect(levelOfLogLine(lines[0])).toBe(level);
      expect(Object.keys(JSON.parse(lines[0])).slice(0, 2)).toEqual(['timestamp', 'level']);
    },
  );
});

describe('metric lines', () => {
  it('carry the stack as an EMF dimension, so that stacks sharing an account and the DOFS namespace stay apart', () => {
    const lines: string[] = [];
    const log = makeLogger('fulfillment', 'WARN', {}, (l) => lines.push(l), { Stack: 'staging' }).with({ orderId: 'o' });
    log.metric('OrdersFulfilled', 1, { Function: 'fulfillment' });
    const line = JSON.parse(lines[0]);
    expect(line._aws.CloudWatchMetrics).toEqual([
      { Namespace: 'DOFS', Dimensions: [['Stack', 'Function']], Metrics: [{ Name: 'OrdersFulfilled', Unit: 'Count' }] },
    ]);
    // EMF takes each dimension's value from the member of the same name.
    expect(line).toMatchObject({ Stack: 'staging', Function: 'fulfillment', OrdersFulfilled: 1, orderId: 'o' });
  });
});

describe('invocation fields', () => {
  it('carry the request id, the X-Ray trace id (the Root of the header Lambda sets) and whether the sandbox is cold', () => {
    const first = coldStartTracker();
    const header = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    expect(invocationFields({ awsRequestId: 'req-1' }, first(), header)).toEqual({
      requestId: 'req-1',
      xray_trace_id: '1-5759e988-bd862e3fe1be46a994272793',
      cold_start: true,
    });
    expect(invocationFields({ awsRequestId: 'req-2' }, first(), header).cold_start).toBe(false);
    expect(traceIdOf('Parent=1;Sampled=0')).toBeUndefined();
    expect(traceIdOf(undefined)).toBeUndefined();
  });

  it("give an error's name, message and stack to the log line", () => {
    const fields = errorFields(new TypeError('boom'));
    expect(fields).toMatchObject({ error: 'TypeError', errorMessage: 'boom' });
    expect(fields.stack).toMatch(/^TypeError: boom\n\s+at /);
    expect(errorFields('a string')).toEqual({ error: 'string', errorMessage: 'a string' });
  });
});
