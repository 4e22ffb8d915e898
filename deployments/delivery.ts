/**
 * Delivery for the dofs stacks, declared once. Per AWS account: Pulumi Cloud's OIDC provider (made, or an
 * existing one adopted). Per deploy target (each long-lived stack, and the review stacks together): a deploy
 * role for update/destroy, a preview role for preview/refresh/drift detection, each trusting only its own
 * stack's and operation's Deployments token, and the permissions boundary of the roles a deployment creates.
 * Per stack: Deployments settings (push-to-deploy on the first stack only, the promotion gate on the others;
 * pull requests run only in review stacks), drift detection on the last, and a webhook for failures and drift.
 * Used by `index.ts` (the composition root) and by the tests under mocks.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as service from '@pulumi/pulumiservice';
import { PUSH_TO_CLOUDWATCH_LOGS_POLICY } from '../components/apiGatewayAccount';
import { DELIVERY_PATH } from '../components/scope';
import type { DeploymentsConfig, StackEntry } from './config';
import {
  DOFS_PROJECT,
  type DeployTarget,
  PULUMI_OIDC_HOST,
  audience,
  boundaryName,
  boundaryPolicy,
  deployPolicy,
  previewPolicy,
  readOperations,
  targetName,
  trustPolicy,
  writeOperations,
} from './policies';

/**
 * The commands of every deployment before its Pulumi operation: the README's install command, then the
 * pre-run script (role for the operation, promotion gate, tests for preview and update, review TTL).
 */
export const PRE_RUN_COMMANDS = ['npm ci', 'npx ts-node --transpile-only deployments/preRun.ts'];

/** The stack whose deployment settings review stacks copy (Pulumi's convention; its config is Pulumi.review.yaml). */
export const REVIEW_TEMPLATE_STACK = 'review';

/** Where the pre-run script writes the AWS SDK's shared config (the role for the operation). */
export const AWS_CONFIG_FILE = '/tmp/dofs-aws/config';

/** What Pulumi Cloud reports to the webhook: failed deployments and operations, and drift. */
export const NOTIFY_ON = [
  'deployment_failed',
  'update_failed',
  'destroy_failed',
  'drift_detected',
  'drift_detection_failed',
] as const satisfies readonly `${service.WebhookFilters}`[];

/** The deploy targets of the config, each with the account (undefined: the delivery stack's) it lives in. */
export const targetsOf = (config: DeploymentsConfig): { target: DeployTarget; entry: StackEntry }[] => {
  const targets = config.stacks.map((entry, i) => ({
    target: { kind: 'stack' as const, stack: entry.name, destroy: i < config.stacks.length - 1 },
    entry,
  }));
  // Review stacks live beside the first stack (dev), with credentials of their own.
  return config.reviewStacks ? [...targets, { target: { kind: 'review' as const }, entry: config.stacks[0] }] : targets;
};

