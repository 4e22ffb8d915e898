/**
 * The one pre-run command of every dofs deployment (after `npm ci`), run by Pulumi Deployments before the
 * Pulumi operation. It reads the deployment's own OIDC token, which Pulumi Cloud mints with a subject naming
 * the organization, project, stack and operation (https://www.pulumi.com/docs/pulumi-cloud/deployments/oidc/),
 * and then:
 *
 * 1. points the AWS SDK's shared config at the role for that operation: the preview role for preview, refresh
 *    and drift detection, the deploy role for update and destroy. It only chooses: each role's trust policy
 *    accepts nothing but its own stack's and operation's subject, so the code of a pull request, which runs
 *    here too, cannot get a role its token does not name;
 * 2. on a promoted stack (staging, prod), refuses an update of a commit that never succeeded on the stack
 *    before it, however the deployment was started (promotion, the console's Redeploy, the API);
 * 3. runs `npm test` before a preview or an update, never before destroy, refresh or drift detection;
 * 4. gives a review stack its time to live on its first update (deployments/reviewTtl.ts).
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { type Fetch, requireSucceeded } from './promotion';
import { ensureReviewTtl } from './reviewTtl';

/** Where Pulumi Deployments writes the token (https://www.pulumi.com/docs/pulumi-cloud/deployments/oidc/). */
export const TOKEN_FILE = '/mnt/pulumi/pulumi.oidc';

/** The deployment settings' variables this script reads (deployments/delivery.ts sets them). */
export interface PreRunEnv {
  readonly PULUMI_OIDC_TOKEN?: string;
  readonly PULUMI_ACCESS_TOKEN?: string;
  readonly PULUMI_API?: string;
  readonly AWS_CONFIG_FILE?: string;
  readonly AWS_REGION?: string;
  /** The role for update and destroy, and the role for preview, refresh and drift detection. */
  readonly DOFS_DEPLOY_ROLE_ARN?: string;
  readonly DOFS_PREVIEW_ROLE_ARN?: string;
  /** On a promoted stack: the stack whose succeeded updates gate this one's. */
  readonly DOFS_PROMOTED_FROM?: string;
  readonly DOFS_REVIEW_TTL_HOURS?: string;
  readonly [key: string]: string | undefined;
}

export interface PreRunDeps {
  readonly readFile: (file: string) => string | undefined;
  readonly writeFile: (file: string, text: string) => void;
  /** Runs a command with inherited output; resolves its exit code. */
  readonly run: (command: string, args: string[]) => number;
  readonly gitHead: () => string;
  readonly fetch: Fetch;
  readonly log: (line: string) => void;
  readonly home: string;
}

export class PreRunError extends Error {
  readonly name = 'PreRunError';
}

/** What the subject of a Deployments token names. */
export interface Subject {
  readonly organization: string;
  readonly project: string;
  readonly stack: string;
  readonly operation: string;
}

const SUBJECT = /^pulumi:deploy:org:([^:]+):project:([^:]+):stack:([^:]+):operation:([^:]+):scope:[^:]+$/;

/** Reads the subject out of a Deployments token (its payload only: AWS verifies the signature when the role is assumed). */
export const subjectOf = (token: string): Subject => {
  const payload = token.split('.')[1];
  let sub: unknown;
  try {
    sub = (JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as { sub?: unknown }).sub;
  } catch {
    throw new PreRunError('the deployment OIDC token is not a JWT: is this running in Pulumi Deployments?');
  }
  const m = typeof sub === 'string' ? SUBJECT.exec(sub) : null;
  if (!m) throw new PreRunError(`the deployment OIDC token's subject ${JSON.stringify(sub)} is not a Pulumi Deployments subject`);
  return { organization: m[1], project: m[2], stack: m[3], operation: m[4] };
};

/** Operations that only read the cloud: they get the preview role. */
export const READ_OPERATIONS = ['preview', 'refresh', 'detect-drift'];
/** Operations that write: they get the deploy role. Any other operation (drift remediation included) gets none. */
export const WRITE_OPERATIONS = ['update', 'destroy'];
/**
 * Variables that would make the AWS SDK use other credentials than the profile this script writes (keys win over
 * a profile; AWS_PROFILE picks another section; AWS_ROLE_ARN/AWS_WEB_IDENTITY_TOKEN_FILE win over it).
 */
export const CREDENTIAL_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_ROLE_ARN',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
];
/** Operations that the tests gate. */
export const TESTED_OPERATIONS = ['preview', 'update'];

/** The shared AWS config that makes the SDK assume `roleArn` with the token (AWS SDKs' web_identity_token_file). */
export const awsConfigText = (roleArn: string, tokenFile: string, sessionName: string, region?: string) =>
  [
    '[default]',
    `role_arn = ${roleArn}`,
    `web_identity_token_file = ${tokenFile}`,
    `role_session_name = ${sessionName}`,
    ...(region ? [`region = ${region}`] : []),
    '',
  ].join('\n');

