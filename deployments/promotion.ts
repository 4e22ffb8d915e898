/**
 * Promotion of one commit through the dofs stacks (dev → staging → prod) with Pulumi Cloud as the record of
 * what succeeded where. A commit is promotable to a stage when an `update` of the previous stage recorded it
 * and succeeded; `promote` deploys exactly that commit through Pulumi Deployments and waits for the result,
 * and `requireSucceeded` is the same check as a gate ("did commit X succeed on stack S?").
 *
 * Pure functions over an injected `fetch`: the CLI (`promote.ts`) passes the global one, tests a fake cloud.
 *
 * REST API (Pulumi Cloud, `Accept: application/vnd.pulumi+8`, `Authorization: token …`):
 * https://www.pulumi.com/docs/reference/cloud-rest-api/
 * - updates: https://www.pulumi.com/docs/reference/cloud-rest-api/stack-updates/
 * - deployments: https://www.pulumi.com/docs/reference/cloud-rest-api/deployments/
 * - deployment statuses: https://www.pulumi.com/docs/deployments/operations/deployment-status/
 * - shapes: https://www.pulumi.com/docs/reference/cloud-rest-api/schema/getstackupdatesresponse/,
 *   …/schema/createdeploymentresponse/ (`id`, `consoleUrl`, `version`), …/schema/getdeploymentresponse/ (`status`)
 * - what the CLI records per update: https://github.com/pulumi/pulumi/blob/master/sdk/go/common/apitype/history.go
 *   (kinds, results) and https://github.com/pulumi/pulumi/blob/master/pkg/backend/updates.go (`git.head`, `git.dirty`)
 */

/** The subset of the WHATWG `fetch` this module uses (the global one fits). */
export type Fetch = (
  url: string,
  init?: { method?: string; headers?: Record<string, string>; body?: string },
) => Promise<{ ok: boolean; status: number; json(): Promise<unknown>; text(): Promise<string> }>;

/** Where and as whom to call Pulumi Cloud. */
export interface PulumiApi {
  /** The API endpoint, e.g. `https://api.pulumi.com` (env `PULUMI_API`; self-hosted clouds differ). */
  readonly base: string;
  /** A Pulumi access token; it is sent only in the `Authorization` header and never appears in messages. */
  readonly token: string;
  readonly fetch: Fetch;
}

/** The managed Pulumi Cloud's endpoint (https://www.pulumi.com/docs/reference/cloud-rest-api/#endpoint-url). */
export const DEFAULT_PULUMI_API = 'https://api.pulumi.com';

/** A promotion that must not happen, or a Pulumi Cloud answer that stops one: the message says what to do. */
export class PromotionError extends Error {
  readonly name = 'PromotionError';
}

/** How many of a stack's most recent updates are searched for succeeded commits. */
export const DEFAULT_MAX_UPDATES = 500;
/** Updates asked for per page. */
const PAGE_SIZE = 100;

const FULL_SHA = /^[0-9a-f]{40}$/;
const SHA_PREFIX = /^[0-9a-f]{7,40}$/;

/** Deployment statuses that end a deployment without success ("failed" includes errors, timeouts and cancels). */
const UNSUCCESSFUL = new Set(['failed', 'skipped', 'cancelled', 'canceled']);

const stackPath = (org: string, project: string, stack: string) => `/api/stacks/${[org, project, stack].map(encodeURIComponent).join('/')}`;

const stackName = (org: string, project: string, stack: string) => `${org}/${project}/${stack}`;

/** An error's message, with its cause's (undici's `fetch failed` keeps the reason, e.g. ECONNREFUSED, there). */
const messageOf = (e: unknown): string =>
  e instanceof Error ? (e.cause === undefined ? e.message : `${e.message}: ${messageOf(e.cause)}`) : String(e);

