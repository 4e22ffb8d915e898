/**
 * `npm run promote -- --to staging|prod`: deploys to a stage exactly the commit that last succeeded on the stage
 * before it (dev → staging → prod), through Pulumi Deployments, and waits for the result. A thin CLI over
 * `promotion.ts`: `main` parses the flags and the environment, runs `promote` and maps the outcome to an exit
 * code (0 promoted, 1 refused or failed, 2 a bad flag or variable); tests call it with a fake cloud and clock.
 */
import { spawnSync } from 'child_process';
import { parseArgs } from 'node:util';
import { DEFAULT_PULUMI_API, type Fetch, PromotionError, promote } from './promotion';

/**
 * The stages in promotion order: the first deploys on every push, each next one only by promotion. The same
 * order as the deployments program's default stacks (deployments/config.ts).
 */
export const STAGES: readonly string[] = ['dev', 'staging', 'prod'];

export const USAGE = `usage: npm run promote -- --to <${STAGES.slice(1).join('|')}> [--from <stack>] [--commit <sha>] [--org <org>] [--project <project>] [--timeout-minutes <n>]
  --to <stack>           the stage to deploy: ${STAGES.slice(1).join(' or ')} (${STAGES[0]} deploys on every push)
  --from <stack>         the stage whose succeeded commit is promoted (default: the one before --to in ${STAGES.join(' → ')})
  --commit <sha>         promote this commit (7 to 40 hex characters) instead of the newest; it must have succeeded on --from
  --org <org>            the Pulumi organization (default: $PULUMI_ORG)
  --project <project>    the Pulumi project (default: dofs)
  --timeout-minutes <n>  how long to wait for the deployment, 1 to 1440 (default: 60)
environment: PULUMI_ACCESS_TOKEN (required), PULUMI_ORG, PULUMI_API (default ${DEFAULT_PULUMI_API})`;

/** Milliseconds between two looks at the deployment's status. */
const POLL_INTERVAL_MS = 10_000;
/** Same shape as `organization` in config.ts. */
const ORG = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const PROJECT = /^[A-Za-z0-9_.-]{1,100}$/;
const SHA_PREFIX = /^[0-9a-fA-F]{7,40}$/;

export type Env = Readonly<Record<string, string | undefined>>;

/** What the CLI touches outside itself. */
export interface CliDeps {
  readonly fetch: Fetch;
  /** Whether the commit is on the delivered branch (the real CLI: `git merge-base --is-ancestor <sha> origin/<branch>`). */
  isOnBranch(commit: string): boolean;
  sleep(ms: number): Promise<void>;
  now(): number;
  out(line: string): void;
  err(line: string): void;
}

/** A flag or variable that cannot be used: exit code 2 with the usage. */
class UsageError extends Error {
  readonly name = 'UsageError';
}

/** The decoded command line and environment. */
export interface PromoteArgs {
  readonly to: string;
  readonly from: string;
  readonly commit?: string;
  readonly org: string;
  readonly project: string;
  readonly timeoutMinutes: number;
  readonly token: string;
  readonly api: string;
}

const FLAGS = {
  to: { type: 'string' },
  from: { type: 'string' },
  commit: { type: 'string' },
  org: { type: 'string' },
  project: { type: 'string' },
  'timeout-minutes': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const allowedFlags = Object.keys(FLAGS)
  .map((f) => `--${f}`)
  .join(', ');

/** Turns parseArgs' errors (by their documented codes) into one sentence naming the flag. */
const usageErrorOf = (e: unknown): UsageError => {
  const code = (e as { code?: unknown }).code;
  const message = e instanceof Error ? e.message : String(e);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = /option '([^']+)'/i.exec(message)?.[1] ?? message;
    return new UsageError(`unknown flag '${flag}': the flags are ${allowedFlags}`);
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const value = /argument '([^']+)'/i.exec(message)?.[1] ?? message;
    return new UsageError(`unexpected argument '${value}': promote takes only flags (${allowedFlags})`);
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flag = /option '(?:-\w, )?(--[\w-]+)/i.exec(message)?.[1] ?? message;
    return new UsageError(flag === '--help' ? `--help takes no value` : `${flag} needs a value (${flag}=<value>)`);
  }
  return new UsageError(message);
};

const parseFlags = (argv: readonly string[]) => {
  try {
    return parseArgs({ args: [...argv], options: FLAGS, strict: true, allowPositionals: false, tokens: true });
  } catch (e) {
    throw usageErrorOf(e);
  }
};

