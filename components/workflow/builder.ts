import { ERROR_NAMES } from './errors';
import { type ApplyResultPath, type RefFn, type ResultPath, type Resolved, type Template } from './paths';
import {
  type AslObject,
  type AslValue,
  type DynamoItemProps,
  type Edge,
  type FailProps,
  type LambdaFn,
  type PolicyStatement,
  type QueueRef,
  type RetryDefaults,
  type SendMessageResult,
  type StateOwner,
  type TaskProps,
  type AttributeTemplate,
  ChoiceState,
  DEFAULT_RETRY,
  DynamoTask,
  FailState,
  LambdaTask,
  PassState,
  SqsSendMessageTask,
  State,
  SucceedState,
  Task,
  WaitState,
  evaluateTemplate,
} from './states';

/** Thrown by `build()` with every problem `validate()` found. */
export class WorkflowValidationError extends Error {
  readonly name = 'WorkflowValidationError';
  constructor(readonly problems: readonly string[]) {
    super(`the workflow is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n- ${problems.join('\n- ')}`);
  }
}

export interface WorkflowProps {
  readonly comment?: string;
  /** Execution timeout. @default 300 */
  readonly timeoutSeconds?: number;
  /** The retry policy every rule starts from. Set once, here. @default DEFAULT_RETRY */
  readonly defaultRetry?: Partial<RetryDefaults>;
}

/** Options of `render()`: statements for the features the state machine resource turns on. */
export interface RenderOptions {
  /** Add the CloudWatch Logs delivery actions (AWS requires `Resource: *` for them). */
  readonly logging?: boolean;
  /** Add the X-Ray actions (AWS requires `Resource: *` for them). */
  readonly tracing?: boolean;
}

/** What `render()` returns: plain ASL (ARNs still `Input<string>`) and the role's IAM statements. */
export interface RenderedWorkflow {
  readonly definition: AslObject;
  readonly policyStatements: PolicyStatement[];
}

/** Creates states whose input is `I`. Obtain one with `workflow.given<I>()`. */
export class StateFactory<I> {
  constructor(private readonly owner: StateOwner) {}

  choice(name: string, comment?: string): ChoiceState<I> {
    return new ChoiceState<I>(this.owner, name, comment);
  }

  pass<T, RP extends ResultPath = '$'>(
    name: string,
    props: { readonly parameters?: ($: RefFn<I>) => T; readonly resultPath?: RP; readonly comment?: string } = {},
  ): PassState<I, ApplyResultPath<I, Resolved<T>, RP>> {
    const parameters = props.parameters ? evaluateTemplate(props.parameters) : undefined;
    return new PassState(this.owner, name, parameters, props.resultPath, props.comment);
  }

  wait(name: string, seconds: number, comment?: string): WaitState<I> {
    return new WaitState<I>(this.owner, name, seconds, comment);
  }

  fail(name: string, props: FailProps<I>): FailState<I> {
    return new FailState<I>(this.owner, name, props);
  }

  succeed(name: string, comment?: string): SucceedState {
    return new SucceedState(this.owner, name, comment);
  }

  /** Sends a message typed by the queue's consumer: the body template must produce an `M`. */
  sqsSendMessage<M, RP extends ResultPath = '$'>(
    name: string,
    props: TaskProps<RP> & { readonly queue: QueueRef<M>; readonly messageBody: ($: RefFn<I>) => Template<M> },
  ): SqsSendMessageTask<I, ApplyResultPath<I, SendMessageResult, RP>> {
    return new SqsSendMessageTask(this.owner, name, props.queue, evaluateTemplate(props.messageBody), props);
  }

  /** Puts an item; `item` maps attribute names to typed attribute templates. */
  dynamoPutItem<RP extends ResultPath = '$'>(
    name: string,
    props: DynamoItemProps<I, RP> & { readonly item: ($: RefFn<I>) => Readonly<Record<string, AttributeTemplate>> },
  ): DynamoTask<I, ApplyResultPath<I, Record<string, unknown>, RP>> {
    return new DynamoTask(this.owner, name, 'putItem', props.table, dynamoParameters(props, { Item: evaluateTemplate(props.item) }), props);
  }

  /** Updates an item with an update expression. */
  dynamoUpdateItem<RP extends ResultPath = '$'>(
    name: string,
    props: DynamoItemProps<I, RP> & {
      readonly key: ($: RefFn<I>) => Readonly<Record<string, AttributeTemplate>>;
      readonly updateExpression: string;
    },
  ): DynamoTask<I, ApplyResultPath<I, Record<string, unknown>, RP>> {
    return new DynamoTask(
      this.owner,
      name,
      'updateItem',
      props.table,
      dynamoParameters(props, { Key: evaluateTemplate(props.key), UpdateExpression: props.updateExpression }),
      props,
    );
  }
}

