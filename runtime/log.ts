/**
 * Structured JSON logs: one object per line with level, function, request id and orderId, and
 * CloudWatch Embedded Metric Format lines for counters. Hand-written rather than Powertools Logger
 * because it is 40 lines, adds nothing to every bundle, and prints the same locally as on AWS.
 */
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
const RANK: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines all carry `fields` (e.g. the orderId). */
  with(fields: Record<string, unknown>): Logger;
  /**
   * Counts `count` of `metric` in namespace DOFS with the given dimensions (EMF), plus the logger's own
   * metric dimensions (the stack): stacks that share an account and namespace keep their metrics apart.
   */
  metric(metric: string, count: number, dimensions: Record<string, string>): void;
}

export const makeLogger = (
  service: string,
  level: LogLevel,
  base: Record<string, unknown> = {},
  write: (line: string) => void = (line) => process.stdout.write(line + '\n'),
  metricDimensions: Record<string, string> = {},
): Logger => {
  const emit = (l: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (RANK[l] < RANK[level]) return;
    const timestamp = new Date().toISOString();
    // Lambda filters a JSON line by its `level` and needs a valid `timestamp` to honour it (see
    // local/lambdaLogs.ts): a field of the same name must not replace either. They stay first in the line.
    const line: Record<string, unknown> = { timestamp, level: l, service, ...base, ...fields, message };
    line.timestamp = timestamp;
    line.level = l;
    write(JSON.stringify(line));
  };
  return {
    debug: (m, f) => emit('DEBUG', m, f),
    info: (m, f) => emit('INFO', m, f),
    warn: (m, f) => emit('WARN', m, f),
    error: (m, f) => emit('ERROR', m, f),
    with: (fields) => makeLogger(service, level, { ...base, ...fields }, write, metricDimensions),
    metric: (metric, count, own) => {
      const dimensions = { ...metricDimensions, ...own };
      write(
        JSON.stringify({
          _aws: {
            Timestamp: Date.now(),
            CloudWatchMetrics: [{ Namespace: 'DOFS', Dimensions: [Object.keys(dimensions)], Metrics: [{ Name: metric, Unit: 'Count' }] }],
          },
          service,
          ...base,
          ...dimensions,
          [metric]: count,
        }),
      );
    },
  };
};

/** The fields of a caught error a log line carries: its name, message and stack (logs only; never a response). */
export const errorFields = (e: unknown): Record<string, unknown> => {
  const err = e as { name?: unknown; message?: unknown; stack?: unknown } | null;
  return {
    error: typeof err?.name === 'string' ? err.name : typeof e,
    errorMessage: typeof err?.message === 'string' ? err.message : String(e),
    ...(typeof err?.stack === 'string' ? { stack: err.stack } : {}),
  };
};

/**
 * Tells the first invocation of a sandbox from the others: made once in a handler's factory (its init), so
 * that the first call answers true (a cold start) and every later one false.
 */
export const coldStartTracker = (): (() => boolean) => {
  let cold = true;
  return () => {
    const was = cold;
    cold = false;
    return was;
  };
};

/** The Root of an X-Ray trace header (`Root=1-…;Parent=…;Sampled=1`), as Powertools logs it. */
export const traceIdOf = (header: string | undefined): string | undefined => /(?:^|;)Root=([^;]+)/.exec(header ?? '')?.[1];

/**
 * What every line of one invocation carries: the request id, the X-Ray trace id and whether this is a cold
 * start. Lambda sets `_X_AMZN_TRACE_ID` for each invocation
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime):
 * read it when the invocation starts, before anything awaits.
 */
export const invocationFields = (
  context: { awsRequestId?: string } | undefined,
  coldStart: boolean,
  traceHeader: string | undefined = process.env._X_AMZN_TRACE_ID,
): Record<string, unknown> => ({
  requestId: context?.awsRequestId,
  xray_trace_id: traceIdOf(traceHeader),
  cold_start: coldStart,
});
