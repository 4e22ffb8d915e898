import type * as pulumi from '@pulumi/pulumi';
import { type ErrorList, TRANSIENT_DYNAMODB_ERRORS, TRANSIENT_LAMBDA_ERRORS, TRANSIENT_SQS_ERRORS } from './errors';
import {
  type ApplyResultPath,
  type JsonPath,
  type PathValue,
  type PathsOfType,
  type RefFn,
  type ResultPath,
  type Template,
  Intrinsic,
  PathRef,
  ref,
} from './paths';

/** A JSON-like ASL fragment whose leaves may still be `pulumi.Input<string>` (ARNs, URLs, names). */
export type AslValue = pulumi.Input<string> | number | boolean | null | AslValue[] | { [key: string]: AslValue };
export type AslObject = { [key: string]: AslValue };

/** One IAM statement the state machine's role needs. */
export interface PolicyStatement {
  readonly Effect: 'Allow';
  readonly Action: string[];
  readonly Resource: pulumi.Input<string>[];
}

/** A `Retry` rule. Unset numbers come from the workflow's default retry policy. */
export interface RetryRule {
  readonly errors: ErrorList;
  /** @default the workflow's `defaultRetry.intervalSeconds` */
  readonly intervalSeconds?: number;
  /** @default the workflow's `defaultRetry.maxAttempts` */
  readonly maxAttempts?: number;
  /** @default the workflow's `defaultRetry.backoffRate` */
  readonly backoffRate?: number;
  /** @default the workflow's `defaultRetry.maxDelaySeconds` */
  readonly maxDelaySeconds?: number;
  /** @default the workflow's `defaultRetry.jitter` */
  readonly jitter?: 'FULL' | 'NONE';
}

/** The numbers of a retry policy, set once per workflow. */
export type RetryDefaults = Required<Omit<RetryRule, 'errors'>>;

/** CONTRACT.md: 3 retries, exponential backoff, full jitter, bounded delay. */
export const DEFAULT_RETRY: RetryDefaults = {
  intervalSeconds: 1,
  maxAttempts: 3,
  backoffRate: 2,
  maxDelaySeconds: 10,
  jitter: 'FULL',
};

/** What a `Catch` rule places at its `ResultPath`. */
export interface CaughtError {
  readonly Error: string;
  readonly Cause: string;
}

/** An edge of the state graph, for validation and diagrams. */
export interface Edge {
  readonly to: State<any, unknown>;
  readonly kind: 'next' | 'choice' | 'default' | 'catch';
  readonly label?: string;
}

/** The part of the workflow builder that states report to. */
export interface StateOwner {
  register(state: State<any, unknown>): void;
  report(problem: string): void;
  readonly defaultRetry: RetryDefaults;
}

/**
 * A state whose input is `I` and whose output is `O`. The phantom members make `I` contravariant and `O`
 * covariant, so `a.next(b)` compiles only if `a`'s output is assignable to `b`'s input.
 */
export abstract class State<I, O> {
  declare protected readonly __input: (input: I) => void;
  declare protected readonly __output: () => O;
  abstract readonly type: 'Task' | 'Choice' | 'Pass' | 'Wait' | 'Succeed' | 'Fail';

  constructor(
    readonly owner: StateOwner,
    readonly name: string,
    readonly comment?: string,
  ) {
    owner.register(this);
  }

  /** The states this one can move to. */
  abstract edges(): Edge[];

  /** The ASL of this state; `Next`/`End` are derived from the wiring. */
  abstract toAsl(): AslObject;

  /** IAM statements this state needs in the state machine's role. */
  policyStatements(): PolicyStatement[] {
    return [];
  }

  protected base(): AslObject {
    return this.comment === undefined ? { Type: this.type } : { Type: this.type, Comment: this.comment };
  }
}

/** The output type of a state, for naming the payload at a point of the graph. */
export type OutputOf<S> = S extends State<any, infer O> ? O : never;

/** A state that continues to a next one; without `next()` it ends the execution successfully. */
export abstract class Chainable<I, O> extends State<I, O> {
  private nextState?: State<any, unknown>;

  /** Continue with `state`, whose input must accept this state's output. Returns `state` for chaining. */
  next<N extends State<O, unknown>>(state: N): N {
    if (this.nextState !== undefined) {
      this.owner.report(
        `state '${this.name}' is reused: next() was called twice ('${this.nextState.name}', then '${state.name}')`,
      );
    } else {
      this.nextState = state;
    }
    return state;
  }

  edges(): Edge[] {
    return this.nextState ? [{ to: this.nextState, kind: 'next' }] : [];
  }

  protected transition(): AslObject {
    return this.nextState ? { Next: this.nextState.name } : { End: true };
  }
}

