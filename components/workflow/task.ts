import type { AslObject } from './asl';
import type { ErrorList } from './errors';
import type { ApplyResultPath, ResultPath } from './paths';
import type { RetryRule } from './retry';
import { type Edge, type State, type StateOwner, type Target, Chainable, connect } from './state';

/**
 * A service integration task's TimeoutSeconds (DynamoDB, SQS): one call that answers in milliseconds.
 * Short, so that the workflow's worst case (every task timing out after all its retries) stays within the
 * execution's TimeoutSeconds, which EXPRESS caps at 300 s (`validate()` checks it).
 */
export const SERVICE_TASK_TIMEOUT_SECONDS = 5;

/** What a `Catch` rule places at its `ResultPath`. */
export interface CaughtError {
  readonly Error: string;
  readonly Cause: string;
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
  /** @default a Lambda task: its function's timeout + LAMBDA_TASK_TIMEOUT_MARGIN_SECONDS; a service integration: SERVICE_TASK_TIMEOUT_SECONDS */
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

  /** TimeoutSeconds as rendered. */
  timeoutSeconds(): number {
    return this.props.timeoutSeconds ?? this.defaultTimeoutSeconds();
  }

  /** TimeoutSeconds when the props set none. */
  protected defaultTimeoutSeconds(): number {
    return SERVICE_TASK_TIMEOUT_SECONDS;
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
   * Route the named errors (default: everything) to `target`, with the error placed at `resultPath`
   * (default `'$.error'`). `target` is a state that accepts this task's input with the error written into
   * it, or a continuation (a fragment) that makes one. Returns this task, for chaining.
   */
  catch<N extends State<ApplyResultPath<I, CaughtError, RP>, unknown>, RP extends ResultPath = '$.error'>(
    target: Target<ApplyResultPath<I, CaughtError, RP>, N>,
    opts: { readonly errors?: ErrorList; readonly resultPath?: RP } = {},
  ): this {
    const errors = opts.errors ?? ['States.ALL'];
    let rule: CatchRule | undefined;
    connect(this.owner, target, (next) => {
      if (rule !== undefined) {
        this.owner.report(`state '${this.name}': a catch continuation made two states ('${rule.next.name}', then '${next.name}')`);
        return;
      }
      rule = { errors, next, resultPath: opts.resultPath === undefined ? '$.error' : opts.resultPath };
      this.catchers.push(rule);
    });
    return this;
  }

  edges(): Edge[] {
    return [...super.edges(), ...this.catchers.map((c) => ({ to: c.next, kind: 'catch' as const, label: c.errors.join(', ') }))];
  }

  /** `Resource` and `Parameters` of this task kind. */
  protected abstract resource(): AslObject;

  toAsl(): AslObject {
    const asl: AslObject = {
      ...this.base(),
      ...this.resource(),
      TimeoutSeconds: this.timeoutSeconds(),
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
