/**
 * Calls of a deploy or preview role, evaluated against its policy with a real IAM evaluator
 * (@cloud-copilot/iam-simulate, as the local cloud's gate uses it). A KMS key's own policy must let IAM
 * policies decide (KMS denies otherwise): calls on a key are evaluated with the alarm key's policy.
 */
import { type Simulation, runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import { alarmTopicKeyPolicy } from '../../components/alarms';
import { scopeOf } from '../../components/scope';
import { type DeployTarget, boundaryArn, deployPolicy } from '../../deployments/policies';
import { type ProviderCall } from '../../deployments/providerActions';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';

/** The deploy target of a long-lived stack as deployments/ makes it in the README's single-account layout. */
export const stackTarget = (stack: string): DeployTarget => ({
  kind: 'stack',
  stack,
  destroy: stack !== 'prod',
});
export const REVIEW: DeployTarget = { kind: 'review' };

/** One request to AWS, by any policy. */
export const decide = async (
  policy: object,
  action: string,
  resource: string,
  contextVariables: Record<string, string> = {},
): Promise<string> => {
  const simulation: Simulation = {
    request: {
      principal: `arn:aws:sts::${ACCOUNT}:assumed-role/dofs-deploy/pulumi`,
      action,
      resource: { resource, accountId: ACCOUNT },
      contextVariables,
    },
    identityPolicies: [{ name: 'identity', policy }],
    ...(resource.startsWith('arn:aws:kms:') ? { resourcePolicy: alarmTopicKeyPolicy(ACCOUNT) } : {}),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  };
  const result = await runSimulation(simulation, {});
  if (result.resultType !== 'error') return result.overallResult;
  // API Gateway's POST on a collection path (/restapis/{id}/deployments, /models, /stages, a parent resource)
  // is a request path that iam-data's ARN patterns cannot match: the strict run refuses it, the unsafe run
  // evaluates the policy as IAM would (a path the policy's ARN pattern matches).
  if (!action.startsWith('apigateway:')) throw new Error(`${action} on ${resource}: ${JSON.stringify(result.errors)}`);
  return runUnsafeSimulation(simulation, {});
};

/** One call of the deploy role of `target` (dev by default). */
export const decideDeployCall = (
  action: string,
  resource: string,
  contextVariables: Record<string, string> = {},
  target = stackTarget('dev'),
) => decide(deployPolicy(ACCOUNT, REGION, target), action, resource, contextVariables);

/** A stack's scope as a deploy target has it (review stacks: a sample review stack's). */
export const scopeOfTarget = (t: DeployTarget) => scopeOf(t.kind === 'stack' ? t.stack : 'pr-pulumi-acme-dofs-42');

/**
 * A provider call on a resource of `owner`'s stack, as AWS sees the request: the ARN filled in, and the context
 * keys the program's resources give it. Every taggable resource carries its stack's DeployScope tag, every role
 * its stack's boundary (components/tags.ts, components/boundary.ts), a mapping names its own function.
 */
export const requestOf = (c: ProviderCall, name: string, owner: DeployTarget) => {
  const scope = scopeOfTarget(owner);
  const fill = (template: string) =>
    template.replaceAll('{region}', REGION).replaceAll('{account}', ACCOUNT).replaceAll('{name}', name).replaceAll('{scope}', scope);
  const context: Record<string, string> = Object.fromEntries(Object.entries(c.context ?? {}).map(([k, v]) => [k, fill(v)]));
  const resource = fill(c.resource);
  if (/^arn:aws:(apigateway|kms):/.test(resource) || (c.resource === '*' && c.action === 'kms:CreateKey')) {
    context['aws:ResourceTag/DeployScope'] = scope;
    if (c.phase === 'create' || c.phase === 'tag') context['aws:RequestTag/DeployScope'] = scope;
  }
  if (c.action.startsWith('iam:') && c.action !== 'iam:PassRole') context['iam:PermissionsBoundary'] = boundaryArn(ACCOUNT, owner);
  if (resource.includes(':event-source-mapping:'))
    context['lambda:FunctionArn'] = fill('arn:aws:lambda:{region}:{account}:function:{scope}-fulfillment-1a2b3c4');
  return { action: c.action, resource, context };
};
