import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { DEPLOYMENTS_DEFAULTS, decodeDeploymentsConfig } from '../../deployments/config';

const base = { 'dofs-deployments:organization': 'acme', 'dofs-deployments:repository': 'acme/dofs' };
const problemsOf = (raw: Record<string, string>): string[] => {
  try {
    decodeDeploymentsConfig(raw);
  } catch (e) {
    return (e as { problems: string[] }).problems;
  }
  throw new Error('expected the config to be refused');
};

describe('deployments config', () => {
  it('applies the defaults to what the stack does not set', () => {
    expect(decodeDeploymentsConfig({ ...base, 'aws:region': 'eu-west-1' })).toEqual({
      organization: 'acme',
      repository: 'acme/dofs',
      ...DEPLOYMENTS_DEFAULTS,
    });
  });

  it('keeps Pulumi.yaml defaults equal to the code defaults, with a type and description for each key', () => {
    const project = parse(fs.readFileSync(path.join(__dirname, '..', '..', 'deployments', 'Pulumi.yaml'), 'utf8')) as {
      config: Record<string, { type: string; default?: unknown; description: string }>;
    };
    const declared = Object.fromEntries(
      Object.entries(project.config)
        .filter(([, v]) => v.default !== undefined)
        .map(([k, v]) => [k.replace('dofs-deployments:', ''), v.default]),
    );
    expect(declared).toEqual(DEPLOYMENTS_DEFAULTS);
    for (const v of Object.values(project.config)) expect([typeof v.type, typeof v.description]).toEqual(['string', 'string']);
  });

  it('commits no organization, repository or account: no stack file of the delivery program is in the repository', () => {
    expect(fs.readdirSync(path.join(__dirname, '..', '..', 'deployments')).filter((f) => /^Pulumi\..+\.yaml$/.test(f))).toEqual([]);
  });

  it('reads the stacks, their accounts and the OIDC providers to adopt from config, in promotion order', () => {
    const stacks = [
      { name: 'dev', account: '111111111111' },
      { name: 'staging', account: '222222222222' },
      { name: 'prod', account: '333333333333', oidcProviderArn: 'arn:aws:iam::333333333333:oidc-provider/api.pulumi.com/oidc' },
    ];
    expect(decodeDeploymentsConfig({ ...base, 'dofs-deployments:stacks': JSON.stringify(stacks) }).stacks).toEqual(stacks);
  });

  it('refuses a repeated stack, a name that is not a short lowercase word, and a provider of another account', () => {
    const problems = problemsOf({
      ...base,
      'dofs-deployments:stacks': JSON.stringify([
        { name: 'dev' },
        { name: 'dev' },
        { name: 'prod', account: '333333333333', oidcProviderArn: 'arn:aws:iam::444444444444:oidc-provider/api.pulumi.com/oidc' },
      ]),
    });
    expect(problems).toEqual([
      "dofs-deployments:stacks names 'dev' more than once: each stack once, in promotion order",
      "dofs-deployments:stacks: prod's oidcProviderArn is in account 444444444444, not the stack's account 333333333333",
    ]);
    expect(problemsOf({ ...base, 'dofs-deployments:stacks': JSON.stringify([{ name: 'Dev-EU' }]) })[0]).toMatch(
      /^dofs-deployments:stacks = \[\{"name":"Dev-EU"\}\] is not allowed: expected a list of 1 to 10 stacks in promotion order \(0\.0\.name = 'Dev-EU' \(expected a short lowercase stack name/,
    );
  });

  it('names the key, the value and what is allowed for each bad value, all at once', () => {
    const problems = problemsOf({
      ...base,
      'dofs-deployments:repository': 'dofs',
      'dofs-deployments:reviewStackTtlHours': '0',
      'dofs-deployments:driftSchedule': 'hourly',
      'dofs-deployments:notificationFormat': 'email',
      'dofs-deployments:driftAutoRemediate': 'true',
    });
    expect(problems).toEqual([
      "dofs-deployments:repository = 'dofs' is not allowed: expected a GitHub repository as owner/name",
      'dofs-deployments:reviewStackTtlHours = 0 is not allowed: expected a whole number of hours from 1 to 720',
      `dofs-deployments:driftSchedule = 'hourly' is not allowed: expected a cron expression of five fields, e.g. "0 */6 * * *"`,
      `dofs-deployments:notificationFormat = 'email' is not allowed: expected "slack" | "ms_teams" | "raw"`,
      // Drift on prod is never remediated from the branch's HEAD: the key is gone, and setting it is an error.
      'dofs-deployments:driftAutoRemediate is not a known key; known keys: organization, repository, branch, stacks, reviewStacks, reviewStackTtlHours, driftSchedule, bootstrapRoleName, manageApiGatewayAccount, notificationWebhookUrl, notificationFormat',
    ]);
  });

  it('requires the organization and the repository', () => {
    expect(problemsOf({})).toEqual([
      'dofs-deployments:organization is not set: expected a Pulumi organization name (letters, digits, "_", "." and "-") (pulumi config set organization <value>)',
      'dofs-deployments:repository is not set: expected a GitHub repository as owner/name (pulumi config set repository <value>)',
    ]);
  });
});