export const createDelivery = (config: DeploymentsConfig) => {
  const { organization } = config;
  const homeAccount = aws.getCallerIdentityOutput({}).accountId;
  const homeRegion = aws.getRegionOutput({}).region;
  const longLived = config.stacks.map((s) => s.name);

  // One provider and one OIDC provider per account.
  const accounts = new Map<string, { provider?: aws.Provider; oidcArn: pulumi.Output<string>; id: pulumi.Output<string> }>();
  const accountOf = (entry: StackEntry) => {
    const key = entry.account ?? '';
    const known = accounts.get(key);
    if (known) return known;
    const provider =
      entry.account === undefined
        ? undefined
        : new aws.Provider(`account-${entry.account}`, {
            region: homeRegion.apply((r) => r as aws.Region),
            assumeRoles: [{ roleArn: `arn:aws:iam::${entry.account}:role/${config.bootstrapRoleName}`, sessionName: 'dofs-delivery' }],
          });
    const adopted = config.stacks.find((s) => (s.account ?? '') === key && s.oidcProviderArn)?.oidcProviderArn;
    const suffix = entry.account ? `-${entry.account}` : '';
    const oidcArn = adopted
      ? adoptOidcProvider(`pulumi-oidc${suffix}`, adopted, organization, provider)
      : new aws.iam.OpenIdConnectProvider(
          `pulumi-oidc${suffix}`,
          { url: `https://${PULUMI_OIDC_HOST}`, clientIdLists: [audience(organization)] },
          { provider },
        ).arn;
    const found = { provider, oidcArn, id: entry.account ? pulumi.output(entry.account) : homeAccount };
    accounts.set(key, found);
    return found;
  };

  if (config.manageApiGatewayAccount) setApiGatewayAccounts(config, accountOf);

  const roles: Record<string, { deploy: aws.iam.Role; preview: aws.iam.Role; boundary: aws.iam.Policy }> = {};
  for (const { target, entry } of targetsOf(config)) {
    const name = targetName(target);
    const { provider, oidcArn, id } = accountOf(entry);
    const opts = { provider };
    const region = entry.region ?? homeRegion;
    const doc = (f: (account: string, region: string) => object) => pulumi.all([id, region]).apply(([a, r]) => JSON.stringify(f(a, r)));
    const role = (kind: 'deploy' | 'preview', ops: ReturnType<typeof writeOperations>, policy: (a: string, r: string) => object) => {
      const r = new aws.iam.Role(
        `${kind}-${name}`,
        {
          path: DELIVERY_PATH,
          description: `Assumed by Pulumi Deployments' token for ${ops.join('/')} of the dofs ${name === 'review' ? 'review stacks' : `${name} stack`}`,
          maxSessionDuration: 3600,
          assumeRolePolicy: oidcArn.apply((arn) => JSON.stringify(trustPolicy(arn, organization, target, ops, longLived))),
        },
        opts,
      );
      const p = new aws.iam.Policy(`${kind}-${name}`, { path: DELIVERY_PATH, policy: doc(policy) }, opts);
      new aws.iam.RolePolicyAttachment(`${kind}-${name}`, { role: r.name, policyArn: p.arn }, opts);
      return r;
    };
    const boundary = new aws.iam.Policy(
      `boundary-${name}`,
      {
        // The name the program derives (`dofs:permissionsBoundary: delivery`, components/scope.ts).
        name: boundaryName(target),
        path: DELIVERY_PATH,
        description: `The most any role of the dofs ${name === 'review' ? 'review stacks' : `${name} stack`} may do`,
        policy: doc((a, r) => boundaryPolicy(a, r, target)),
      },
      opts,
    );
    roles[name] = {
      deploy: role('deploy', writeOperations(target), (a, r) => deployPolicy(a, r, target)),
      preview: role('preview', readOperations, (a, r) => previewPolicy(a, r, target)),
      boundary,
    };
  }

  const settingsOf = (stack: string, roleName: string, extra: Record<string, string>, vcs: object, cache: boolean) =>
    new service.DeploymentSettings(
      `settings-${stack}`,
      {
        organization,
        project: DOFS_PROJECT,
        stack,
        sourceContext: { git: { branch: `refs/heads/${config.branch}` } },
        vcs: { provider: 'github', repository: config.repository, deployCommits: false, previewPullRequests: false, ...vcs },
        operationContext: {
          preRunCommands: PRE_RUN_COMMANDS,
          // `npm ci` above is the install step.
          options: { skipInstallDependencies: true },
          environmentVariables: pulumi.all([roles[roleName].deploy.arn, roles[roleName].preview.arn]).apply(([deploy, preview]) => ({
            DOFS_DEPLOY_ROLE_ARN: deploy,
            DOFS_PREVIEW_ROLE_ARN: preview,
            AWS_CONFIG_FILE,
            ...extra,
          })),
        },
        // A stack that runs a pull request's code gets no dependency cache: the cache holds plugins that a later
        // deployment would run (https://www.pulumi.com/docs/deployments/concepts/settings/dependency-caching/).
        cacheOptions: { enable: cache },
      },
      { dependsOn: [stacks[stack]] },
    );

  // The Pulumi Cloud stacks themselves: kept if this program is destroyed (their state is the system's).
  const stacks: Record<string, service.Stack> = {};
  for (const stack of [...longLived, ...(config.reviewStacks ? [REVIEW_TEMPLATE_STACK] : [])]) {
    stacks[stack] = new service.Stack(
      `stack-${stack}`,
      { organizationName: organization, projectName: DOFS_PROJECT, stackName: stack },
      { retainOnDelete: true },
    );
  }

  config.stacks.forEach((entry, i) => {
    const first = i === 0;
    settingsOf(
      entry.name,
      entry.name,
      // A promoted stack's updates are gated on the stack before it (deployments/preRun.ts).
      first ? {} : { DOFS_PROMOTED_FROM: config.stacks[i - 1].name },
      // Only the first stack deploys on push; the others only by promotion. No long-lived stack previews pull
      // requests: the preview would run the pull request's code with that stack's Pulumi token (admin on the
      // stack: it could start an update, decrypt the stack's secrets, record an update). Review stacks do it.
      { deployCommits: first, previewPullRequests: false },
      true,
    );
  });
  if (config.reviewStacks) {
    settingsOf(
      REVIEW_TEMPLATE_STACK,
      'review',
      { DOFS_REVIEW_TTL_HOURS: String(config.reviewStackTtlHours) },
      { pullRequestTemplate: true },
      false,
    );
  }

  // Drift on the last stack is reported, never remediated: a remediation would run `up` on the branch's HEAD,
  // around promotion (and its token's operation gets no role).
  const last = longLived[longLived.length - 1];
  new service.DriftSchedule(
    `drift-${last}`,
    { organization, project: DOFS_PROJECT, stack: last, scheduleCron: config.driftSchedule, autoRemediate: false },
    { dependsOn: [stacks[last]] },
  );

  if (config.notificationWebhookUrl) {
    for (const stack of longLived) {
      new service.Webhook(
        `notify-${stack}`,
        {
          organizationName: organization,
          projectName: DOFS_PROJECT,
          stackName: stack,
          displayName: `dofs ${stack}: failed deployments and drift`,
          payloadUrl: pulumi.secret(config.notificationWebhookUrl),
          format: config.notificationFormat,
          filters: [...NOTIFY_ON],
          active: true,
        },
        { dependsOn: [stacks[stack]] },
      );
    }
  } else {
    void pulumi.log.warn(
      'dofs-deployments:notificationWebhookUrl is not set: nobody hears of a failed deployment or of drift (pulumi config set --secret notificationWebhookUrl <url>)',
    );
  }

  return {
    oidcProviderArns: [...accounts.values()].map((a) => a.oidcArn),
    deployRoleArns: Object.fromEntries(Object.entries(roles).map(([n, r]) => [n, r.deploy.arn])),
    previewRoleArns: Object.fromEntries(Object.entries(roles).map(([n, r]) => [n, r.preview.arn])),
    boundaryArns: Object.fromEntries(Object.entries(roles).map(([n, r]) => [n, r.boundary.arn])),
  };
};

