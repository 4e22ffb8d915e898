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

  it('names the key, the value and what is allowed for each bad value, all at once', () => {
    const problems = problemsOf({
      ...base,
      'dofs-deployments:repository': 'dofs',
      'dofs-deployments:reviewStackTtlHours': '0',
      'dofs-deployments:driftSchedule': 'hourly',
      'dofs-deployments:driftAutoRemediate': 'maybe',
      'dofs-deployments:brnach': 'main',
    });
    expect(problems).toEqual([
      "dofs-deployments:repository = 'dofs' is not allowed: expected a GitHub repository as owner/name",
      'dofs-deployments:reviewStackTtlHours = 0 is not allowed: expected a whole number of hours from 1 to 720',
      `dofs-deployments:driftSchedule = 'hourly' is not allowed: expected a cron expression of five fields, e.g. "0 */6 * * *"`,
      "dofs-deployments:driftAutoRemediate = 'maybe' is not allowed: expected boolean",
      'dofs-deployments:brnach is not a known key; known keys: organization, repository, branch, reviewStackTtlHours, driftSchedule, driftAutoRemediate',
    ]);
  });

  it('requires the organization and the repository', () => {
    expect(problemsOf({})).toEqual([
      'dofs-deployments:organization is not set: expected a Pulumi organization name (letters, digits, "_", "." and "-") (pulumi config set organization <value>)',
      'dofs-deployments:repository is not set: expected a GitHub repository as owner/name (pulumi config set repository <value>)',
    ]);
  });
});