export type PreRunOutcome = {
  readonly subject: Subject;
  readonly role: string;
  readonly tests: 'ran' | 'skipped';
  readonly gate?: string;
};

export const preRun = async (env: PreRunEnv, deps: PreRunDeps): Promise<PreRunOutcome> => {
  let tokenFile = TOKEN_FILE;
  let token = deps.readFile(TOKEN_FILE)?.trim();
  if (!token && env.PULUMI_OIDC_TOKEN) {
    token = env.PULUMI_OIDC_TOKEN.trim();
    tokenFile = path.join(deps.home, '.dofs', 'pulumi.oidc');
    deps.writeFile(tokenFile, token);
  }
  if (!token)
    throw new PreRunError(`no deployment OIDC token (${TOKEN_FILE} or PULUMI_OIDC_TOKEN): is this running in Pulumi Deployments?`);
  const subject = subjectOf(token);
  const present = CREDENTIAL_VARIABLES.filter((k) => env[k] !== undefined && env[k] !== '');
  if (present.length > 0) throw new PreRunError(`${present.join(', ')} set: the deployment must get no credentials but its role's`);
  if (![...READ_OPERATIONS, ...WRITE_OPERATIONS].includes(subject.operation)) {
    throw new PreRunError(
      `no role for the operation '${subject.operation}': allowed are ${[...READ_OPERATIONS, ...WRITE_OPERATIONS].join(', ')}`,
    );
  }
  const reads = READ_OPERATIONS.includes(subject.operation);
  const roleKey = reads ? 'DOFS_PREVIEW_ROLE_ARN' : 'DOFS_DEPLOY_ROLE_ARN';
  const role = env[roleKey];
  if (!role)
    throw new PreRunError(`${roleKey} is not set: the deployment settings of ${subject.stack} name no role for '${subject.operation}'`);
  const configFile = env.AWS_CONFIG_FILE ?? path.join(deps.home, '.aws', 'config');
  deps.writeFile(configFile, awsConfigText(role, tokenFile, `dofs-${subject.stack}-${subject.operation}`.slice(0, 64), env.AWS_REGION));
  deps.log(`dofs pre-run: ${subject.operation} of ${subject.stack} assumes ${role}`);

  let gate: string | undefined;
  if (env.DOFS_PROMOTED_FROM && subject.operation === 'update') {
    if (!env.PULUMI_ACCESS_TOKEN)
      throw new PreRunError('PULUMI_ACCESS_TOKEN is not set: Pulumi Deployments provides it to every deployment');
    const commit = deps.gitHead();
    const api = { base: env.PULUMI_API ?? 'https://api.pulumi.com', token: env.PULUMI_ACCESS_TOKEN, fetch: deps.fetch };
    gate = await requireSucceeded(api, subject.organization, subject.project, env.DOFS_PROMOTED_FROM, commit);
    deps.log(`dofs pre-run: ${gate} succeeded on ${env.DOFS_PROMOTED_FROM}: it may be deployed to ${subject.stack}`);
  }

  let tests: PreRunOutcome['tests'] = 'skipped';
  if (TESTED_OPERATIONS.includes(subject.operation)) {
    const code = deps.run('npm', ['test']);
    if (code !== 0) throw new PreRunError(`npm test failed (exit ${code}): no ${subject.operation} of ${subject.stack} on red tests`);
    tests = 'ran';
  } else {
    deps.log(`dofs pre-run: no tests before '${subject.operation}' (tests gate previews and updates only)`);
  }

  if (env.DOFS_REVIEW_TTL_HOURS !== undefined) {
    const ttl = await ensureReviewTtl(
      {
        ...env,
        PULUMI_CI_ORGANIZATION: subject.organization,
        PULUMI_CI_PROJECT: subject.project,
        PULUMI_CI_STACK: subject.stack,
        PULUMI_CI_OPERATION: subject.operation,
      },
      deps.fetch,
    );
    deps.log(ttl.action === 'scheduled' ? `review stack TTL: destroy scheduled for ${ttl.timestamp}` : `review stack TTL: ${ttl.why}`);
  }
  return { subject, role, tests, gate };
};

if (require.main === module) {
  const deps: PreRunDeps = {
    readFile: (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined),
    writeFile: (f, text) => {
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.writeFileSync(f, text, { mode: 0o600 });
    },
    run: (command, args) => spawnSync(command, args, { stdio: 'inherit' }).status ?? 1,
    gitHead: () => execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim(),
    fetch,
    log: (line) => console.log(line),
    home: os.homedir(),
  };
  preRun(process.env as PreRunEnv, deps).catch((e: Error) => {
    console.error(`dofs pre-run: ${e.message}`);
    process.exit(1);
  });
}
