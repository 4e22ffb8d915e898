import { configError } from './errors';
import type { FunctionFaults } from './faults';
import type { LogLevel } from './log';

/** Reads the named environment variables; a missing one is a deployment mistake, reported all at once. */
export const readEnv = <K extends string>(names: readonly K[], env: NodeJS.ProcessEnv = process.env): Record<K, string> => {
  const missing = names.filter((n) => !env[n]);
  if (missing.length > 0) throw configError(`missing environment variables: ${missing.join(', ')}`);
  return Object.fromEntries(names.map((n) => [n, env[n] as string])) as Record<K, string>;
};

/** LOG_LEVEL, default INFO. */
export const logLevelOf = (env: NodeJS.ProcessEnv = process.env): LogLevel => {
  const v = env.LOG_LEVEL ?? 'INFO';
  if (v !== 'DEBUG' && v !== 'INFO' && v !== 'WARN' && v !== 'ERROR') {
    throw configError(`LOG_LEVEL is '${v}': expected DEBUG, INFO, WARN or ERROR`);
  }
  return v;
};

/** DOFS_FAULTS: this function's fault settings as JSON, absent when fault injection is off. */
export const faultsOf = (env: NodeJS.ProcessEnv = process.env): FunctionFaults => {
  const raw = env.DOFS_FAULTS;
  if (!raw) return {};
  try {
    const parsed = JSON.parse(raw) as FunctionFaults;
    return { errorRate: parsed.errorRate, timeoutRate: parsed.timeoutRate };
  } catch {
    throw configError(`DOFS_FAULTS is '${raw}': expected JSON like {"errorRate":0.1}`);
  }
};

/** DOFS_STACK: the Pulumi stack the function belongs to, a dimension of every metric it emits. */
export const stackOf = (env: NodeJS.ProcessEnv = process.env): string => {
  const v = env.DOFS_STACK;
  if (!v) throw configError('DOFS_STACK is not set: expected the name of the Pulumi stack (dev, staging, prod, ...)');
  return v;
};
