/**
 * One call of the deploy role, evaluated against its policy with a real IAM evaluator
 * (@cloud-copilot/iam-simulate, as the local cloud's gate uses it). A KMS key's own policy must let IAM
 * policies decide (KMS denies otherwise): calls on a key are evaluated with the alarm key's policy.
 */
import { type Simulation, runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import { alarmTopicKeyPolicy } from '../../components/alarms';
import { deployPolicy } from '../../deployments/policies';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';

export const decideDeployCall = async (action: string, resource: string, contextVariables: Record<string, string> = {}) => {
  const simulation: Simulation = {
    request: {
      principal: `arn:aws:sts::${ACCOUNT}:assumed-role/dofs-deploy-dev/pulumi`,
      action,
      resource: { resource, accountId: ACCOUNT },
      contextVariables,
    },
    identityPolicies: [{ name: 'deploy', policy: deployPolicy(ACCOUNT, REGION) }],
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