interface CatchRule {
  readonly errors: ErrorList;
  readonly next: State<any, unknown>;
  readonly resultPath: ResultPath;
}

/** Props every task shares. */
export interface TaskProps<P extends ResultPath> {
  /** Where the task's result goes in the payload. `null` keeps the input unchanged. @default '$' */
  readonly resultPath?: P;
  /** Retry rules; `false` for none. @default one rule for the task kind's transient errors, default policy */
  readonly retry?: readonly RetryRule[] | false;
  /** @default 60 */
  readonly timeoutSeconds?: number;
  readonly comment?: string;
}

/** A Task. `I` is its input, `R` what the resource returns, `O` the output after `ResultPath`. */
export abstract class Task<I, O> extends Chainable<I, O> {
  readonly type = 'Task' as const;
  private readonly catchers: CatchRule[] = [];
  private readonly retriers: readonly RetryRule[];

  constructor(
    owner: StateOwner,
    name: string,
    protected readonly props: TaskProps<ResultPath>,
    defaultRetryErrors: ErrorList,
  ) {
    super(owner, name, props.comment);
    this.retriers = props.retry === false ? [] : (props.retry ?? [{ errors: defaultRetryErrors }]);
  }

  /** The retry rules as rendered, with the workflow's defaults filled in. */
  retryRules(): Required<RetryRule>[] {
    return this.retriers.map((r) => ({ ...this.owner.defaultRetry, ...r }));
  }

  /** The catch rules in order. */
  catchRules(): readonly CatchRule[] {
    return this.catchers;
  }

  /**
   * Route the named errors (default: everything) to `next`, with the error placed at `resultPath`
   * (default `'$.error'`). `next` must accept the input with the error written into it.
   */
  catch<N extends State<ApplyResultPath<I, CaughtError, RP>, unknown>, RP extends ResultPath = '$.error'>(
    next: N,
    opts: { readonly errors?: ErrorList; readonly resultPath?: RP } = {},
  ): this {
    this.catchers.push({
      errors: opts.errors ?? ['States.ALL'],
      next,
      resultPath: opts.resultPath === undefined ? '$.error' : opts.resultPath,
    });
    return this;
  }

  edges(): Edge[] {
    return [
      ...super.edges(),
      ...this.catchers.map((c) => ({ to: c.next, kind: 'catch' as const, label: c.errors.join(', ') })),
    ];
  }

  /** `Resource` and `Parameters` of this task kind. */
  protected abstract resource(): AslObject;

  toAsl(): AslObject {
    const asl: AslObject = {
      ...this.base(),
      ...this.resource(),
      TimeoutSeconds: this.props.timeoutSeconds ?? 60,
    };
    if (this.props.resultPath !== undefined) asl.ResultPath = this.props.resultPath;
    const retry = this.retryRules();
    if (retry.length > 0) {
      asl.Retry = retry.map((r) => ({
        ErrorEquals: [...r.errors],
        IntervalSeconds: r.intervalSeconds,
        MaxAttempts: r.maxAttempts,
        BackoffRate: r.backoffRate,
        MaxDelaySeconds: r.maxDelaySeconds,
        JitterStrategy: r.jitter,
      }));
    }
    if (this.catchers.length > 0) {
      asl.Catch = this.catchers.map((c) => ({ ErrorEquals: [...c.errors], ResultPath: c.resultPath, Next: c.next.name }));
    }
    return { ...asl, ...this.transition() };
  }
}

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

/** An SQS queue as the workflow sees it, typed by the message its consumer decodes. */
export interface QueueRef<M> {
  readonly url: pulumi.Input<string>;
  readonly arn: pulumi.Input<string>;
  /** Phantom: the message type. */
  readonly __message?: M;
}

/** The result of `sqs:sendMessage`. */
export interface SendMessageResult {
  readonly MessageId: string;
  readonly MD5OfMessageBody: string;
}

/** `arn:aws:states:::sqs:sendMessage`: the body is a typed template, serialized to JSON by Step Functions. */
export class SqsSendMessageTask<I, O> extends Task<I, O> {
  constructor(
    owner: StateOwner,
    name: string,
    private readonly queue: QueueRef<unknown>,
    private readonly body: AslValue,
    props: TaskProps<ResultPath>,
  ) {
    super(owner, name, props, TRANSIENT_SQS_ERRORS);
  }
  protected resource(): AslObject {
    return {
      Resource: 'arn:aws:states:::sqs:sendMessage',
      Parameters: { QueueUrl: this.queue.url, ...templateField('MessageBody', this.body) },
    };
  }
  policyStatements(): PolicyStatement[] {
    return [{ Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [this.queue.arn] }];
  }
}

/** A DynamoDB table as the workflow sees it. */
export interface TableRef {
  readonly name: pulumi.Input<string>;
  readonly arn: pulumi.Input<string>;
}

