import { type TtlEnv, ensureReviewTtl } from '../../deployments/reviewTtl';

type Call = { url: string; method: string; headers?: Record<string, string>; body?: unknown };

/** A Pulumi Cloud that answers the schedule list with `schedules` and records every request. */
const fakeCloud = (schedules: unknown[], status = 200) => {
  const calls: Call[] = [];
  const fetchFn = async (url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) => {
    calls.push({ url, method: init.method ?? 'GET', headers: init.headers, body: init.body ? JSON.parse(init.body) : undefined });
    const body = init.method === 'POST' ? {} : { schedules };
    return { ok: status < 300, status, json: async () => body, text: async () => JSON.stringify(body) };
  };
  return { calls, fetchFn };
};

const review: TtlEnv = {
  PULUMI_CI_ORGANIZATION: 'acme',
  PULUMI_CI_PROJECT: 'dofs',
  PULUMI_CI_STACK: 'pr-pulumi-acme-dofs-42',
  PULUMI_CI_OPERATION: 'update',
  PULUMI_ACCESS_TOKEN: 'token-from-deployments',
  DOFS_REVIEW_TTL_HOURS: '48',
};
const now = new Date('2026-11-26T10:00:00Z');

describe('review stack TTL', () => {
  it("schedules a destroy, and removal, TTL hours after a review stack's first update", async () => {
    const cloud = fakeCloud([]);
    await expect(ensureReviewTtl(review, cloud.fetchFn, now)).resolves.toEqual({
      action: 'scheduled',
      timestamp: '2026-11-28T10:00:00.000Z',
    });
    expect(cloud.calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'GET https://api.pulumi.com/api/stacks/acme/dofs/pr-pulumi-acme-dofs-42/deployments/schedules',
      'POST https://api.pulumi.com/api/stacks/acme/dofs/pr-pulumi-acme-dofs-42/deployments/ttl/schedules',
    ]);
    expect(cloud.calls[1].body).toEqual({ timestamp: '2026-11-28T10:00:00.000Z', deleteAfterDestroy: true });
    expect(cloud.calls[1].headers?.Authorization).toBe('token token-from-deployments');
  });

  it('keeps the first TTL on later updates (measured from creation, not reset)', async () => {
    const cloud = fakeCloud([{ scheduleOnce: '2026-11-27T09:00:00Z', definition: { request: { operation: 'destroy' } } }]);
    await expect(ensureReviewTtl(review, cloud.fetchFn, now)).resolves.toEqual({
      action: 'skipped',
      why: 'a TTL is already scheduled for 2026-11-27T09:00:00Z',
    });
    expect(cloud.calls.filter((c) => c.method === 'POST')).toEqual([]);
  });

  it.each(['dev', 'staging', 'prod'])('never puts a TTL on the long-lived %s stack', async (stack) => {
    const cloud = fakeCloud([]);
    await expect(ensureReviewTtl({ ...review, PULUMI_CI_STACK: stack }, cloud.fetchFn, now)).resolves.toMatchObject({ action: 'skipped' });
    expect(cloud.calls).toEqual([]);
  });

  it('does nothing on a preview or outside Deployments', async () => {
    const cloud = fakeCloud([]);
    await expect(ensureReviewTtl({ ...review, PULUMI_CI_OPERATION: 'preview' }, cloud.fetchFn, now)).resolves.toMatchObject({
      action: 'skipped',
    });
    await expect(ensureReviewTtl({}, cloud.fetchFn, now)).resolves.toMatchObject({ action: 'skipped' });
    expect(cloud.calls).toEqual([]);
  });

  it('refuses a bad TTL with the variable, the value and what is allowed', async () => {
    await expect(ensureReviewTtl({ ...review, DOFS_REVIEW_TTL_HOURS: '2d' }, fakeCloud([]).fetchFn, now)).rejects.toThrow(
      "DOFS_REVIEW_TTL_HOURS = '2d' is not allowed: expected a whole number of hours from 1 to 720",
    );
  });

  it('fails the deployment, naming the stack, when Pulumi Cloud refuses', async () => {
    await expect(ensureReviewTtl(review, fakeCloud([], 403).fetchFn, now)).rejects.toThrow(
      /listing the schedules of pr-pulumi-acme-dofs-42 failed: HTTP 403/,
    );
  });
});
