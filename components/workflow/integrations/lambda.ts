import type * as pulumi from '@pulumi/pulumi';
import type { AslObject, PolicyStatement } from '../asl';
import { TRANSIENT_LAMBDA_ERRORS } from '../errors';
import type { ResultPath } from '../paths';
import type { StateOwner } from '../state';
import { type TaskProps, Task } from '../task';

/** A Lambda function as the workflow sees it: its ARN and the handler's input and output types. */
export interface LambdaFn<In, Out> {
  readonly arn: pulumi.Input<string>;
  /** Phantom: the handler's types. */
  readonly __types?: { in: In; out: Out };
}

/** A Lambda reference typed by its handler: `lambdaFn<typeof validateOrderHandler>(fn.arn)`. */
export const lambdaFn = <H extends (input: any) => Promise<unknown>>(
  arn: pulumi.Input<string>,
): LambdaFn<Parameters<H>[0], Awaited<ReturnType<H>>> => ({ arn });

/**
 * Invokes a Lambda function with the plain-ARN task form: the state input is the event and the
 * function's return value is the result, with no `Payload` wrapper, so the handler's types are the
 * state's types one to one. Lambda service errors are retried by the default rule.
 */
export class LambdaTask<I, O> extends Task<I, O> {
  constructor(
    owner: StateOwner,
    name: string,
    private readonly fn: LambdaFn<I, unknown>,
    props: TaskProps<ResultPath>,
  ) {
    super(owner, name, props, TRANSIENT_LAMBDA_ERRORS);
  }
  protected resource(): AslObject {
    return { Resource: this.fn.arn };
  }
  policyStatements(): PolicyStatement[] {
    return [{ Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [this.fn.arn] }];
  }
}
