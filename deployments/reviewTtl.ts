/**
 * Gives a review stack its time to live. Called by the pre-run command (deployments/preRun.ts) of the review
 * template's deployments, which review stacks copy: on a review stack's first update it schedules a destroy (and
 * removal from Pulumi Cloud) `DOFS_REVIEW_TTL_HOURS` hours later, through the Pulumi Cloud REST API and the
 * stack-scoped token Deployments provides. On the long-lived stacks, on previews and when a TTL is already
 * scheduled it does nothing. Pulumi Cloud also destroys a review stack when its pull request closes; the
 * TTL catches pull requests left open.
 */
import { LONG_LIVED_STACK } from '../components/scope';

export interface TtlEnv {
  readonly PULUMI_CI_ORGANIZATION?: string;
  readonly PULUMI_CI_PROJECT?: string;
  readonly PULUMI_CI_STACK?: string;
  readonly PULUMI_CI_OPERATION?: string;
  readonly PULUMI_ACCESS_TOKEN?: string;
  readonly DOFS_REVIEW_TTL_HOURS?: string;
  readonly PULUMI_API?: string;
}

type Fetch = (
  url: string,
  init?: { method?: string; headers?: Record<string, string>; body?: string },
) => Promise<{ ok: boolean; status: number; json(): Promise<unknown>; text(): Promise<string> }>;

/** What the script did, for its log line and the tests. */
export type TtlOutcome =
  { readonly action: 'skipped'; readonly why: string } | { readonly action: 'scheduled'; readonly timestamp: string };

export class ReviewTtlError extends Error {
  readonly name = 'ReviewTtlError';
}

type Schedule = { scheduleOnce?: string; definition?: { request?: { operation?: string } } };

export const ensureReviewTtl = async (env: TtlEnv, fetchFn: Fetch, now: Date = new Date()): Promise<TtlOutcome> => {
  const stack = env.PULUMI_CI_STACK;
  if (!stack) return { action: 'skipped', why: 'not running in Pulumi Deployments (PULUMI_CI_STACK is not set)' };
  if (LONG_LIVED_STACK.test(stack)) return { action: 'skipped', why: `'${stack}' is a long-lived stack (or the review template)` };
  if (env.PULUMI_CI_OPERATION !== 'update')
    return { action: 'skipped', why: `the operation is '${env.PULUMI_CI_OPERATION}', not an update` };
  const hoursText = env.DOFS_REVIEW_TTL_HOURS ?? '';
  const hours = Number(hoursText);
  if (!/^\d+$/.test(hoursText) || hours < 1 || hours > 720) {
    throw new ReviewTtlError(`DOFS_REVIEW_TTL_HOURS = '${hoursText}' is not allowed: expected a whole number of hours from 1 to 720`);
  }
  for (const key of ['PULUMI_CI_ORGANIZATION', 'PULUMI_CI_PROJECT', 'PULUMI_ACCESS_TOKEN'] as const) {
    if (!env[key]) throw new ReviewTtlError(`${key} is not set: Pulumi Deployments provides it to every deployment`);
  }
  const base = `${env.PULUMI_API ?? 'https://api.pulumi.com'}/api/stacks/${env.PULUMI_CI_ORGANIZATION}/${env.PULUMI_CI_PROJECT}/${stack}/deployments`;
  const headers = {
    Accept: 'application/vnd.pulumi+8',
    'Content-Type': 'application/json',
    Authorization: `token ${env.PULUMI_ACCESS_TOKEN}`,
  };
  const listed = await fetchFn(`${base}/schedules`, { headers });
  if (!listed.ok) throw new ReviewTtlError(`listing the schedules of ${stack} failed: HTTP ${listed.status} ${await listed.text()}`);
  const { schedules = [] } = (await listed.json()) as { schedules?: Schedule[] };
  const existing = schedules.find((s) => s.scheduleOnce && s.definition?.request?.operation === 'destroy');
  if (existing) return { action: 'skipped', why: `a TTL is already scheduled for ${existing.scheduleOnce}` };
  const timestamp = new Date(now.getTime() + hours * 3600_000).toISOString();
  const created = await fetchFn(`${base}/ttl/schedules`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ timestamp, deleteAfterDestroy: true }),
  });
  if (!created.ok) throw new ReviewTtlError(`scheduling the TTL of ${stack} failed: HTTP ${created.status} ${await created.text()}`);
  return { action: 'scheduled', timestamp };
};
