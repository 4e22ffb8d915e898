import * as t from 'io-ts';
import { decodeKeys } from '../configKeys';

/**
 * The deployments program's config: decoded like the main program's, with errors that name the key, the
 * value and what is allowed. Pulumi.yaml repeats the defaults (a test keeps the two equal).
 */

export const DEPLOYMENTS_NAMESPACE = 'dofs-deployments';

/** The dofs stacks this program delivers, in promotion order. */
export const STACKS = ['dev', 'staging', 'prod'] as const;
export type StackName = (typeof STACKS)[number];

const pattern = (re: RegExp, allowed: string) =>
  t.refinement(t.string, (s) => re.test(s), allowed) as unknown as t.Type<string, string, unknown>;
/** Five cron fields, each of digits, `*`, `,`, `-` and `/`. */
const CRON = /^(\S+\s+){4}\S+$/;

const fields = {
  organization: pattern(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'a Pulumi organization name (letters, digits, "_", "." and "-")'),
  repository: pattern(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9_.-]{1,100}$/, 'a GitHub repository as owner/name'),
  branch: pattern(/^(?!\/)(?!.*\.\.)[A-Za-z0-9._/-]{1,255}$/, 'a git branch name'),
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
  driftAutoRemediate: t.boolean,
};

export interface DeploymentsConfig {
  readonly organization: string;
  readonly repository: string;
  readonly branch: string;
  readonly reviewStackTtlHours: number;
  readonly driftSchedule: string;
  readonly driftAutoRemediate: boolean;
}

/** Defaults of the optional keys (organization and repository have none: each team sets its own). */
export const DEPLOYMENTS_DEFAULTS = { branch: 'main', reviewStackTtlHours: 48, driftSchedule: '0 */6 * * *', driftAutoRemediate: false };

/** A config problem, for the one error that lists them all. */
export class DeploymentsConfigError extends Error {
  readonly name = 'DeploymentsConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid deployments configuration:\n- ${problems.join('\n- ')}`);
  }
}

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
  if (problems.length > 0) throw new DeploymentsConfigError(problems);
  return { ...DEPLOYMENTS_DEFAULTS, ...values } as DeploymentsConfig;
};