/** A DynamoDB attribute value in a template. Numbers travel as strings (`jsonToString`). */
export type AttributeTemplate =
  | { readonly S: Template<string> }
  | { readonly N: Template<string> }
  | { readonly BOOL: Template<boolean> }
  | { readonly NULL: true };

/** Typed attribute-value helpers for DynamoDB templates. */
export const ddb = {
  s: (v: Template<string>): AttributeTemplate => ({ S: v }),
  n: (v: Template<string>): AttributeTemplate => ({ N: v }),
  bool: (v: Template<boolean>): AttributeTemplate => ({ BOOL: v }),
};

export interface DynamoItemProps<I, P extends ResultPath> extends TaskProps<P> {
  readonly table: TableRef;
  readonly conditionExpression?: string;
  readonly expressionAttributeNames?: Readonly<Record<string, string>>;
  readonly expressionAttributeValues?: ($: RefFn<I>) => Readonly<Record<string, AttributeTemplate>>;
}

/** `arn:aws:states:::dynamodb:putItem` or `:updateItem`. */
export class DynamoTask<I, O> extends Task<I, O> {
  constructor(
    owner: StateOwner,
    name: string,
    private readonly action: 'putItem' | 'updateItem',
    private readonly table: TableRef,
    private readonly parameters: AslObject,
    props: TaskProps<ResultPath>,
  ) {
    super(owner, name, props, TRANSIENT_DYNAMODB_ERRORS);
  }
  protected resource(): AslObject {
    return {
      Resource: `arn:aws:states:::dynamodb:${this.action}`,
      Parameters: { TableName: this.table.name, ...this.parameters },
    };
  }
  policyStatements(): PolicyStatement[] {
    const action = this.action === 'putItem' ? 'dynamodb:PutItem' : 'dynamodb:UpdateItem';
    return [{ Effect: 'Allow', Action: [action], Resource: [this.table.arn] }];
  }
}

/** A Pass state: optionally shapes a template and writes it at `ResultPath`. */
export class PassState<I, O> extends Chainable<I, O> {
  readonly type = 'Pass' as const;
  constructor(
    owner: StateOwner,
    name: string,
    private readonly parameters: AslValue | undefined,
    private readonly resultPath: ResultPath | undefined,
    comment?: string,
  ) {
    super(owner, name, comment);
  }
  toAsl(): AslObject {
    const asl: AslObject = { ...this.base() };
    if (this.parameters !== undefined) Object.assign(asl, templateField('Parameters', this.parameters));
    if (this.resultPath !== undefined) asl.ResultPath = this.resultPath;
    return { ...asl, ...this.transition() };
  }
}

/** A Wait state of fixed seconds. */
export class WaitState<I> extends Chainable<I, I> {
  readonly type = 'Wait' as const;
  constructor(
    owner: StateOwner,
    name: string,
    private readonly seconds: number,
    comment?: string,
  ) {
    super(owner, name, comment);
  }
  toAsl(): AslObject {
    return { ...this.base(), Seconds: this.seconds, ...this.transition() };
  }
}

/** Ends the execution successfully. Terminal: it has no `next()`. */
export class SucceedState extends State<unknown, never> {
  readonly type = 'Succeed' as const;
  edges(): Edge[] {
    return [];
  }
  toAsl(): AslObject {
    return this.base();
  }
}

/** `Error`/`Cause` of a Fail state: fixed strings, or paths to strings in its input. */
export interface FailProps<I> {
  readonly error?: string;
  readonly cause?: string;
  readonly errorPath?: PathsOfType<I, string>;
  readonly causePath?: PathsOfType<I, string>;
  readonly comment?: string;
}

/** Ends the execution as failed. Terminal: it has no `next()`. */
export class FailState<I> extends State<I, never> {
  readonly type = 'Fail' as const;
  constructor(
    owner: StateOwner,
    name: string,
    private readonly props: FailProps<I>,
  ) {
    super(owner, name, props.comment);
    if (props.error !== undefined && props.errorPath !== undefined) {
      owner.report(`state '${name}': 'error' and 'errorPath' are both set; give one`);
    }
    if (props.cause !== undefined && props.causePath !== undefined) {
      owner.report(`state '${name}': 'cause' and 'causePath' are both set; give one`);
    }
  }
  edges(): Edge[] {
    return [];
  }
  toAsl(): AslObject {
    const asl = this.base();
    if (this.props.error !== undefined) asl.Error = this.props.error;
    if (this.props.errorPath !== undefined) asl.ErrorPath = this.props.errorPath;
    if (this.props.cause !== undefined) asl.Cause = this.props.cause;
    if (this.props.causePath !== undefined) asl.CausePath = this.props.causePath;
    return asl;
  }
}

