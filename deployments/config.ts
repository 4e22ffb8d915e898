import * as t from 'io-ts';
import { decodeKeys, show } from '../configKeys';
import { LONG_LIVED_STACK } from '../components/scope';

/**
 * The deployments program's config: decoded like the main program's, with errors that name the key, the
 * value and what is allowed. Pulumi.yaml repeats the defaults (a test keeps the two equal). Nothing here
 * has a committed placeholder: the organization, the repository and the accounts are each team's own.
 */

export const DEPLOYMENTS_NAMESPACE = 'dofs-deployments';

const pattern = (re: RegExp, allowed: string) =>
  t.refinement(t.string, (s) => re.test(s), allowed) as unknown as t.Type<string, string, unknown>;
/** Five cron fields, each of digits, `*`, `,`, `-` and `/`. */
const CRON = /^(\S+\s+){4}\S+$/;
const ACCOUNT = pattern(/^\d{12}$/, 'a 12-digit AWS account id');
const OIDC_PROVIDER_ARN = pattern(
  /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/api\.pulumi\.com\/oidc$/,
  'the ARN of an IAM OIDC provider for https://api.pulumi.com/oidc',
);

/**
 * One long-lived stack, in promotion order: its name, and optionally the AWS account and region it deploys
 * to (default: the delivery stack's own) and an existing OIDC provider of that account to adopt.
 */
const StackEntry = t.intersection([
  t.type({ name: pattern(LONG_LIVED_STACK, 'a short lowercase stack name (a letter, then up to 11 letters or digits)') }),
  t.partial({
    account: ACCOUNT,
    region: pattern(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region, e.g. eu-west-1'),
    oidcProviderArn: OIDC_PROVIDER_ARN,
  }),
]);
export type StackEntry = t.TypeOf<typeof StackEntry>;

const fields = {
  organization: pattern(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'a Pulumi organization name (letters, digits, "_", "." and "-")'),
  repository: pattern(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9_.-]{1,100}$/, 'a GitHub repository as owner/name'),
  branch: pattern(/^(?!\/)(?!.*\.\.)[A-Za-z0-9._/-]{1,255}$/, 'a git branch name'),
  stacks: t.refinement(t.array(StackEntry), (a) => a.length >= 1 && a.length <= 10, 'a list of 1 to 10 stacks in promotion order'),
  reviewStacks: t.boolean,
  reviewStackTtlHours: t.refinement(t.number, (n) => Number.isInteger(n) && n >= 1 && n <= 720, 'a whole number of hours from 1 to 720'),
  driftSchedule: t.refinement(
    t.string,
    (s) =>
      CRON.test(s.trim()) &&
      s
        .trim()
        .split(/\s+/)
        .every((f) => /^[\d*,/-]+$/.test(f)),
    'a cron expression of five fields, e.g. "0 */6 * * *"',
  ),
  bootstrapRoleName: pattern(/^[\w+=,.@-]{1,64}$/, 'an IAM role name'),
  manageApiGatewayAccount: t.boolean,
  notificationWebhookUrl: pattern(/^https:\/\/[^\s]+$/, 'an https:// URL'),
  notificationFormat: t.keyof({ slack: null, ms_teams: null, raw: null }),
};

export interface DeploymentsConfig {
  readonly organization: string;
  readonly repository: string;
  readonly branch: string;
  /** The long-lived stacks in promotion order: the first deploys on push, each next one by promotion. */
  readonly stacks: readonly StackEntry[];
  /** Whether pull requests get review stacks (made from the review template, with review-scoped credentials). */
  readonly reviewStacks: boolean;
  readonly reviewStackTtlHours: number;
  /** Drift detection on the last stack (prod); never remediated automatically. */
  readonly driftSchedule: string;
  /** The role the delivery program assumes in an account other than its own (AWS Organizations' default). */
  readonly bootstrapRoleName: string;
  /** Whether this program sets the API Gateway account's CloudWatch Logs role in each account and region of the stacks. */
  readonly manageApiGatewayAccount: boolean;
  /** Where failed deployments and detected drift are reported (a Slack or Teams incoming webhook, or any URL). */
  readonly notificationWebhookUrl?: string;
  readonly notificationFormat: 'slack' | 'ms_teams' | 'raw';
}

/** Defaults of the optional keys (organization and repository have none: each team sets its own). */
export const DEPLOYMENTS_DEFAULTS = {
  branch: 'main',
  stacks: [{ name: 'dev' }, { name: 'staging' }, { name: 'prod' }] as StackEntry[],
  reviewStacks: true,
  reviewStackTtlHours: 48,
  driftSchedule: '0 */6 * * *',
  bootstrapRoleName: 'OrganizationAccountAccessRole',
  manageApiGatewayAccount: true,
  notificationFormat: 'slack' as const,
};

/** A config problem, for the one error that lists them all. */
export class DeploymentsConfigError extends Error {
  readonly name = 'DeploymentsConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid deployments configuration:\n- ${problems.join('\n- ')}`);
  }
}

/** Checks across entries of `stacks`: unique names, and one OIDC provider per account. */
const stackProblems = (stacks: readonly StackEntry[]): string[] => {
  const key = `${DEPLOYMENTS_NAMESPACE}:stacks`;
  const problems: string[] = [];
  const names = stacks.map((s) => s.name);
  const repeated = names.filter((n, i) => names.indexOf(n) !== i);
  if (repeated.length > 0)
    problems.push(`${key} names ${repeated.map(show).join(', ')} more than once: each stack once, in promotion order`);
  const providers = new Map<string, string>();
  for (const s of stacks) {
    if (s.oidcProviderArn === undefined) continue;
    const arnAccount = s.oidcProviderArn.split(':')[4];
    if (s.account !== undefined && s.account !== arnAccount)
      problems.push(`${key}: ${s.name}'s oidcProviderArn is in account ${arnAccount}, not the stack's account ${s.account}`);
    const account = s.account ?? 'the delivery stack';
    const other = providers.get(account);
    if (other !== undefined && other !== s.oidcProviderArn)
      problems.push(
        `${key}: stacks in ${account === 'the delivery stack' ? account + "'s account" : `account ${account}`} name two OIDC providers; an account has one`,
      );
    providers.set(account, s.oidcProviderArn);
  }
  return problems;
};

/** Decodes the raw config of the deployments stack; throws one error listing every problem. */
export const decodeDeploymentsConfig = (raw: Readonly<Record<string, string>>): DeploymentsConfig => {
  const { values, problems } = decodeKeys(raw, DEPLOYMENTS_NAMESPACE, fields);
  for (const required of ['organization', 'repository'] as const) {
    if (!(`${DEPLOYMENTS_NAMESPACE}:${required}` in raw)) {
      problems.push(
        `${DEPLOYMENTS_NAMESPACE}:${required} is not set: expected ${fields[required].name} (pulumi config set ${required} <value>)`,
      );
    }
  }
  const config = { ...DEPLOYMENTS_DEFAULTS, ...values } as unknown as DeploymentsConfig;
  if (values.stacks !== undefined) problems.push(...stackProblems(config.stacks));
  if (problems.length > 0) throw new DeploymentsConfigError(problems);
  return config;
};

/** The stack a promotion to `stack` comes from, or undefined for the first stack. */
export const previousStack = (config: Pick<DeploymentsConfig, 'stacks'>, stack: string): string | undefined => {
  const i = config.stacks.findIndex((s) => s.name === stack);
  return i > 0 ? config.stacks[i - 1].name : undefined;
};
