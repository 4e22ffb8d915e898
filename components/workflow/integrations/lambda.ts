import type * as pulumi from '@pulumi/pulumi';
import type { AslObject, PolicyStatement } from '../asl';
import { TRANSIENT_LAMBDA_ERRORS } from '../errors';
import type { ResultPath } from '../paths';
import type { StateOwner } from '../state';
import { type TaskProps, Task } from '../task';

/** A Lambda handler as deployed: an event (and a context) in, a promise of the result out. */
export type Handler = (event: any, context: any) => Promise<unknown>;

/** The event a handler decodes: the input of the task that invokes it. */
export type EventOf<H extends Handler> = Parameters<H>[0];

/** What a handler resolves to: the result of the task that invokes it. */
export type ResultOf<H extends Handler> = Awaited<ReturnType<H>>;

/** The key of `LambdaFn`'s phantom member. Not exported: no object literal can pass for a `LambdaFn`. */
declare const handlerTypes: unique symbol;

/**
 * A Lambda function as the workflow sees it: its ARN, typed by its handler. The phantom member makes `In`
 * contravariant and `Out` covariant, so a function fits a task only if it accepts the task's input and
 * returns what the states after it read. Get one from the function itself (`InlineFunction.ref`).
 */
export interface LambdaFn<In, Out> {
  readonly arn: pulumi.Input<string>;
  /** The function's timeout, seconds: a task that invokes it times out just after it (see {@link LAMBDA_TASK_TIMEOUT_MARGIN_SECONDS}). */
  readonly timeoutSeconds: number;
  /** Phantom (never set at run time): the handler's types. */
  readonly [handlerTypes]: (event: In) => Promise<Out>;
}

/** The reference to a function whose handler is `H`. */
export type LambdaFnOf<H extends Handler> = LambdaFn<EventOf<H>, ResultOf<H>>;

/**
 * A reference to the function at `arn`, typed by its handler `H`. The one place a type is claimed for an
 * ARN: `InlineFunction` calls it with the handler its factory returns; tests call it for fakes.
 */
export const lambdaFn = <H extends Handler>(arn: pulumi.Input<string>, timeoutSeconds = LAMBDA_DEFAULT_TIMEOUT_SECONDS): LambdaFnOf<H> =>
  ({ arn, timeoutSeconds }) as LambdaFnOf<H>;

/** Lambda's default function timeout ("Configure Lambda function timeout", configuration-timeout.html). */
export const LAMBDA_DEFAULT_TIMEOUT_SECONDS = 3;

/**
 * How far a Lambda task's TimeoutSeconds sits above its function's timeout. The function's timeout does
 * not count its environment's Init phase, which may take up to 10 s ("Init phase ... is limited to 10
 * seconds", https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html), while the
 * task's does; 2 s more for the Invoke call itself. So a slow cold start is not cut off as States.Timeout,
 * and a hung Invoke is given up soon after the function could have answered.
 */
export const LAMBDA_TASK_TIMEOUT_MARGIN_SECONDS = 12;

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
  /** The invoked function's timeout, seconds. */
  get functionTimeoutSeconds(): number {
    return this.fn.timeoutSeconds;
  }
  protected defaultTimeoutSeconds(): number {
    return this.fn.timeoutSeconds + LAMBDA_TASK_TIMEOUT_MARGIN_SECONDS;
  }
  policyStatements(): PolicyStatement[] {
    return [{ Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [this.fn.arn] }];
  }
}