/** A Choice rule's condition. */
export interface Condition {
  toAsl(): AslObject;
  describe(): string;
}

const leaf = (path: string, op: string, value: AslValue, shown: string): Condition => ({
  toAsl: () => ({ Variable: path, [op]: value }),
  describe: () => `${path} ${shown}`,
});

/** Conditions over payload `I`: paths must exist and values must have the path's type. */
export class Conditions<I> {
  stringEquals<P extends PathsOfType<I, string>>(path: P, value: NonNullable<PathValue<I, P>> & string): Condition {
    return leaf(path, 'StringEquals', value, `== '${value}'`);
  }
  booleanEquals<P extends PathsOfType<I, boolean>>(path: P, value: boolean): Condition {
    return leaf(path, 'BooleanEquals', value, `== ${value}`);
  }
  numericEquals<P extends PathsOfType<I, number>>(path: P, value: number): Condition {
    return leaf(path, 'NumericEquals', value, `== ${value}`);
  }
  numericGreaterThan<P extends PathsOfType<I, number>>(path: P, value: number): Condition {
    return leaf(path, 'NumericGreaterThan', value, `> ${value}`);
  }
  numericLessThan<P extends PathsOfType<I, number>>(path: P, value: number): Condition {
    return leaf(path, 'NumericLessThan', value, `< ${value}`);
  }
  isPresent<P extends JsonPath<I>>(path: P, present = true): Condition {
    return leaf(path, 'IsPresent', present, present ? 'is present' : 'is absent');
  }
  and(...conditions: Condition[]): Condition {
    return { toAsl: () => ({ And: conditions.map((c) => c.toAsl()) }), describe: () => conditions.map((c) => c.describe()).join(' and ') };
  }
  or(...conditions: Condition[]): Condition {
    return { toAsl: () => ({ Or: conditions.map((c) => c.toAsl()) }), describe: () => conditions.map((c) => c.describe()).join(' or ') };
  }
  not(condition: Condition): Condition {
    return { toAsl: () => ({ Not: condition.toAsl() }), describe: () => `not (${condition.describe()})` };
  }
}

/** A Choice over payload `I`; every branch receives `I` unchanged. */
export class ChoiceState<I> extends State<I, I> {
  readonly type = 'Choice' as const;
  private readonly rules: { condition: Condition; next: State<any, unknown> }[] = [];
  private defaultState?: State<any, unknown>;

  /** Go to `next` when `condition` holds; rules are tried in order. */
  when<N extends State<I, unknown>>(condition: (c: Conditions<I>) => Condition, next: N): this {
    this.rules.push({ condition: condition(new Conditions<I>()), next });
    return this;
  }

  /** Go to `next` when no rule holds. */
  otherwise<N extends State<I, unknown>>(next: N): this {
    if (this.defaultState !== undefined) {
      this.owner.report(`state '${this.name}': otherwise() was called twice`);
    } else {
      this.defaultState = next;
    }
    return this;
  }

  ruleCount(): number {
    return this.rules.length;
  }

  edges(): Edge[] {
    const edges: Edge[] = this.rules.map((r) => ({ to: r.next, kind: 'choice' as const, label: r.condition.describe() }));
    if (this.defaultState) edges.push({ to: this.defaultState, kind: 'default', label: 'otherwise' });
    return edges;
  }

  toAsl(): AslObject {
    const asl: AslObject = {
      ...this.base(),
      Choices: this.rules.map((r) => ({ ...r.condition.toAsl(), Next: r.next.name })),
    };
    if (this.defaultState) asl.Default = this.defaultState.name;
    return asl;
  }
}

/** Renders a template value: `PathRef`s and `Intrinsic`s become `"<key>.$"` fields. */
export const renderTemplate = (value: unknown): AslValue => {
  if (value instanceof PathRef || value instanceof Intrinsic) {
    throw new Error('a path reference must be the value of an object field');
  }
  if (Array.isArray(value)) return value.map(renderTemplate);
  if (isPlainObject(value)) {
    const out: AslObject = {};
    for (const [key, v] of Object.entries(value)) Object.assign(out, templateField(key, v));
    return out;
  }
  return value as AslValue;
};

/** One field of a template: `{ key: value }` or `{ "key.$": path }`. */
export const templateField = (key: string, value: unknown): AslObject => {
  if (value instanceof PathRef) return { [`${key}.$`]: value.path };
  if (value instanceof Intrinsic) return { [`${key}.$`]: value.expression };
  return { [key]: renderTemplate(value) };
};

/** Only literal objects are templates; pulumi Outputs and class instances are values. */
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

/** Evaluates a template function against a fresh typed reference maker. */
export const evaluateTemplate = <I, T>(template: ($: RefFn<I>) => T): AslValue => renderTemplate(template(ref<I>()));
