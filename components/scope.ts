import { createHash } from 'crypto';

/**
 * Where a stack's resources live in AWS, as the deploy roles of `deployments/` see them: every physical name
 * starts with the stack's scope, and every taggable resource carries it as a tag. A deploy role may touch
 * only names and tags of its own scope (deployments/policies.ts), so the dev role, and so every review
 * stack, cannot reach a prod resource even in one shared account.
 *
 * - A long-lived stack (dev, staging, prod: a short lowercase name) has the scope `dofs-<stack>`.
 * - Any other stack (the review stacks Pulumi Deployments makes for pull requests, whose names are long and
 *   not ours to choose) has `dofs_<8 hex of the name's SHA-256>`: short enough for every AWS name limit,
 *   and, because of the underscore, never a prefix of a long-lived scope nor covered by one.
 */
export const LONG_LIVED_STACK = /^[a-z][a-z0-9]{0,11}$/;

/** The prefix shared by every review stack's scope. */
export const REVIEW_SCOPE_PREFIX = 'dofs_';

/** The tag whose value is the scope (tag-based conditions where an ARN carries no name: API Gateway, KMS). */
export const SCOPE_TAG = 'DeployScope';

/** The scope of `stack`: the prefix of every physical name, and its `DeployScope` tag. */
export const scopeOf = (stack: string): string =>
  LONG_LIVED_STACK.test(stack) ? `dofs-${stack}` : `${REVIEW_SCOPE_PREFIX}${createHash('sha256').update(stack).digest('hex').slice(0, 8)}`;

/** The IAM path of what `deployments/` makes: deploy roles and permissions boundaries, out of the deploy roles' reach. */
export const DELIVERY_PATH = '/dofs-delivery/';

/** The name of the permissions boundary of `stack`'s roles: one per long-lived stack, one shared by all review stacks. */
export const boundaryPolicyName = (stack: string): string =>
  LONG_LIVED_STACK.test(stack) ? `${scopeOf(stack)}-boundary` : `${REVIEW_SCOPE_PREFIX}review-boundary`;
