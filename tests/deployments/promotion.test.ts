import { type Env, main } from '../../deployments/promote';
import { type PulumiApi, PromotionError, promote, requireSucceeded, succeededCommits } from '../../deployments/promotion';

const TOKEN = 'pul-0123456789abcdef';
const ENV: Env = { PULUMI_ACCESS_TOKEN: TOKEN, PULUMI_ORG: 'acme' };

const C1 = '1111111111111111111111111111111111111111';
const C2 = '2222222222222222222222222222222222222222';
const C3 = '3333333333333333333333333333333333333333';
const C4 = '4444444444444444444444444444444444444444';
/** What `main` points at when a deployment ignores the requested commit and checks out the settings' branch. */
const MAIN_HEAD = 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee';

/** One entry of a stack's history, as the CLI records it. */
interface Update {
  readonly kind: string;
  readonly result: string;
  readonly commit: string;
  readonly dirty?: boolean;
}
const succeeded = (commit: string, more: Partial<Update> = {}): Update => ({ kind: 'update', result: 'succeeded', commit, ...more });
const failed = (commit: string): Update => ({ kind: 'update', result: 'failed', commit });

type Request = { method: string; url: string; path: string; headers: Record<string, string>; body?: any };

interface CloudOptions {
  /** Each stack's history, newest first (stacks not named here do not exist). */
  readonly stacks: Record<string, Update[]>;
  /** The status each look at a deployment answers, in order; the last one repeats. */
  readonly statuses?: string[];
  /** A deployment that checks out the settings' branch whatever the request says. */
  readonly ignoresCommit?: boolean;
  /** Lists updates oldest first (the API lists them newest first). */
  readonly oldestFirst?: boolean;
  /** Answers `status` and `body` to requests whose method and path start with `match`. */
  readonly fail?: { match: string; status: number; body: string };
}

/**
 * An in-memory Pulumi Cloud for org `acme`, project `dofs`: the stack-updates list (service output, paginated
 * like the API), deployment creation (request merged into the stack's settings, whose git source names a
 * branch; a source with both a branch and a commit is refused, as the API docs make them mutually exclusive)
 * and deployment status; a deployment that reaches `succeeded` records its update in the stack's history.
 * Every request is recorded.
 */