const dynamoParameters = <I>(props: DynamoItemProps<I, ResultPath>, own: AslObject): AslObject => {
  const p: AslObject = { ...own };
  if (props.conditionExpression !== undefined) p.ConditionExpression = props.conditionExpression;
  if (props.expressionAttributeNames !== undefined) p.ExpressionAttributeNames = { ...props.expressionAttributeNames };
  if (props.expressionAttributeValues !== undefined) p.ExpressionAttributeValues = evaluateTemplate(props.expressionAttributeValues);
  return p;
};

/**
 * Builds a state machine whose execution input is `Start`. States are created through the builder
 * (so it can find the ones that were created but never wired), wired with `next`/`when`/`catch`, and
 * checked as a whole by `validate()` or `build()`.
 */
export class WorkflowBuilder<Start> implements StateOwner {
  readonly defaultRetry: RetryDefaults;
  private readonly created: State<any, unknown>[] = [];
  private readonly problems: string[] = [];

  constructor(readonly props: WorkflowProps = {}) {
    this.defaultRetry = { ...DEFAULT_RETRY, ...props.defaultRetry };
  }

  /** @internal called by every state's constructor. */
  register(state: State<any, unknown>): void {
    this.created.push(state);
  }

  /** @internal wiring mistakes found while the graph is built. */
  report(problem: string): void {
    this.problems.push(problem);
  }

  /** A factory for states whose input is `I` (Choice, Pass, Fail, service integrations). */
  given<I>(): StateFactory<I> {
    return new StateFactory<I>(this);
  }

  /** A Lambda task typed by the function's handler: input `In`, result placed at `resultPath`. */
  lambda<In, Out, RP extends ResultPath = '$'>(
    name: string,
    props: TaskProps<RP> & { readonly fn: LambdaFn<In, Out> },
  ): LambdaTask<In, ApplyResultPath<In, Out, RP>> {
    return new LambdaTask(this, name, props.fn, props);
  }

  /** Every problem of the graph that starts at `start`, each naming its state; empty if none. */
  validate(start: State<Start, unknown>): string[] {
    const problems = [...this.problems];
    const reached = reachable(start);

    const byName = new Map<string, State<any, unknown>[]>();
    for (const s of new Set([...this.created, ...reached])) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
    for (const [name, states] of byName) {
      if (states.length > 1) problems.push(`duplicate state name '${name}' (${states.length} states)`);
    }
    for (const s of reached) {
      if (s.owner !== this) problems.push(`state '${s.name}' is reused: it belongs to another workflow`);
    }
    for (const s of this.created) {
      if (!reached.has(s)) problems.push(`state '${s.name}' is unreachable from '${start.name}'`);
    }
    for (const s of reached) {
      if (s instanceof ChoiceState && s.ruleCount() === 0) problems.push(`choice '${s.name}' has no rules`);
      if (s instanceof Task) problems.push(...ruleProblems(s));
      if (s.name.length === 0 || s.name.length > 80) problems.push(`state name '${s.name}' must be 1-80 characters`);
    }
    const canEnd = statesThatCanEnd(reached);
    for (const s of reached) {
      if (!canEnd.has(s)) problems.push(`state '${s.name}' has no path to a terminal state (Succeed, Fail or End)`);
    }
    return problems;
  }

  /** Validates and returns the finished workflow; throws {@link WorkflowValidationError} listing every problem. */
  build(start: State<Start, unknown>): Workflow<Start> {
    const problems = this.validate(start);
    if (problems.length > 0) throw new WorkflowValidationError(problems);
    return new Workflow<Start>(start, [...reachable(start)], this.props);
  }
}

const ruleProblems = (task: Task<any, unknown>): string[] => {
  const problems: string[] = [];
  const check = (what: string, lists: readonly (readonly string[])[]) =>
    lists.forEach((errors, i) => {
      for (const e of errors) {
        if (!ERROR_NAMES.includes(e as never)) problems.push(`state '${task.name}': ${what} names unknown error '${e}'`);
      }
      if (errors.length === 0) problems.push(`state '${task.name}': ${what} rule ${i + 1} names no errors`);
      if (errors.includes('States.ALL') && errors.length > 1) {
        problems.push(`state '${task.name}': ${what} rule ${i + 1} lists 'States.ALL' with other errors; it must stand alone`);
      }
      if (errors.includes('States.ALL') && i !== lists.length - 1) {
        problems.push(`state '${task.name}': ${what} rule ${i + 1} uses 'States.ALL' but is not the last rule`);
      }
    });
  check('Retry', task.retryRules().map((r) => r.errors));
  check('Catch', task.catchRules().map((c) => c.errors));
  for (const r of task.retryRules()) {
    if (!Number.isInteger(r.maxAttempts) || r.maxAttempts < 0) problems.push(`state '${task.name}': maxAttempts ${r.maxAttempts} must be a whole number >= 0`);
    if (!Number.isInteger(r.intervalSeconds) || r.intervalSeconds < 1) problems.push(`state '${task.name}': intervalSeconds ${r.intervalSeconds} must be a whole number >= 1`);
    if (r.backoffRate < 1) problems.push(`state '${task.name}': backoffRate ${r.backoffRate} must be >= 1`);
  }
  return problems;
};