/**
 * The API Gateway account's CloudWatch Logs role, which a stage with access logging needs, set once per account
 * and region of the stacks (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html).
 * It is the whole account's: set here, by a person's bootstrap, so that no stack's deploy role can change a
 * setting every other stack's logging depends on. Kept if this program is destroyed. The role lives under
 * /dofs-delivery/, out of the deploy roles' reach.
 */
const setApiGatewayAccounts = (config: DeploymentsConfig, accountOf: (entry: StackEntry) => { provider?: aws.Provider }) => {
  const roles = new Map<string, aws.iam.Role>();
  const done = new Set<string>();
  for (const entry of config.stacks) {
    const key = `${entry.account ?? ''}/${entry.region ?? ''}`;
    if (done.has(key)) continue;
    done.add(key);
    const { provider: accountProvider } = accountOf(entry);
    const keep = { provider: accountProvider, retainOnDelete: true };
    const suffix = entry.account ? `-${entry.account}` : '';
    let role = roles.get(entry.account ?? '');
    if (!role) {
      role = new aws.iam.Role(
        `apigateway-cloudwatch${suffix}`,
        {
          path: DELIVERY_PATH,
          description: 'API Gateway account: writes access and execution logs to CloudWatch Logs',
          assumeRolePolicy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { Service: 'apigateway.amazonaws.com' }, Action: 'sts:AssumeRole' }],
          }),
        },
        keep,
      );
      new aws.iam.RolePolicyAttachment(
        `apigateway-cloudwatch${suffix}`,
        { role: role.name, policyArn: PUSH_TO_CLOUDWATCH_LOGS_POLICY },
        keep,
      );
      roles.set(entry.account ?? '', role);
    }
    // The setting is per region: a stack in another region gets a provider of its own there.
    const provider =
      entry.region === undefined
        ? accountProvider
        : new aws.Provider(`region${suffix}-${entry.region}`, {
            region: entry.region as aws.Region,
            ...(entry.account
              ? {
                  assumeRoles: [
                    { roleArn: `arn:aws:iam::${entry.account}:role/${config.bootstrapRoleName}`, sessionName: 'dofs-delivery' },
                  ],
                }
              : {}),
          });
    new aws.apigateway.Account(
      `apigateway-account${suffix}${entry.region ? `-${entry.region}` : ''}`,
      { cloudwatchRoleArn: role.arn },
      { provider, retainOnDelete: true },
    );
  }
};

/**
 * An account's existing OIDC provider for Pulumi Cloud, adopted: read, not managed, since it is the whole
 * account's (other stacks and tools trust it; this program must never rewrite or delete it). It must already
 * accept the organization's tokens; if not, the program stops and names the command that adds the audience.
 */
export const adoptOidcProvider = (name: string, arn: string, organization: string, provider?: aws.Provider): pulumi.Output<string> => {
  const existing = aws.iam.OpenIdConnectProvider.get(name, arn, undefined, { provider });
  return pulumi.all([existing.arn, existing.url, existing.clientIdLists]).apply(([found, url, clientIds]) => {
    if (url.replace(/^https:\/\//, '') !== PULUMI_OIDC_HOST) {
      throw new Error(`dofs-deployments:stacks oidcProviderArn ${arn} is a provider for ${url}, not https://${PULUMI_OIDC_HOST}`);
    }
    if (!(clientIds ?? []).includes(audience(organization))) {
      throw new Error(
        `the OIDC provider ${arn} does not accept tokens of the organization '${organization}': ` +
          `aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn ${arn} --client-id ${audience(organization)}`,
      );
    }
    return found;
  });
};
