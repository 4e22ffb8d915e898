import type { ErrorList } from './errors';

/** A `Retry` rule. Unset numbers come from the workflow's default retry policy. */
export interface RetryRule {
  readonly errors: ErrorList;
  /** @default the workflow's `defaultRetry.intervalSeconds` */
  readonly intervalSeconds?: number;
  /** @default the workflow's `defaultRetry.maxAttempts` */
  readonly maxAttempts?: number;
  /** @default the workflow's `defaultRetry.backoffRate` */
  readonly backoffRate?: number;
  /** @default the workflow's `defaultRetry.maxDelaySeconds` */
  readonly maxDelaySeconds?: number;
  /** @default the workflow's `defaultRetry.jitter` */
  readonly jitter?: 'FULL' | 'NONE';
}

/** The numbers of a retry policy, set once per workflow. */
export type RetryDefaults = Required<Omit<RetryRule, 'errors'>>;

/** CONTRACT.md: 3 retries, exponential backoff, full jitter, bounded delay. */
export const DEFAULT_RETRY: RetryDefaults = {
  intervalSeconds: 1,
  maxAttempts: 3,
  backoffRate: 2,
  maxDelaySeconds: 10,
  jitter: 'FULL',
};