const reachable = (start: State<any, unknown>): Set<State<any, unknown>> => {
  const seen = new Set<State<any, unknown>>();
  const stack = [start];
  while (stack.length > 0) {
    const s = stack.pop()!;
    if (seen.has(s)) continue;
    seen.add(s);
    for (const e of s.edges()) stack.push(e.to);
  }
  return seen;
};

/** A state can end if it is terminal or one of its non-catch successors can end. */
const statesThatCanEnd = (states: Set<State<any, unknown>>): Set<State<any, unknown>> => {
  const canEnd = new Set<State<any, unknown>>();
  for (const s of states) if (s.edges().every((e) => e.kind === 'catch')) canEnd.add(s);
  let grew = true;
  while (grew) {
    grew = false;
    for (const s of states) {
      if (!canEnd.has(s) && s.edges().some((e) => e.kind !== 'catch' && canEnd.has(e.to))) {
        canEnd.add(s);
        grew = true;
      }
    }
  }
  return canEnd;
};

/** A validated workflow: renders ASL, the role's IAM statements, and a Mermaid diagram. */
export class Workflow<Start> {
  constructor(
    readonly start: State<Start, unknown>,
    readonly states: readonly State<any, unknown>[],
    private readonly props: WorkflowProps,
  ) {}

  /** Plain ASL and the IAM statements of exactly the resources the tasks use. */
  render(options: RenderOptions = {}): RenderedWorkflow {
    const States: AslObject = {};
    for (const s of this.inOrder()) States[s.name] = s.toAsl();
    const definition: AslObject = { StartAt: this.start.name, States, TimeoutSeconds: this.props.timeoutSeconds ?? 300 };
    if (this.props.comment !== undefined) definition.Comment = this.props.comment;
    return { definition, policyStatements: mergeStatements(this.inOrder().flatMap((s) => s.policyStatements()), options) };
  }

  /** The graph as a Mermaid flowchart: solid edges for transitions, dotted ones for catches. */
  toMermaid(): string {
    const ids = new Map(this.inOrder().map((s, i) => [s, `s${i}`]));
    const node = (s: State<any, unknown>) => {
      const id = ids.get(s)!;
      switch (s.type) {
        case 'Choice':
          return `${id}{"${s.name}"}`;
        case 'Succeed':
          return `${id}(["${s.name}"])`;
        case 'Fail':
          return `${id}[["${s.name}"]]`;
        default:
          return `${id}["${s.name}"]`;
      }
    };
    const lines = ['flowchart TD', `  start((start)) --> ${ids.get(this.start)}`];
    for (const s of this.inOrder()) lines.push(`  ${node(s)}`);
    for (const s of this.inOrder()) {
      for (const e of s.edges()) lines.push(`  ${ids.get(s)} ${arrow(e)} ${ids.get(e.to)}`);
    }
    return lines.join('\n') + '\n';
  }

  /** States in a stable order: breadth first from the start, following edges in declaration order. */
  private inOrder(): State<any, unknown>[] {
    const order: State<any, unknown>[] = [];
    const queue = [this.start];
    const seen = new Set(queue);
    while (queue.length > 0) {
      const s = queue.shift()!;
      order.push(s);
      for (const e of s.edges()) {
        if (!seen.has(e.to)) {
          seen.add(e.to);
          queue.push(e.to);
        }
      }
    }
    return order;
  }
}

const arrow = (e: Edge): string => {
  const label = e.label?.replace(/"/g, "'");
  if (e.kind === 'catch') return `-. "catch ${label}" .->`;
  return label ? `-- "${label}" -->` : '-->';
};

/** One statement per action set, listing every resource once; logging/tracing statements when asked. */
const mergeStatements = (statements: PolicyStatement[], options: RenderOptions): PolicyStatement[] => {
  const byAction = new Map<string, PolicyStatement>();
  for (const st of statements) {
    const key = st.Action.join(',');
    const existing = byAction.get(key);
    const resources = existing ? [...existing.Resource] : [];
    for (const r of st.Resource) if (!resources.includes(r)) resources.push(r);
    byAction.set(key, { Effect: 'Allow', Action: st.Action, Resource: resources });
  }
  const out = [...byAction.values()];
  if (options.logging) {
    out.push({
      Effect: 'Allow',
      Action: [
        'logs:CreateLogDelivery',
        'logs:GetLogDelivery',
        'logs:UpdateLogDelivery',
        'logs:DeleteLogDelivery',
        'logs:ListLogDeliveries',
        'logs:PutResourcePolicy',
        'logs:DescribeResourcePolicies',
        'logs:DescribeLogGroups',
      ],
      Resource: ['*'],
    });
  }
  if (options.tracing) {
    out.push({
      Effect: 'Allow',
      Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
      Resource: ['*'],
    });
  }
  return out;
};

export type { AslValue };
