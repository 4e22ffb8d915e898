import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { ROLE_PATH, assumeRolePolicy } from './policy';

/**
 * Who sets the API Gateway account's CloudWatch Logs role, a setting of the whole account and region that
 * a stage with access logging needs: without it, creating the stage fails with "CloudWatch Logs role ARN
 * must be set in account settings to enable logging"
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html).
 * - `managed`: this stack creates the role and sets it (one stack per account and region);
 * - `existing`: the account has it already; the program reads the setting and stops if it is empty.
 */
export const API_GATEWAY_ACCOUNT_MODES = ['managed', 'existing'] as const;
export type ApiGatewayAccountMode = (typeof API_GATEWAY_ACCOUNT_MODES)[number];

/** The AWS-managed policy AWS's guide attaches to the role (the same link as above). */
export const PUSH_TO_CLOUDWATCH_LOGS_POLICY = 'arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs';

export interface ApiGatewayAccountArgs {
  readonly mode: ApiGatewayAccountMode;
  /** The stack-config key that sets `mode`, for the message when the account lacks the role. */
  readonly configKey: string;
}

/**
 * The problem with an account's CloudWatch role setting as the program reads it in `existing` mode,
 * naming the config key that fixes it; none when a role is set.
 */
export const accountRoleProblem = (roleArn: string | undefined, region: string, configKey: string): string | undefined =>
  roleArn
    ? undefined
    : `the API Gateway account in ${region} has no CloudWatch Logs role, and the stage's access logging needs one: ` +
      `bootstrap deployments/ (it sets the role in every account and region of the stacks), or set ${configKey} to 'managed' ` +
      `on one stack of this account and region (README, "Deploying with the Pulumi CLI")`;

/**
 * The API Gateway account's CloudWatch Logs role: created and set (`managed`), or read and checked
 * (`existing`). `ready` resolves once the stage may be created; it fails with a message naming the config
 * key when the account lacks the role, so that `pulumi preview` says so before anything is created.
 */
export class ApiGatewayAccount extends pulumi.ComponentResource {
  /** The stage depends on this: the account's role set, or found set. */
  readonly ready: pulumi.Output<pulumi.Resource[]>;
  readonly role?: aws.iam.Role;

  constructor(name: string, args: ApiGatewayAccountArgs, opts?: pulumi.ComponentResourceOptions) {
    super('dofs:index:ApiGatewayAccount', name, {}, opts);
    if (args.mode === 'managed') {
      // Kept when this stack is destroyed: the setting is the whole account's, and other stacks' stages
      // (and API Gateway's own execution logs) go on using it.
      const keep = { parent: this, retainOnDelete: true };
      this.role = new aws.iam.Role(
        `${name}-cloudwatch-role`,
        {
          path: ROLE_PATH,
          assumeRolePolicy: assumeRolePolicy('apigateway.amazonaws.com'),
          description: 'API Gateway account: writes access and execution logs to CloudWatch Logs',
        },
        keep,
      );
      const attachment = new aws.iam.RolePolicyAttachment(
        `${name}-cloudwatch-role-policy`,
        { role: this.role.name, policyArn: PUSH_TO_CLOUDWATCH_LOGS_POLICY },
        keep,
      );
      const account = new aws.apigateway.Account(
        `${name}-account`,
        { cloudwatchRoleArn: this.role.arn },
        { ...keep, dependsOn: [attachment] },
      );
      this.ready = pulumi.output([account]);
    } else {
      const region = aws.getRegionOutput({}, { parent: this }).region;
      const accountId = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
      // A read, not a resource of this stack: the provider's Read is GetAccount, whatever the id.
      const account = aws.apigateway.Account.get(`${name}-account`, accountId, undefined, { parent: this });
      this.ready = pulumi.all([account.cloudwatchRoleArn, region]).apply(([roleArn, r]) => {
        const problem = accountRoleProblem(roleArn, r, args.configKey);
        if (problem) throw new Error(problem);
        return [account];
      });
    }
    this.registerOutputs({});
  }
}
