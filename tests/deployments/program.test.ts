/**
 * The deployments program under Pulumi mocks: what it declares for each dofs stack, in a layout that mixes
 * both of the README's: dev and staging in the delivery stack's own account, prod in an account of its own
 * whose existing OIDC provider is adopted.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as pulumi from '@pulumi/pulumi';
import { parse } from 'yaml';
import { registrationsSettled } from '../../local/mockProgram';
import { AWS_CONFIG_FILE, NOTIFY_ON, PRE_RUN_COMMANDS } from '../../deployments/delivery';
import { boundaryName, subject } from '../../deployments/policies';
import { REVIEW, stackTarget } from '../support/deployRole';

type Recorded = { type: string; name: string; inputs: Record<string, any>; provider?: string };
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
const HOME = '123456789012';
const PROD_ACCOUNT = '333333333333';
const ADOPTED = `arn:aws:iam::${PROD_ACCOUNT}:oidc-provider/api.pulumi.com/oidc`;
const WEBHOOK = 'https://hooks.slack.com/services/T000/B000/XXXX';
let outputs: { oidc: string[] };

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        resources.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider });
        const account = args.provider?.includes(`account-${PROD_ACCOUNT}`) ? PROD_ACCOUNT : HOME;
        if (args.type === 'aws:iam/openIdConnectProvider:OpenIdConnectProvider' && args.id) {
          // Adopting prod's existing provider (a read): it already accepts the organization's tokens.
          return { id: args.id, state: { arn: args.id, url: 'https://api.pulumi.com/oidc', clientIdLists: ['acme', 'other-org'] } };
        }
        return {
          id: `${args.name}-id`,
          state: {
            ...args.inputs,
            arn: `arn:aws:iam::${account}:${args.type.split(':').pop()}/${args.inputs.name ?? args.name}`,
            name: args.inputs.name ?? args.name,
          },
        };
      },
      call: (args) => {
        if (args.token === 'aws:index/getCallerIdentity:getCallerIdentity')
          return { accountId: HOME, arn: `arn:aws:iam::${HOME}:user/x`, userId: 'x' };
        if (args.token === 'aws:index/getRegion:getRegion') return { region: 'eu-west-1', name: 'eu-west-1' };
        return args.inputs;
      },
    },
    'dofs-deployments',
    'delivery',
    false,
  );
  const raw = {
    'aws:region': 'eu-west-1',
    'dofs-deployments:organization': 'acme',
    'dofs-deployments:repository': 'acme/dofs',
    'dofs-deployments:stacks': JSON.stringify([
      { name: 'dev' },
      { name: 'staging' },
      { name: 'prod', account: PROD_ACCOUNT, oidcProviderArn: ADOPTED },
    ]),
    'dofs-deployments:notificationWebhookUrl': WEBHOOK,
  };
  const { decodeDeploymentsConfig } = await import('../../deployments/config');
  const { createDelivery } = await import('../../deployments/delivery');
  const delivery = createDelivery(decodeDeploymentsConfig(raw));
  outputs = { oidc: await new Promise((resolve) => pulumi.all(delivery.oidcProviderArns).apply(resolve)) };
  await registrationsSettled();
});

const STACKS = ['dev', 'staging', 'prod'];
const settingsOf = (stack: string) => one('pulumiservice:index:DeploymentSettings', `settings-${stack}`).inputs;
const envOf = (stack: string) => settingsOf(stack).operationContext.environmentVariables as Record<string, string>;
const roleArn = (kind: string, target: string) => {
  const r = one('aws:iam/role:Role', `${kind}-${target}`);
  return `arn:aws:iam::${target === 'prod' ? PROD_ACCOUNT : HOME}:Role/${r.name}`;
};

describe('deployment settings', () => {
  it('exist for dev, staging, prod and the review template, from the GitHub repository through vcs', () => {
    expect(
      ofType('pulumiservice:index:DeploymentSettings')
        .map((r) => r.inputs.stack)
        .sort(),
    ).toEqual([...STACKS, 'review'].sort());
    for (const stack of [...STACKS, 'review']) {
      const s = settingsOf(stack);
      expect(s).toMatchObject({ organization: 'acme', project: 'dofs', sourceContext: { git: { branch: 'refs/heads/main' } } });
      expect(s.vcs).toMatchObject({ provider: 'github', repository: 'acme/dofs' });
      expect(s.github).toBeUndefined();
      // No cloud credential in the settings: only role ARNs, which the token's subject must match.
      expect(Object.keys(envOf(stack)).filter((k) => /SECRET|ACCESS_KEY|SESSION_TOKEN/.test(k))).toEqual([]);
      expect(s.operationContext.oidc).toBeUndefined();
    }
  });

  it('deploy on push only on dev; staging and prod only by promotion; pull requests only in review stacks, from the template', () => {
    const vcs = (k: string) => Object.fromEntries([...STACKS, 'review'].map((s) => [s, Boolean(settingsOf(s).vcs[k])]));
    expect(vcs('deployCommits')).toEqual({ dev: true, staging: false, prod: false, review: false });
    // A preview of a long-lived stack would run the pull request's code with that stack's Pulumi token.
    expect(vcs('previewPullRequests')).toEqual({ dev: false, staging: false, prod: false, review: false });
    expect(vcs('pullRequestTemplate')).toEqual({ dev: false, staging: false, prod: false, review: true });
  });

  it("give each stack its own deploy and preview roles; review stacks the review roles, never dev's or prod's", () => {
    for (const [stack, target] of [...STACKS.map((s) => [s, s]), ['review', 'review']]) {
      expect({ stack, deploy: envOf(stack).DOFS_DEPLOY_ROLE_ARN, preview: envOf(stack).DOFS_PREVIEW_ROLE_ARN }).toEqual({
        stack,
        deploy: roleArn('deploy', target),
        preview: roleArn('preview', target),
      });
      expect(envOf(stack).AWS_CONFIG_FILE).toBe(AWS_CONFIG_FILE);
    }
  });

  it('gate staging on dev and prod on staging: only a commit that succeeded there may be deployed', () => {
    expect(Object.fromEntries(STACKS.map((s) => [s, envOf(s).DOFS_PROMOTED_FROM]))).toEqual({
      dev: undefined,
      staging: 'dev',
      prod: 'staging',
    });
    expect(envOf('review').DOFS_REVIEW_TTL_HOURS).toBe('48');
  });

  it('run the install command and the pre-run script (role, gate, tests, TTL) before every operation', () => {
    for (const stack of [...STACKS, 'review']) {
      const { preRunCommands, options } = settingsOf(stack).operationContext;
      expect(preRunCommands).toEqual(PRE_RUN_COMMANDS);
      expect(options).toEqual({ skipInstallDependencies: true });
      // No dependency cache where a pull request's code runs (it could leave a plugin a later deployment runs).
      expect(settingsOf(stack).cacheOptions).toEqual({ enable: stack !== 'review' });
    }
    expect(PRE_RUN_COMMANDS[0]).toBe('npm ci');
    expect(fs.existsSync(path.join(ROOT, PRE_RUN_COMMANDS[1].split(' ').pop()!))).toBe(true);
  });

  it('detect drift on prod only, never remediating it', () => {
    expect(ofType('pulumiservice:index:DriftSchedule').map((d) => d.inputs)).toEqual([
      { organization: 'acme', project: 'dofs', stack: 'prod', scheduleCron: '0 */6 * * *', autoRemediate: false },
    ]);
  });

  it('report failed deployments and detected drift of every long-lived stack to the configured webhook', () => {
    const hooks = ofType('pulumiservice:index:Webhook');
    expect(hooks.map((h) => h.inputs.stackName).sort()).toEqual([...STACKS].sort());
    for (const h of hooks) {
      expect(h.inputs).toMatchObject({ organizationName: 'acme', projectName: 'dofs', format: 'slack', active: true });
      // The URL is a secret in the delivery stack's state (Pulumi's secret signature around the value).
      expect(h.inputs.payloadUrl).toEqual({ [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value: WEBHOOK });
      expect(h.inputs.filters).toEqual(expect.arrayContaining(['deployment_failed', 'drift_detected']));
      expect(h.inputs.filters).toEqual([...NOTIFY_ON]);
    }
  });

  it('declare the Pulumi Cloud stacks the settings belong to', () => {
    expect(
      ofType('pulumiservice:index:Stack')
        .map((s) => s.inputs.stackName)
        .sort(),
    ).toEqual([...STACKS, 'review'].sort());
  });
});