const fakeCloud = (options: CloudOptions) => {
  const stacks = Object.fromEntries(Object.entries(options.stacks).map(([name, updates]) => [name, [...updates]]));
  const statuses = options.statuses ?? ['running', 'succeeded'];
  const requests: Request[] = [];
  const deployments = new Map<string, { stack: string; commit: string; looks: number; recorded: boolean }>();
  const answer = (status: number, body: unknown) => ({
    ok: status >= 200 && status < 300,
    status,
    json: async () => (typeof body === 'string' ? JSON.parse(body) : body),
    text: async () => (typeof body === 'string' ? body : JSON.stringify(body)),
  });
  const notFound = () => answer(404, { code: 404, message: 'Not Found: stack not found' });

  const listUpdates = (stack: string, query: URLSearchParams) => {
    const history = stacks[stack];
    const newestFirst = history.map((u, i) => ({ ...u, version: history.length - i }));
    const versions = options.oldestFirst ? newestFirst.reverse() : newestFirst;
    const pageSize = Number(query.get('pageSize') ?? versions.length);
    const page = Number(query.get('page') ?? 1);
    const slice = versions.slice((page - 1) * pageSize, page * pageSize);
    const environment = (u: Update) => ({ 'exec.kind': 'cli', 'git.head': u.commit, 'git.dirty': String(u.dirty ?? false) });
    if (query.get('output-type') !== 'service') {
      return answer(200, {
        updates: slice.map((u) => ({ kind: u.kind, result: u.result, version: u.version, environment: environment(u) })),
      });
    }
    return answer(200, {
      updates: slice.map((u) => ({
        info: { kind: u.kind, result: u.result, version: u.version, startTime: 1_700_000_000 + u.version, environment: environment(u) },
        updateID: `update-${stack}-${u.version}`,
        version: u.version,
        latestVersion: versions.length,
      })),
      itemsPerPage: pageSize,
      total: versions.length,
    });
  };

  const createDeployment = (stack: string, body: any) => {
    const settings: Record<string, string> = { repoURL: 'https://github.com/acme/dofs.git', branch: 'refs/heads/main' };
    if (body?.operation !== 'update') return answer(400, { code: 400, message: 'Bad Request: unexpected operation' });
    // Inherited settings merged with the request: a null property removes the inherited one.
    for (const [key, value] of Object.entries(body.sourceContext?.git ?? {})) {
      if (value === null) delete settings[key];
      else settings[key] = value as string;
    }
    if (settings.commit && settings.branch)
      return answer(400, { code: 400, message: 'Bad Request: commit and branch are mutually exclusive' });
    const id = `dep-${deployments.size + 1}`;
    const commit = options.ignoresCommit || !settings.commit ? MAIN_HEAD : settings.commit;
    deployments.set(id, { stack, commit, looks: 0, recorded: false });
    return answer(202, {
      id,
      consoleUrl: `https://app.pulumi.com/acme/dofs/${stack}/deployments/${deployments.size}`,
      version: deployments.size,
    });
  };

  const deploymentStatus = (id: string) => {
    const deployment = deployments.get(id);
    if (!deployment) return answer(404, { code: 404, message: 'Not Found: deployment not found' });
    const status = statuses[Math.min(deployment.looks++, statuses.length - 1)];
    if (status === 'succeeded' && !deployment.recorded) {
      stacks[deployment.stack].unshift(succeeded(deployment.commit));
      deployment.recorded = true;
    }
    return answer(200, { id, status, version: 1, jobs: [] });
  };

  const fetch = async (url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) => {
    const parsed = new URL(url);
    const method = init.method ?? 'GET';
    const body = init.body === undefined ? undefined : JSON.parse(init.body);
    requests.push({ method, url, path: parsed.pathname + parsed.search, headers: init.headers ?? {}, body });
    if (init.headers?.Authorization !== `token ${TOKEN}` || init.headers?.Accept !== 'application/vnd.pulumi+8') {
      return answer(401, { code: 401, message: 'Unauthorized: No credentials provided or are invalid.' });
    }
    if (options.fail && `${method} ${parsed.pathname}`.startsWith(options.fail.match))
      return answer(options.fail.status, options.fail.body);
    const route = /^\/api\/stacks\/([^/]+)\/([^/]+)\/([^/]+)\/(updates|deployments)(?:\/([^/]+))?$/.exec(parsed.pathname);
    if (!route) return answer(404, { code: 404, message: 'Not Found' });
    const [, org, project, stack, collection, id] = route;
    if (org !== 'acme' || project !== 'dofs' || !(stack in stacks)) return notFound();
    if (collection === 'updates' && method === 'GET' && id === undefined) return listUpdates(stack, parsed.searchParams);
    if (collection === 'deployments' && method === 'POST' && id === undefined) return createDeployment(stack, body);
    if (collection === 'deployments' && method === 'GET' && id !== undefined) return deploymentStatus(id);
    return answer(405, { code: 405, message: 'Method Not Allowed' });
  };

  const creates = () => requests.filter((r) => r.method === 'POST');
  const looks = () => requests.filter((r) => r.method === 'GET' && /\/deployments\/[^/]+$/.test(r.path));
  return { fetch, requests, creates, looks };
};

/** A clock that moves only when the code under test sleeps. */
const fakeClock = () => {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
  };
};

/** Runs the CLI against `cloud` with a fake clock; captures its exit code and output. */
const run = async (argv: string[], cloud: ReturnType<typeof fakeCloud>, env: Env = ENV, merged: (c: string) => boolean = () => true) => {
  const clock = fakeClock();
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, env, {
    fetch: cloud.fetch,
    isOnBranch: merged,
    sleep: clock.sleep,
    now: clock.now,
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  });
  return { code, out: out.join('\n'), err: err.join('\n'), sleeps: clock.sleeps };
};

const apiOf = (cloud: ReturnType<typeof fakeCloud>): PulumiApi => ({ base: 'https://api.pulumi.com', token: TOKEN, fetch: cloud.fetch });