/** One REST call; every failure (network, non-2xx, non-JSON) becomes a PromotionError naming the call. */
const call = async (
  api: PulumiApi,
  request: { method: 'GET' | 'POST'; path: string; body?: unknown; notFound?: string },
): Promise<unknown> => {
  const { method, path, body, notFound } = request;
  const redact = (text: string) => (api.token ? text.split(api.token).join('***') : text).slice(0, 1000).trim();
  const what = `${method} ${path}`;
  let response: Awaited<ReturnType<Fetch>>;
  try {
    response = await api.fetch(`${api.base.replace(/\/+$/, '')}${path}`, {
      method,
      headers: {
        Accept: 'application/vnd.pulumi+8',
        'Content-Type': 'application/json',
        Authorization: `token ${api.token}`,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (e) {
    throw new PromotionError(`${what} failed: ${redact(messageOf(e))}`);
  }
  if (!response.ok) {
    const text = redact(await response.text().catch(() => ''));
    const answer = `HTTP ${response.status}${text ? ` ${text}` : ''}`;
    throw new PromotionError(response.status === 404 && notFound ? `${notFound} (${what}: ${answer})` : `${what} failed: ${answer}`);
  }
  try {
    return await response.json();
  } catch (e) {
    throw new PromotionError(`${what}: the answer is not JSON (${redact(messageOf(e))})`);
  }
};

/**
 * One entry of `GET …/updates?output-type=service` (GetStackUpdatesResponse): the CLI's UpdateInfo under `info`.
 * `info.environment` is a flat map whose `git.head` is the commit HEAD was at and `git.dirty` ("true"/"false")
 * says whether the working tree had changes (`git status --porcelain`: ignored files do not count).
 */
interface ServiceUpdate {
  readonly info?: {
    readonly kind?: string;
    readonly result?: string;
    readonly version?: number;
    readonly environment?: Readonly<Record<string, string>>;
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** The commit a stack update deployed, if it is a succeeded `update` of a clean checkout of a recorded commit. */
const succeededCommit = (update: ServiceUpdate): string | undefined => {
  const info = update.info;
  if (info?.kind !== 'update' || info.result !== 'succeeded') return undefined;
  // A dirty working tree deployed something other than the commit it names: never promote that.
  if (info.environment?.['git.dirty'] === 'true') return undefined;
  const head = info.environment?.['git.head']?.toLowerCase();
  return head && FULL_SHA.test(head) ? head : undefined;
};

/**
 * Commits of the stack's succeeded `update`s, newest first, each once (previews, refreshes, destroys, failed
 * updates and updates from a dirty working tree are not deployments of a commit). Pages through the stack's
 * history, newest first (`?pageSize=1&page=1` is the most recent update, per the stack-updates doc), and
 * searches at most `maxUpdates` updates.
 */
export const succeededCommits = async (
  api: PulumiApi,
  org: string,
  project: string,
  stack: string,
  maxUpdates: number = DEFAULT_MAX_UPDATES,
): Promise<string[]> => {
  const pageSize = Math.max(1, Math.min(PAGE_SIZE, maxUpdates));
  const found: { commit: string; version: number; order: number }[] = [];
  let seen = 0;
  for (let page = 1; seen < maxUpdates; page++) {
    const path = `${stackPath(org, project, stack)}/updates?output-type=service&pageSize=${pageSize}&page=${page}`;
    const answer = await call(api, {
      method: 'GET',
      path,
      notFound: `stack ${stackName(org, project, stack)} does not exist (or this token cannot read it): check the organization, the project and the stack name`,
    });
    if (!isRecord(answer) || !Array.isArray(answer.updates)) {
      throw new PromotionError(`GET ${path}: expected an object with an "updates" list, got ${JSON.stringify(answer).slice(0, 200)}`);
    }
    const updates: unknown[] = answer.updates.slice(0, maxUpdates - seen);
    updates.forEach((update, index) => {
      const entry = (isRecord(update) ? update : {}) as ServiceUpdate;
      const commit = succeededCommit(entry);
      const version = entry.info?.version;
      if (commit) found.push({ commit, version: typeof version === 'number' ? version : 0, order: seen + index });
    });
    seen += updates.length;
    const total = answer.total;
    if (answer.updates.length < pageSize || (typeof total === 'number' && seen >= total)) break;
  }
  // Newest first by stack version; the API's order breaks ties (and stands in when versions are missing).
  found.sort((a, b) => b.version - a.version || a.order - b.order);
  return [...new Set(found.map((f) => f.commit))];
};

/**
 * The gate: resolves to the full SHA when `commit` succeeded on `stack`, and throws a PromotionError naming the
 * commit, the stack and what to do otherwise. `commit` is a full 40-hex SHA, or a prefix of 7 or more hex
 * characters that names exactly one succeeded commit.
 */
export const requireSucceeded = async (api: PulumiApi, org: string, project: string, stack: string, commit: string): Promise<string> => {
  const wanted = commit.trim().toLowerCase();
  if (!SHA_PREFIX.test(wanted)) {
    throw new PromotionError(`'${commit}' is not a commit SHA: expected 7 to 40 hex characters (a full SHA is safest)`);
  }
  const where = stackName(org, project, stack);
  const commits = await succeededCommits(api, org, project, stack);
  const matches = commits.filter((c) => c.startsWith(wanted));
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) {
    throw new PromotionError(
      `commit prefix ${wanted} is ambiguous on ${where}: it matches ${matches.join(', ')}; give the full SHA of the one you mean`,
    );
  }
  const newest = commits.length > 0 ? `; the newest commit that did is ${commits[0]}` : `; no commit has succeeded there yet`;
  throw new PromotionError(
    `commit ${wanted} never succeeded on ${where} (no succeeded update of a clean checkout recorded it in the stack's last ` +
      `${DEFAULT_MAX_UPDATES} updates): deploy it to ${stack} and let it succeed first, or pick a commit that did${newest}`,
  );
};

/** What `promote` needs; the clock, the sleep and the log are injected so tests never wait. */
export interface PromoteOptions {
  readonly api: PulumiApi;
  readonly org: string;
  readonly project: string;
  /** The stage whose succeeded commits may be promoted. */
  readonly from: string;
  /** The stage to deploy. */
  readonly to: string;
  /** The commit to promote (full SHA or unambiguous prefix); it must have succeeded on `from`. @default the newest that did */
  readonly commit?: string;
  readonly pollIntervalMs: number;
  readonly timeoutMs: number;
  /**
   * Whether `commit` is on the delivered branch (in the promoter's own checkout). Pulumi Cloud's update history
   * is written by whoever runs `pulumi up` (a review stack runs a pull request's code), so a commit that
   * "succeeded" must also be one that was merged.
   */
  isOnBranch(commit: string): boolean;
  sleep(ms: number): Promise<void>;
  now(): number;
  log(line: string): void;
}

/** A promotion that happened. */
export interface Promotion {
  readonly commit: string;
  readonly deploymentId: string;
  readonly status: string;
}

/** A created deployment (CreateDeploymentResponse: `id`, `consoleUrl`, `version`). */
interface Deployment {
  readonly id: string;
  readonly consoleUrl: string;
}

const pickCommit = async (o: PromoteOptions): Promise<string> => {
  if (o.commit !== undefined) return requireSucceeded(o.api, o.org, o.project, o.from, o.commit);
  const [newest] = await succeededCommits(o.api, o.org, o.project, o.from);
  if (newest === undefined) {
    throw new PromotionError(
      `nothing to promote: stack ${stackName(o.org, o.project, o.from)} has no succeeded update of a recorded commit in its last ` +
        `${DEFAULT_MAX_UPDATES} updates; deploy to ${o.from} and let it succeed first`,
    );
  }
  return newest;
};

/**
 * Creates an update deployment of exactly `commit` with the stack's own deployment settings otherwise.
 * `commit` is mutually exclusive with `branch` in a source context; the request is merged into the inherited
 * settings, where a `null` property removes the inherited one (merge rules under "Patch Settings" of the
 * deployments doc), so the settings' branch is cleared explicitly. The CLI's `pulumi deployment run
 * --git-commit` sends `"branch": ""` for the same purpose
 * (https://github.com/pulumi/pulumi/blob/master/sdk/go/common/apitype/deployments.go, pkg/cmd/pulumi/deployment/remote.go).
 */
const createDeployment = async (o: PromoteOptions, commit: string): Promise<Deployment> => {
  const path = `${stackPath(o.org, o.project, o.to)}/deployments`;
  const answer = await call(o.api, {
    method: 'POST',
    path,
    body: { operation: 'update', inheritSettings: true, sourceContext: { git: { commit, branch: null } } },
    notFound: `stack ${stackName(o.org, o.project, o.to)} does not exist (or this token cannot deploy it)`,
  });
  if (!isRecord(answer) || typeof answer.id !== 'string' || answer.id === '') {
    throw new PromotionError(`POST ${path}: expected a deployment with an "id", got ${JSON.stringify(answer).slice(0, 200)}`);
  }
  return { id: answer.id, consoleUrl: typeof answer.consoleUrl === 'string' ? answer.consoleUrl : '(no console URL given)' };
};

const deploymentStatus = async (o: PromoteOptions, id: string): Promise<string> => {
  const path = `${stackPath(o.org, o.project, o.to)}/deployments/${encodeURIComponent(id)}`;
  const answer = await call(o.api, { method: 'GET', path });
  if (!isRecord(answer) || typeof answer.status !== 'string') {
    throw new PromotionError(`GET ${path}: expected a deployment with a "status", got ${JSON.stringify(answer).slice(0, 200)}`);
  }
  return answer.status;
};

const duration = (ms: number) =>
  ms % 60_000 === 0 ? `${ms / 60_000} minute${ms === 60_000 ? '' : 's'}` : `${Math.round(ms / 1000)} seconds`;

/** Polls until a terminal status (not-started → accepted → running → succeeded | failed | skipped). */
const waitForDeployment = async (o: PromoteOptions, commit: string, deployment: Deployment): Promise<string> => {
  const subject = `deployment ${deployment.id} of ${commit} to ${o.to}`;
  const started = o.now();
  let last: string | undefined;
  for (;;) {
    const status = await deploymentStatus(o, deployment.id);
    if (status !== last) o.log(`deployment ${deployment.id}: ${status}`);
    last = status;
    if (status === 'succeeded') return status;
    if (UNSUCCESSFUL.has(status)) {
      throw new PromotionError(`${subject} ${status}: see ${deployment.consoleUrl}; ${o.to} was not promoted`);
    }
    const waited = o.now() - started;
    if (waited >= o.timeoutMs) {
      throw new PromotionError(
        `${subject} timed out: still '${status}' after ${duration(o.timeoutMs)}; it was not cancelled, so watch or cancel it at ` +
          deployment.consoleUrl,
      );
    }
    await o.sleep(Math.min(o.pollIntervalMs, o.timeoutMs - waited));
  }
};

/** The deployment succeeded: the target's newest succeeded update must record the requested commit. */
const confirmDeployed = async (o: PromoteOptions, commit: string, deployment: Deployment): Promise<void> => {
  const [newest] = await succeededCommits(o.api, o.org, o.project, o.to, PAGE_SIZE);
  if (newest !== commit) {
    throw new PromotionError(
      `deployment ${deployment.id} succeeded, but the newest succeeded update of ${stackName(o.org, o.project, o.to)} records ` +
        `${newest === undefined ? 'no commit' : `commit ${newest}`}, not ${commit}: it may have deployed another commit; check ` +
        deployment.consoleUrl,
    );
  }
};

/**
 * Promotes one commit from `from` to `to`: picks it (the given one, checked with `requireSucceeded`, else the
 * newest that succeeded on `from`), creates an update deployment of exactly that commit on `to`, waits for a
 * terminal status (logging each change), and checks that `to` now records that commit. Anything else is a
 * PromotionError naming the deployment, its URL and its status.
 */
export const promote = async (o: PromoteOptions): Promise<Promotion> => {
  const commit = await pickCommit(o);
  if (!o.isOnBranch(commit)) {
    throw new PromotionError(`${commit} is not on the delivered branch (git merge-base --is-ancestor): only a merged commit is promoted`);
  }
  o.log(`promoting ${commit} from ${o.from} to ${o.to}`);
  const deployment = await createDeployment(o, commit);
  o.log(`deployment ${deployment.id} created: ${deployment.consoleUrl}`);
  const status = await waitForDeployment(o, commit, deployment);
  await confirmDeployed(o, commit, deployment);
  return { commit, deploymentId: deployment.id, status };
};