describe('cloud credentials', () => {
  it("come from one OIDC provider per account: made in the delivery stack's, adopted (read, not managed) in prod's", () => {
    const made = ofType('aws:iam/openIdConnectProvider:OpenIdConnectProvider').filter((p) => !p.name.endsWith(PROD_ACCOUNT));
    expect(made.map((p) => p.inputs)).toEqual([{ url: 'https://api.pulumi.com/oidc', clientIdLists: ['acme'] }]);
    expect(outputs.oidc).toEqual([`arn:aws:iam::${HOME}:OpenIdConnectProvider/pulumi-oidc`, ADOPTED]);
    // prod's account is reached through its bootstrap role; everything of prod is made there.
    const provider = one('pulumi:providers:aws', `account-${PROD_ACCOUNT}`);
    expect(provider.inputs.assumeRoles).toEqual(
      JSON.stringify([{ roleArn: `arn:aws:iam::${PROD_ACCOUNT}:role/OrganizationAccountAccessRole`, sessionName: 'dofs-delivery' }]),
    );
    for (const r of resources.filter((x) => x.type.startsWith('aws:iam/') && x.name.endsWith('-prod'))) {
      expect({ [r.name]: r.provider ?? '' }).toEqual({ [r.name]: expect.stringContaining(`account-${PROD_ACCOUNT}`) });
    }
  });

  it('are a deploy role and a preview role per target, trusting its own stack and operations only', () => {
    expect(
      ofType('aws:iam/role:Role')
        .map((r) => r.name)
        .sort(),
    ).toEqual([
      // The accounts' API Gateway CloudWatch roles (below), which only apigateway.amazonaws.com assumes.
      'apigateway-cloudwatch',
      `apigateway-cloudwatch-${PROD_ACCOUNT}`,
      'deploy-dev',
      'deploy-prod',
      'deploy-review',
      'deploy-staging',
      'preview-dev',
      'preview-prod',
      'preview-review',
      'preview-staging',
    ]);
    const trust = (name: string) => JSON.parse(one('aws:iam/role:Role', name).inputs.assumeRolePolicy).Statement[0].Condition;
    expect(trust('deploy-prod')).toEqual({
      StringEquals: { 'api.pulumi.com/oidc:aud': 'acme', 'api.pulumi.com/oidc:sub': [subject('acme', 'prod', 'update')] },
    });
    expect(trust('deploy-dev').StringEquals['api.pulumi.com/oidc:sub']).toEqual([
      subject('acme', 'dev', 'update'),
      subject('acme', 'dev', 'destroy'),
    ]);
    expect(trust('preview-prod').StringEquals['api.pulumi.com/oidc:sub']).toEqual(
      ['preview', 'refresh', 'detect-drift'].map((op) => subject('acme', 'prod', op as 'preview')),
    );
    for (const r of ofType('aws:iam/role:Role')) expect(r.inputs.path).toBe('/dofs-delivery/');
  });

  it("set each account's API Gateway CloudWatch Logs role once, out of every deploy role's reach", () => {
    // One role and one setting per account (and region) of the stacks: the delivery stack's, and prod's.
    const accounts = ofType('aws:apigateway/account:Account');
    expect(accounts.map((a) => [a.name, a.inputs.cloudwatchRoleArn])).toEqual([
      ['apigateway-account', `arn:aws:iam::${HOME}:Role/apigateway-cloudwatch`],
      [`apigateway-account-${PROD_ACCOUNT}`, `arn:aws:iam::${PROD_ACCOUNT}:Role/apigateway-cloudwatch-${PROD_ACCOUNT}`],
    ]);
    expect(accounts[1].provider).toContain(`account-${PROD_ACCOUNT}`);
    const role = one('aws:iam/role:Role', 'apigateway-cloudwatch');
    expect(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal).toEqual({ Service: 'apigateway.amazonaws.com' });
    expect(
      ofType('aws:iam/rolePolicyAttachment:RolePolicyAttachment')
        .filter((a) => a.name.startsWith('apigateway-'))
        .map((a) => a.inputs.policyArn),
    ).toEqual([
      'arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs',
      'arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs',
    ]);
    // ...and every stack file reads it (existing), none sets it.
    for (const stack of [...STACKS, 'review']) {
      const file = parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), 'utf8')) as { config: Record<string, unknown> };
      expect({ stack, mode: file.config['dofs:apiGatewayAccount'] ?? 'existing' }).toEqual({ stack, mode: 'existing' });
    }
  });

  /**
   * Whether a Deployments token with `sub` may assume `role`: the trust statement's conditions evaluated as IAM
   * does for single-valued keys (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
   * StringEquals/StringLike match when any listed value matches, StringNotLike when none does; every operator must hold.
   */
  const mayAssume = (role: string, sub: string) => {
    const [st] = JSON.parse(one('aws:iam/role:Role', role).inputs.assumeRolePolicy).Statement;
    const claims: Record<string, string> = { 'api.pulumi.com/oidc:sub': sub, 'api.pulumi.com/oidc:aud': 'acme' };
    const glob = (p: string) =>
      new RegExp(
        `^${p
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`,
      );
    const test: Record<string, (v: string, p: string) => boolean> = {
      StringEquals: (v, p) => v === p,
      StringLike: (v, p) => glob(p).test(v),
      StringNotLike: (v, p) => glob(p).test(v),
    };
    return Object.entries(st.Condition as Record<string, Record<string, string | string[]>>).every(([op, keys]) =>
      Object.entries(keys).every(([key, values]) => {
        const any = [values].flat().some((p) => test[op](claims[key], p));
        return op === 'StringNotLike' ? !any : any;
      }),
    );
  };

  it("let a pull request's preview assume only the read-only preview role, and no token assume another stack's roles", () => {
    const allowed = (sub: string) =>
      ofType('aws:iam/role:Role')
        .map((r) => r.name)
        .filter((role) => !role.startsWith('apigateway-cloudwatch') && mayAssume(role, sub))
        .sort();
    // A preview of dev, and a review stack's own deployments (where a pull request's code runs).
    expect(allowed(subject('acme', 'dev', 'preview'))).toEqual(['preview-dev']);
    expect(allowed(subject('acme', 'pr-pulumi-acme-dofs-42', 'update'))).toEqual(['deploy-review']);
    expect(allowed(subject('acme', 'pr-pulumi-acme-dofs-42', 'preview'))).toEqual(['preview-review']);
    expect(allowed(subject('acme', 'pr-pulumi-acme-dofs-42', 'destroy'))).toEqual(['deploy-review']);
    // The long-lived stacks: each its own, by operation; prod is never destroyed, drift is never remediated.
    expect(allowed(subject('acme', 'dev', 'update'))).toEqual(['deploy-dev']);
    expect(allowed(subject('acme', 'prod', 'update'))).toEqual(['deploy-prod']);
    expect(allowed(subject('acme', 'prod', 'detect-drift'))).toEqual(['preview-prod']);
    expect(allowed(subject('acme', 'prod', 'refresh'))).toEqual(['preview-prod']);
    expect(allowed(subject('acme', 'prod', 'destroy'))).toEqual([]);
    expect(allowed(subject('acme', 'prod', 'remediate-drift' as 'update'))).toEqual([]);
    // Another organization or project gets nothing.
    expect(allowed(subject('evil', 'prod', 'update'))).toEqual([]);
    expect(allowed(subject('acme', 'prod', 'update').replace(':project:dofs:', ':project:other:'))).toEqual([]);
  });

  it('make each target a permissions boundary named as the program expects it', () => {
    expect(
      ofType('aws:iam/policy:Policy')
        .filter((p) => p.name.startsWith('boundary-'))
        .map((p) => p.inputs.name)
        .sort(),
    ).toEqual([...STACKS.map(stackTarget), REVIEW].map(boundaryName).sort());
  });

  it('are reached by no ESC environment, and no stack file imports one (a pull request could change the import)', () => {
    expect(ofType('pulumiservice:index:Environment')).toEqual([]);
    for (const stack of [...STACKS, 'review']) {
      const file = parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), 'utf8')) as { environment?: unknown };
      expect({ stack, environment: file.environment }).toEqual({ stack, environment: undefined });
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