describe('npm run promote', () => {
  it('deploys to staging exactly the newest commit that succeeded on dev, past newer failures, previews, refreshes and dirty updates', async () => {
    const cloud = fakeCloud({
      stacks: {
        dev: [
          failed(C4),
          succeeded(C4, { kind: 'preview' }),
          succeeded(C3, { kind: 'refresh' }),
          succeeded(C3, { dirty: true }),
          succeeded(C3, { kind: 'destroy' }),
          succeeded(C2),
          succeeded(C1),
        ],
        staging: [succeeded(C1)],
      },
    });

    const result = await run(['--to', 'staging'], cloud);

    expect(result.code).toBe(0);
    expect(cloud.requests[0].url).toBe('https://api.pulumi.com/api/stacks/acme/dofs/dev/updates?output-type=service&pageSize=100&page=1');
    expect(cloud.creates().map((r) => [r.path, r.body])).toEqual([
      [
        '/api/stacks/acme/dofs/staging/deployments',
        { operation: 'update', inheritSettings: true, sourceContext: { git: { commit: C2, branch: null } } },
      ],
    ]);
    expect(cloud.creates()[0].headers).toMatchObject({ Authorization: `token ${TOKEN}`, 'Content-Type': 'application/json' });
    expect(result.out).toContain(`promoted ${C2} from dev to staging: deployment dep-1 succeeded`);
  });

  it('promotes to prod from staging, not from dev', async () => {
    const cloud = fakeCloud({ stacks: { dev: [succeeded(C3)], staging: [succeeded(C2)], prod: [succeeded(C1)] } });

    const result = await run(['--to', 'prod'], cloud);

    expect(result.code).toBe(0);
    expect(cloud.creates().map((r) => [r.path, r.body.sourceContext.git.commit])).toEqual([['/api/stacks/acme/dofs/prod/deployments', C2]]);
    expect(cloud.requests.some((r) => r.path.includes('/dofs/dev/'))).toBe(false);
  });

  it('refuses, creating no deployment, when the previous stage has no succeeded update', async () => {
    const cloud = fakeCloud({
      stacks: { dev: [failed(C2), succeeded(C2, { kind: 'preview' }), succeeded(C1, { dirty: true })], staging: [] },
    });

    const result = await run(['--to', 'staging'], cloud);

    expect(result.code).toBe(1);
    expect(result.err).toMatch(/nothing to promote: stack acme\/dofs\/dev has no succeeded update/);
    expect(cloud.creates()).toEqual([]);
  });

  it('refuses a commit that succeeded on the previous stage but is not on the delivered branch (never merged)', async () => {
    const cloud = fakeCloud({ stacks: { dev: [succeeded(C2), succeeded(C1)], staging: [] } });

    const result = await run(['--to', 'staging'], cloud, ENV, (c) => c === C1);

    expect(result.code).toBe(1);
    expect(result.err).toContain(`${C2} is not on the delivered branch`);
    expect(cloud.creates()).toEqual([]);
  });

  it('refuses a --commit that never succeeded on the previous stage, naming the commit, the stack and the newest that did', async () => {
    const cloud = fakeCloud({
      stacks: { dev: [succeeded(C3), failed(C4), succeeded(C2)], staging: [failed(C3), succeeded(C2)], prod: [] },
    });

    const toProd = await run(['--to', 'prod', '--commit', C3], cloud);
    const toStaging = await run(['--to', 'staging', '--commit', C4], cloud);

    expect(toProd.code).toBe(1);
    expect(toProd.err).toContain(`commit ${C3} never succeeded on acme/dofs/staging`);
    expect(toProd.err).toContain(`the newest commit that did is ${C2}`);
    expect(toStaging.code).toBe(1);
    expect(toStaging.err).toContain(`commit ${C4} never succeeded on acme/dofs/dev`);
    expect(toStaging.err).toContain(`the newest commit that did is ${C3}`);
    expect(cloud.creates()).toEqual([]);
  });

  it('rolls back: accepts an older --commit that did succeed, in full or by an unambiguous prefix, and deploys its full SHA', async () => {
    const cloud = fakeCloud({ stacks: { dev: [succeeded(C3), succeeded(C2), succeeded(C1)], staging: [succeeded(C3)] } });

    const full = await run(['--to', 'staging', '--commit', C1], cloud);
    const prefix = await run(['--to', 'staging', '--commit', C2.slice(0, 7).toUpperCase()], cloud);

    expect([full.code, prefix.code]).toEqual([0, 0]);
    expect(cloud.creates().map((r) => r.body.sourceContext.git.commit)).toEqual([C1, C2]);
  });

  it('refuses a prefix that names two succeeded commits', async () => {
    const a = 'abcdef0' + '1'.repeat(33);
    const b = 'abcdef0' + '2'.repeat(33);
    const cloud = fakeCloud({ stacks: { dev: [succeeded(a), succeeded(b)], staging: [] } });

    const result = await run(['--to', 'staging', '--commit', 'abcdef0'], cloud);

    expect(result.code).toBe(1);
    expect(result.err).toContain(`commit prefix abcdef0 is ambiguous on acme/dofs/dev: it matches ${a}, ${b}`);
    expect(cloud.creates()).toEqual([]);
  });

  it('waits through not-started, accepted and running to succeeded, logging each change once', async () => {
    const cloud = fakeCloud({
      stacks: { dev: [succeeded(C1)], staging: [] },
      statuses: ['not-started', 'not-started', 'accepted', 'running', 'running', 'running', 'succeeded'],
    });

    const result = await run(['--to', 'staging'], cloud);

    expect(result.code).toBe(0);
    expect(result.out.split('\n').filter((l) => l.startsWith('deployment dep-1: '))).toEqual([
      'deployment dep-1: not-started',
      'deployment dep-1: accepted',
      'deployment dep-1: running',
      'deployment dep-1: succeeded',
    ]);
    expect(cloud.looks()).toHaveLength(7);
    expect(cloud.looks()[0].path).toBe('/api/stacks/acme/dofs/staging/deployments/dep-1');
    expect(result.sleeps).toEqual([10_000, 10_000, 10_000, 10_000, 10_000, 10_000]);
  });

  it.each(['failed', 'skipped'])('fails loudly when the deployment is %s, naming it and its URL', async (status) => {
    const cloud = fakeCloud({ stacks: { dev: [succeeded(C1)], staging: [] }, statuses: ['accepted', 'running', status] });

    const result = await run(['--to', 'staging'], cloud);

    expect(result.code).toBe(1);
    expect(result.err).toContain(
      `deployment dep-1 of ${C1} to staging ${status}: see https://app.pulumi.com/acme/dofs/staging/deployments/1`,
    );
    expect(result.out).not.toContain('promoted');
  });

  it('gives up at the timeout on a fake clock, naming the deployment, its last status and where to watch it', async () => {
    const cloud = fakeCloud({ stacks: { dev: [succeeded(C1)], staging: [] }, statuses: ['running'] });

    const result = await run(['--to', 'staging', '--timeout-minutes', '1'], cloud);

    expect(result.code).toBe(1);
    expect(result.err).toContain(`deployment dep-1 of ${C1} to staging timed out: still 'running' after 1 minute`);
    expect(result.err).toContain('https://app.pulumi.com/acme/dofs/staging/deployments/1');
    expect(result.sleeps).toEqual([10_000, 10_000, 10_000, 10_000, 10_000, 10_000]);
    expect(cloud.looks()).toHaveLength(7);
  });

  it('fails when the deployment succeeded but the stage records another commit', async () => {
    const cloud = fakeCloud({ stacks: { dev: [succeeded(C2)], staging: [succeeded(C1)] }, ignoresCommit: true });

    const result = await run(['--to', 'staging'], cloud);

    expect(result.code).toBe(1);
    expect(result.err).toContain(`records commit ${MAIN_HEAD}, not ${C2}`);
  });

  it("pages through the previous stage's history", async () => {
    const newerFailures = Array.from({ length: 130 }, () => failed(C2));
    const cloud = fakeCloud({ stacks: { dev: [...newerFailures, succeeded(C1), succeeded(C3)], staging: [] } });

    const result = await run(['--to', 'staging'], cloud);

    expect(result.code).toBe(0);
    expect(cloud.creates()[0].body.sourceContext.git.commit).toBe(C1);
    expect(cloud.requests.filter((r) => r.path.includes('/dofs/dev/updates')).map((r) => r.path)).toEqual([
      '/api/stacks/acme/dofs/dev/updates?output-type=service&pageSize=100&page=1',
      '/api/stacks/acme/dofs/dev/updates?output-type=service&pageSize=100&page=2',
    ]);
  });

  it('says so when the previous stage does not exist in that org and project', async () => {
    const cloud = fakeCloud({ stacks: { dev: [succeeded(C1)], staging: [] } });

    const result = await run(['--to', 'staging', '--org', 'other'], cloud);

    expect(result.code).toBe(1);
    expect(result.err).toMatch(/stack other\/dofs\/dev does not exist .*GET \/api\/stacks\/other\/dofs\/dev\/updates\?.*HTTP 404/);
    expect(cloud.creates()).toEqual([]);
  });

  it('reports a refused request with its method, path, status and body, and never the token', async () => {
    const cloud = fakeCloud({
      stacks: { dev: [succeeded(C1)], staging: [] },
      fail: { match: 'POST /api/stacks/acme/dofs/staging/deployments', status: 500, body: `internal error (token ${TOKEN})` },
    });

    const result = await run(['--to', 'staging'], cloud);

    expect(result.code).toBe(1);
    expect(result.err).toContain('POST /api/stacks/acme/dofs/staging/deployments failed: HTTP 500 internal error (token ***)');
    expect(result.err + result.out).not.toContain(TOKEN);
  });

  it('reports an unreachable Pulumi Cloud with the request and the reason', async () => {
    const cloud = fakeCloud({ stacks: {} });
    const unreachable = async () => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:443') });
    };

    const result = await run(['--to', 'staging'], { ...cloud, fetch: unreachable });

    expect(result.code).toBe(1);
    expect(result.err).toContain(
      'GET /api/stacks/acme/dofs/dev/updates?output-type=service&pageSize=100&page=1 failed: fetch failed: connect ECONNREFUSED',
    );
  });

  it('calls the PULUMI_API endpoint, for the --org and --project given', async () => {
    const cloud = fakeCloud({ stacks: { dev: [succeeded(C1)], staging: [] } });

    const result = await run(['--to', 'staging', '--org', 'acme', '--project', 'dofs'], cloud, {
      PULUMI_ACCESS_TOKEN: TOKEN,
      PULUMI_ORG: 'someone-else',
      PULUMI_API: 'https://pulumi.example.com/',
    });

    expect(result.code).toBe(0);
    expect(cloud.requests.map((r) => new URL(r.url).origin)).toEqual(cloud.requests.map(() => 'https://pulumi.example.com'));
  });

  it('prints the usage on --help', async () => {
    const cloud = fakeCloud({ stacks: {} });

    const result = await run(['--help'], cloud);

    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^usage: npm run promote -- --to <staging\|prod>/);
    expect(cloud.requests).toEqual([]);
  });
});

