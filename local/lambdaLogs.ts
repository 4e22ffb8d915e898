/**
 * Lambda's log-level filtering of application logs (advanced logging controls), as the service applies
 * it to what a function writes to stdout and stderr when its log format is JSON:
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html
 * A line is taken at the level of its `"level"` key; "If the level value field is invalid or missing,
 * Lambda will assign the log output the level INFO", and likewise when the line has no valid RFC 3339
 * `timestamp`. Lines below the function's `applicationLogLevel` are not sent to CloudWatch Logs.
 */

/** The application log levels, most detailed first (the doc's table; aws-lambda-ric src/LogPatch.js). */
export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;
export type LambdaLogLevel = (typeof LOG_LEVELS)[number];

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** The level Lambda assigns to one line a function wrote. */
export const levelOfLogLine = (line: string): LambdaLogLevel => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return 'INFO';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'INFO';
  const { level, timestamp } = parsed as { level?: unknown; timestamp?: unknown };
  if (typeof timestamp !== 'string' || !RFC3339.test(timestamp)) return 'INFO';
  const upper = typeof level === 'string' ? level.toUpperCase() : '';
  return (LOG_LEVELS as readonly string[]).includes(upper) ? (upper as LambdaLogLevel) : 'INFO';
};

/** A function's logging config as Lambda applies it: the format, and the least level kept (JSON only). */
export interface LoggingConfig {
  readonly format: 'JSON' | 'Text';
  /** Lambda's default when the format is JSON and no level is set: INFO. */
  readonly applicationLogLevel: LambdaLogLevel;
}

/** Whether Lambda sends `line` on to CloudWatch Logs: with the JSON format, only lines at or above the level. */
export const keepsLogLine = (config: LoggingConfig, line: string): boolean =>
  config.format !== 'JSON' || LOG_LEVELS.indexOf(levelOfLogLine(line)) >= LOG_LEVELS.indexOf(config.applicationLogLevel);
