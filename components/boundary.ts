import type * as pulumi from '@pulumi/pulumi';

/**
 * Sets `permissionsBoundary` on every IAM role under the component it is given to. The deploy roles of
 * `deployments/` may create or change a role only with this boundary attached (an `iam:PermissionsBoundary`
 * condition, https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html), so whatever
 * inline policy a deployment writes, the role can never do more than the boundary allows.
 */
export const boundEveryRole =
  (boundaryArn: pulumi.Input<string>): pulumi.ResourceTransformation =>
  (args) =>
    args.type === 'aws:iam/role:Role' ? { props: { ...args.props, permissionsBoundary: boundaryArn }, opts: args.opts } : undefined;