describe('npm run promote with a bad flag or variable', () => {
  const noToken: Env = { PULUMI_ORG: 'acme' };
  const noOrg: Env = { PULUMI_ACCESS_TOKEN: TOKEN };
  it.each<[string, string[], Env, string]>([
    ['an unknown flag', ['--to', 'staging', '--bogus'], ENV, "unknown flag '--bogus': the flags are --to, --from, --commit"],
    ['a stage that does not exist', ['--to', 'qa'], ENV, "--to 'qa' is not allowed: expected staging or prod"],
    ['dev, which deploys on push', ['--to', 'dev'], ENV, '--to dev is refused: dev deploys on every push'],
    ['no --to', [], ENV, '--to is required: expected staging or prod'],
    ['--to without a value', ['--to'], ENV, '--to needs a value'],
    ['--to twice', ['--to', 'staging', '--to', 'prod'], ENV, "--to is given 2 times ('staging', 'prod'): give it once"],
    [
      'a later --from',
      ['--to', 'staging', '--from', 'prod'],
      ENV,
      "--from 'prod' is not allowed with --to staging: expected a stage before",
    ],
    ['a --commit that is not a SHA', ['--to', 'staging', '--commit', 'main'], ENV, "--commit 'main' is not allowed: expected a commit SHA"],
    ['a zero timeout', ['--to', 'staging', '--timeout-minutes', '0'], ENV, "--timeout-minutes '0' is not allowed: expected a whole number"],
    ['a positional argument', ['staging'], ENV, "unexpected argument 'staging'"],
    ['no token', ['--to', 'staging'], noToken, 'PULUMI_ACCESS_TOKEN is not set'],
    ['no org', ['--to', 'staging'], noOrg, '--org is not given and PULUMI_ORG is not set'],
    ['a bad --org', ['--to', 'staging', '--org', 'a b'], ENV, "--org 'a b' is not allowed: expected a Pulumi organization name"],
  ])('exits 2 on %s, naming the flag and printing the usage, without calling Pulumi Cloud', async (_case, argv, env, message) => {
    const cloud = fakeCloud({ stacks: { dev: [succeeded(C1)], staging: [], prod: [] } });

    const result = await run(argv, cloud, env);

    expect(result.code).toBe(2);
    expect(result.err).toContain(`promote: ${message}`);
    expect(result.err).toContain('usage: npm run promote -- --to <staging|prod>');
    expect(cloud.requests).toEqual([]);
  });
});

