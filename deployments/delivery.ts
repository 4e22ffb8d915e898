/**
 * Delivery for the dofs stacks, declared once: Pulumi Cloud's OIDC provider in AWS, a deploy role and an
 * ESC environment per stack, Deployments settings per stack, and drift detection on prod. Used by
 * `index.ts` (the composition root) and by the tests under mocks.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as service from '@pulumi/pulumiservice';
import { stringify } from 'yaml';
import { type DeploymentsConfig, type StackName, STACKS } from './config';
import { DEPLOY_ROLE_PATH, DOFS_PROJECT, ESC_PROJECT, PULUMI_OIDC_HOST, audience, deployPolicy, deployTrustPolicy } from './policies';

/**
 * The commands every deployment runs before its Pulumi operation: the README's install and test commands,
 * so that no deployment runs on red tests. Review stacks (made from the dev template) also get their TTL.
 */
export const PRE_RUN_COMMANDS = ['npm ci', 'npm test'];
export const REVIEW_TTL_COMMAND = 'npx ts-node --transpile-only deployments/reviewTtl.ts';

/** How each stack is delivered: dev on every push and as the review-stack template; the others on promotion. */
export const deliveryOf = (stack: StackName) => ({
  deployOnPush: stack === 'dev',
  reviewTemplate: stack === 'dev',
  driftDetection: stack === 'prod',
});

/** The ESC environment of one stack: it logs in to AWS as that stack's deploy role through OIDC, for one hour. */
export const environmentYaml = (roleArn: string, stack: StackName): string =>
  stringify({
    values: {
      aws: {
        login: {
          'fn::open::aws-login': {
            oidc: {
              duration: '1h',
              roleArn,
              sessionName: `dofs-${stack}-deploy`,
              // Makes the token's subject name this environment, which the role's trust policy requires.
              subjectAttributes: ['currentEnvironment.name'],
            },
          },
        },
      },
      environmentVariables: {
        AWS_ACCESS_KEY_ID: '${aws.login.accessKeyId}',
        AWS_SECRET_ACCESS_KEY: '${aws.login.secretAccessKey}',
        AWS_SESSION_TOKEN: '${aws.login.sessionToken}',
      },
    },
  });

export const createDelivery = (config: DeploymentsConfig) => {
  const { organization } = config;
  const account = aws.getCallerIdentityOutput({}).accountId;
  const region = aws.getRegionOutput({}).region;

  const oidc = new aws.iam.OpenIdConnectProvider('pulumi-oidc', {
    url: `https://${PULUMI_OIDC_HOST}`,
    clientIdLists: [audience(organization)],
  });
  const policy = new aws.iam.Policy('dofs-deploy', {
    path: DEPLOY_ROLE_PATH,
    description: 'What a dofs deployment may do: the services DOFS uses, on dofs-* resources, and roles under /dofs/',
    policy: pulumi.all([account, region]).apply(([a, r]) => JSON.stringify(deployPolicy(a, r))),
  });

  const stacks = {} as Record<StackName, { role: aws.iam.Role; environment: service.Environment; settings: service.DeploymentSettings }>;
  for (const stack of STACKS) {
    const delivery = deliveryOf(stack);
    const role = new aws.iam.Role(`deploy-${stack}`, {
      path: DEPLOY_ROLE_PATH,
      description: `Assumed by the ${ESC_PROJECT}/${stack} ESC environment to deploy the dofs ${stack} stack`,
      maxSessionDuration: 3600,
      assumeRolePolicy: oidc.arn.apply((arn) => JSON.stringify(deployTrustPolicy(arn, organization, stack))),
    });
    new aws.iam.RolePolicyAttachment(`deploy-${stack}`, { role: role.name, policyArn: policy.arn });

    const environment = new service.Environment(`env-${stack}`, {
      organization,
      project: ESC_PROJECT,
      name: stack,
      yaml: role.arn.apply((arn) => new pulumi.asset.StringAsset(environmentYaml(arn, stack))),
    });

    const settings = new service.DeploymentSettings(`settings-${stack}`, {
      organization,
      project: DOFS_PROJECT,
      stack,
      sourceContext: { git: { branch: `refs/heads/${config.branch}` } },
      vcs: {
        provider: 'github',
        repository: config.repository,
        deployCommits: delivery.deployOnPush,
        previewPullRequests: true,
        pullRequestTemplate: delivery.reviewTemplate,
      },
      operationContext: {
        preRunCommands: delivery.reviewTemplate ? [...PRE_RUN_COMMANDS, REVIEW_TTL_COMMAND] : PRE_RUN_COMMANDS,
        // `npm ci` above is the install step.
        options: { skipInstallDependencies: true },
        environmentVariables: delivery.reviewTemplate ? { DOFS_REVIEW_TTL_HOURS: String(config.reviewStackTtlHours) } : {},
      },
      cacheOptions: { enable: true },
    });

    if (delivery.driftDetection) {
      new service.DriftSchedule(
        `drift-${stack}`,
        { organization, project: DOFS_PROJECT, stack, scheduleCron: config.driftSchedule, autoRemediate: config.driftAutoRemediate },
        { dependsOn: [settings] },
      );
    }
    stacks[stack] = { role, environment, settings };
  }

  return {
    oidcProviderArn: oidc.arn,
    deployRoleArns: Object.fromEntries(STACKS.map((s) => [s, stacks[s].role.arn])) as Record<StackName, pulumi.Output<string>>,
    environments: STACKS.map((s) => `${organization}/${ESC_PROJECT}/${s}`),
  };
};
