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