describe('requireSucceeded, the gate of a staging or prod deployment', () => {
  const cloud = fakeCloud({
    stacks: { staging: [failed(C4), succeeded(C4, { kind: 'preview' }), succeeded(C3, { dirty: true }), succeeded(C2), succeeded(C1)] },
  });

  it('resolves to the full SHA of a commit that succeeded on the stack, given in full or by prefix', async () => {
    await expect(requireSucceeded(apiOf(cloud), 'acme', 'dofs', 'staging', C1)).resolves.toBe(C1);
    await expect(requireSucceeded(apiOf(cloud), 'acme', 'dofs', 'staging', C2.slice(0, 10))).resolves.toBe(C2);
  });

  it.each([
    ['only failed or was previewed', C4],
    ['succeeded only from a dirty working tree', C3],
  ])('refuses a commit that %s there', async (_case, commit) => {
    const gate = requireSucceeded(apiOf(cloud), 'acme', 'dofs', 'staging', commit);
    await expect(gate).rejects.toThrow(PromotionError);
    await expect(gate).rejects.toThrow(`commit ${commit} never succeeded on acme/dofs/staging`);
  });

  it('refuses what is not a commit SHA before asking Pulumi Cloud', async () => {
    const quiet = fakeCloud({ stacks: { staging: [succeeded(C1)] } });
    await expect(requireSucceeded(apiOf(quiet), 'acme', 'dofs', 'staging', 'HEAD')).rejects.toThrow(
      "'HEAD' is not a commit SHA: expected 7 to 40 hex characters",
    );
    expect(quiet.requests).toEqual([]);
  });

  it('searches at most the last 500 updates', async () => {
    const deep = fakeCloud({ stacks: { staging: [...Array.from({ length: 500 }, () => failed(C2)), succeeded(C1)] } });

    await expect(requireSucceeded(apiOf(deep), 'acme', 'dofs', 'staging', C1)).rejects.toThrow(/never succeeded.*last 500 updates/);
    expect(deep.requests.map((r) => new URL(r.url).searchParams.get('page'))).toEqual(['1', '2', '3', '4', '5']);
  });
});

