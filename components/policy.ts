import * as pulumi from '@pulumi/pulumi';

/**
 * The IAM path of every role DOFS creates. The deploy roles of `deployments/` may manage only roles under
 * it, so a deployment can never touch another team's roles.
 */
export const ROLE_PATH = '/dofs/';

/** One IAM statement with exact actions and resources. */
export interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string[];
  readonly Resource: pulumi.Input<string>[];
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** A policy document as a JSON string Output, from statements whose resources may be Outputs. */
export const policyDocument = (statements: readonly Statement[]): pulumi.Output<string> =>
  pulumi.jsonStringify({ Version: '2012-10-17', Statement: statements });

/** The trust policy that lets one AWS service assume a role, under `condition` if given (e.g. aws:SourceAccount). */
export const assumeRolePolicy = (service: string, condition?: Record<string, Record<string, string>>): string =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole', ...(condition ? { Condition: condition } : {}) },
    ],
  });