/** Decodes the flags (node:util parseArgs, strict) and the environment; 'help' when help was asked for. */
export const parsePromoteArgs = (argv: readonly string[], env: Env): PromoteArgs | 'help' => {
  const { values, tokens } = parseFlags(argv);
  if (values.help) return 'help';
  for (const name of Object.keys(FLAGS)) {
    const given = tokens.filter((t) => t.kind === 'option' && t.name === name).map((t) => (t.kind === 'option' ? t.value : ''));
    if (given.length > 1)
      throw new UsageError(`--${name} is given ${given.length} times (${given.map((v) => `'${v}'`).join(', ')}): give it once`);
  }

  const promotable = STAGES.slice(1);
  const to = values.to;
  if (to === undefined) throw new UsageError(`--to is required: expected ${promotable.join(' or ')}`);
  if (to === STAGES[0]) {
    throw new UsageError(`--to ${to} is refused: ${to} deploys on every push to its branch; promote to ${promotable.join(' or ')}`);
  }
  if (!promotable.includes(to)) {
    throw new UsageError(`--to '${to}' is not allowed: expected ${promotable.join(' or ')}`);
  }

  const earlier = STAGES.slice(0, STAGES.indexOf(to));
  const from = values.from ?? earlier[earlier.length - 1];
  if (!earlier.includes(from)) {
    throw new UsageError(
      `--from '${from}' is not allowed with --to ${to}: expected a stage before ${to} in ${STAGES.join(' → ')} (${earlier.join(' or ')})`,
    );
  }

  const commit = values.commit;
  if (commit !== undefined && !SHA_PREFIX.test(commit)) {
    throw new UsageError(`--commit '${commit}' is not allowed: expected a commit SHA, 7 to 40 hex characters`);
  }

  const org = values.org ?? env.PULUMI_ORG ?? '';
  if (org === '') throw new UsageError(`--org is not given and PULUMI_ORG is not set: expected a Pulumi organization name`);
  if (!ORG.test(org)) {
    const source = values.org === undefined ? 'PULUMI_ORG' : '--org';
    throw new UsageError(`${source} '${org}' is not allowed: expected a Pulumi organization name (letters, digits, "_", "." and "-")`);
  }

  const project = values.project ?? 'dofs';
  if (!PROJECT.test(project)) {
    throw new UsageError(`--project '${project}' is not allowed: expected a Pulumi project name (letters, digits, "_", "." and "-")`);
  }

  const minutesText = values['timeout-minutes'] ?? '60';
  const timeoutMinutes = Number(minutesText);
  if (!/^\d+$/.test(minutesText) || timeoutMinutes < 1 || timeoutMinutes > 1440) {
    throw new UsageError(`--timeout-minutes '${minutesText}' is not allowed: expected a whole number of minutes from 1 to 1440`);
  }

  const token = env.PULUMI_ACCESS_TOKEN ?? '';
  if (token === '') {
    throw new UsageError('PULUMI_ACCESS_TOKEN is not set: expected a Pulumi access token that can read --from and deploy --to');
  }
  const api = env.PULUMI_API || DEFAULT_PULUMI_API;
  if (!/^https?:\/\/[^\s/]+/.test(api)) throw new UsageError(`PULUMI_API '${api}' is not allowed: expected an http(s) URL`);

  return { to, from, ...(commit === undefined ? {} : { commit: commit.toLowerCase() }), org, project, timeoutMinutes, token, api };
};

/** Runs the CLI; resolves to its exit code. */
export const main = async (argv: readonly string[], env: Env, deps: CliDeps): Promise<number> => {
  let args: PromoteArgs | 'help';
  try {
    args = parsePromoteArgs(argv, env);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    deps.err(`promote: ${e.message}`);
    deps.err(USAGE);
    return 2;
  }
  if (args === 'help') {
    deps.out(USAGE);
    return 0;
  }
  try {
    const promoted = await promote({
      api: { base: args.api, token: args.token, fetch: deps.fetch },
      org: args.org,
      project: args.project,
      from: args.from,
      to: args.to,
      ...(args.commit === undefined ? {} : { commit: args.commit }),
      pollIntervalMs: POLL_INTERVAL_MS,
      timeoutMs: args.timeoutMinutes * 60_000,
      isOnBranch: (commit) => deps.isOnBranch(commit),
      sleep: (ms) => deps.sleep(ms),
      now: () => deps.now(),
      log: (line) => deps.out(line),
    });
    deps.out(`promoted ${promoted.commit} from ${args.from} to ${args.to}: deployment ${promoted.deploymentId} ${promoted.status}`);
    return 0;
  } catch (e) {
    if (!(e instanceof PromotionError)) throw e;
    deps.err(`promote: ${e.message}`);
    return 1;
  }
};

if (require.main === module) {
  // The branch the first stack deploys from (dofs-deployments:branch), fetched fresh so that the check sees the remote.
  const branch = process.env.DOFS_BRANCH ?? 'main';
  main(process.argv.slice(2), process.env, {
    fetch,
    isOnBranch: (commit) => {
      spawnSync('git', ['fetch', '--quiet', 'origin', branch], { stdio: 'ignore' });
      return spawnSync('git', ['merge-base', '--is-ancestor', commit, `origin/${branch}`], { stdio: 'ignore' }).status === 0;
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => Date.now(),
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      console.error('promote: unexpected error:', e);
      process.exitCode = 1;
    },
  );
}
