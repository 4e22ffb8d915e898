import { type AslObject, LOG_DELIVERY_ACTIONS, type PolicyStatement } from './asl';
import type { WorkflowProps } from './builder';
import type { Edge, State } from './state';

/** An execution's TimeoutSeconds unless set: EXPRESS executions run at most 5 minutes (Step Functions service quotas). */
export const DEFAULT_EXECUTION_TIMEOUT_SECONDS = 300;

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
    const definition: AslObject = {
      StartAt: this.start.name,
      States,
      TimeoutSeconds: this.props.timeoutSeconds ?? DEFAULT_EXECUTION_TIMEOUT_SECONDS,
    };
    if (this.props.comment !== undefined) definition.Comment = this.props.comment;
    return {
      definition,
      policyStatements: mergeStatements(
        this.inOrder().flatMap((s) => s.policyStatements()),
        options,
      ),
    };
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
        case 'Pass':
        case 'Task':
        case 'Wait':
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
      Action: [...LOG_DELIVERY_ACTIONS, 'logs:DescribeLogGroups'],
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