describe('succeededCommits', () => {
  it('lists each succeeded commit once, newest first, within maxUpdates', async () => {
    const cloud = fakeCloud({ stacks: { dev: [succeeded(C3), failed(C2), succeeded(C1), succeeded(C3), succeeded(C4)] } });

    await expect(succeededCommits(apiOf(cloud), 'acme', 'dofs', 'dev')).resolves.toEqual([C3, C1, C4]);
    await expect(succeededCommits(apiOf(cloud), 'acme', 'dofs', 'dev', 3)).resolves.toEqual([C3, C1]);
    expect(cloud.requests[1].path).toBe('/api/stacks/acme/dofs/dev/updates?output-type=service&pageSize=3&page=1');
  });

  it('stops at maxUpdates within a page', async () => {
    const cloud = fakeCloud({ stacks: { dev: [...Array.from({ length: 150 }, () => failed(C2)), succeeded(C1)] } });

    await expect(succeededCommits(apiOf(cloud), 'acme', 'dofs', 'dev', 150)).resolves.toEqual([]);
    await expect(succeededCommits(apiOf(cloud), 'acme', 'dofs', 'dev', 151)).resolves.toEqual([C1]);
  });

  it('orders by stack version, whatever order a page lists them in', async () => {
    const cloud = fakeCloud({ stacks: { dev: [succeeded(C3), succeeded(C2), succeeded(C1)] }, oldestFirst: true });

    await expect(succeededCommits(apiOf(cloud), 'acme', 'dofs', 'dev')).resolves.toEqual([C3, C2, C1]);
  });
});

describe('promote', () => {
  it('resolves to the commit, the deployment and its status, logging what it does', async () => {
    const cloud = fakeCloud({ stacks: { dev: [succeeded(C2)], staging: [] } });
    const clock = fakeClock();
    const log: string[] = [];

    const promoted = await promote({
      api: apiOf(cloud),
      org: 'acme',
      project: 'dofs',
      from: 'dev',
      to: 'staging',
      pollIntervalMs: 5_000,
      timeoutMs: 60_000,
      isOnBranch: () => true,
      sleep: clock.sleep,
      now: clock.now,
      log: (line) => log.push(line),
    });

    expect(promoted).toEqual({ commit: C2, deploymentId: 'dep-1', status: 'succeeded' });
    expect(log).toEqual([
      `promoting ${C2} from dev to staging`,
      'deployment dep-1 created: https://app.pulumi.com/acme/dofs/staging/deployments/1',
      'deployment dep-1: running',
      'deployment dep-1: succeeded',
    ]);
    expect(clock.sleeps).toEqual([5_000]);
  });
});
