import type { AslObject } from './asl';
import { ChoiceState } from './choice';
import { type FailProps, FailState } from './fail';
import { type AttributeTemplate, type DynamoItemProps, DynamoTask } from './integrations/dynamodb';
import { type LambdaFn, LambdaTask } from './integrations/lambda';
import { type QueueRef, type SendMessageResult, SqsSendMessageTask } from './integrations/sqs';
import { PassState } from './pass';
import type { ApplyResultPath, RefFn, ResultPath, Resolved, Template } from './paths';
import type { State, StateOwner } from './state';
import { SucceedState } from './succeed';
import type { TaskProps } from './task';
import { evaluateTemplate } from './template';
import { WaitState } from './wait';

/**
 * Makes states whose input is `I`: the payload at the point where they go. Get one from the state before
 * (`task.next()`, `choice.when(...)`, `choice.otherwise()`), from a continuation (`task.catch((from) => ...)`),
 * or, for the first state, from `workflow.start()`. A factory from a state wires what it makes: one state each.
 */
export class StateFactory<I> {
  constructor(
    private readonly owner: StateOwner,
    private readonly wire: (state: State<I, unknown>) => void = () => {},
  ) {}

  private made<S extends State<I, unknown>>(state: S): S {
    this.wire(state);
    return state;
  }

  choice(name: string, comment?: string): ChoiceState<I> {
    return this.made(new ChoiceState<I>(this.owner, name, comment));
  }

  pass<T, RP extends ResultPath = '$'>(
    name: string,
    props: { readonly parameters?: ($: RefFn<I>) => T; readonly resultPath?: RP; readonly comment?: string } = {},
  ): PassState<I, ApplyResultPath<I, Resolved<T>, RP>> {
    const parameters = props.parameters ? evaluateTemplate(props.parameters) : undefined;
    return this.made(new PassState(this.owner, name, parameters, props.resultPath, props.comment));
  }

  wait(name: string, seconds: number, comment?: string): WaitState<I> {
    return this.made(new WaitState<I>(this.owner, name, seconds, comment));
  }

  fail(name: string, props: FailProps<I>): FailState<I> {
    return this.made(new FailState<I>(this.owner, name, props));
  }

  succeed(name: string, comment?: string): SucceedState {
    return this.made(new SucceedState(this.owner, name, comment));
  }

  /**
   * Invokes a function typed by its handler (`InlineFunction.ref`): the handler must accept the payload
   * `I`, and its result is placed at `resultPath`.
   */
  lambda<Out, RP extends ResultPath = '$'>(
    name: string,
    props: TaskProps<RP> & { readonly fn: LambdaFn<I, Out> },
  ): LambdaTask<I, ApplyResultPath<I, Out, RP>> {
    return this.made(new LambdaTask(this.owner, name, props.fn, props));
  }

  /** Sends a message typed by the queue's consumer: the body template must produce an `M`. */
  sqsSendMessage<M, RP extends ResultPath = '$'>(
    name: string,
    props: TaskProps<RP> & { readonly queue: QueueRef<M>; readonly messageBody: ($: RefFn<I>) => Template<M> },
  ): SqsSendMessageTask<I, ApplyResultPath<I, SendMessageResult, RP>> {
    return this.made(new SqsSendMessageTask(this.owner, name, props.queue, evaluateTemplate(props.messageBody), props));
  }

  /** Puts an item; `item` maps attribute names to typed attribute templates. */
  dynamoPutItem<RP extends ResultPath = '$'>(
    name: string,
    props: DynamoItemProps<I, RP> & { readonly item: ($: RefFn<I>) => Readonly<Record<string, AttributeTemplate>> },
  ): DynamoTask<I, ApplyResultPath<I, Record<string, unknown>, RP>> {
    const parameters = dynamoParameters(props, { Item: evaluateTemplate(props.item) });
    return this.made(new DynamoTask(this.owner, name, 'putItem', props.table, parameters, props));
  }

  /** Updates an item with an update expression. */
  dynamoUpdateItem<RP extends ResultPath = '$'>(
    name: string,
    props: DynamoItemProps<I, RP> & {
      readonly key: ($: RefFn<I>) => Readonly<Record<string, AttributeTemplate>>;
      readonly updateExpression: string;
    },
  ): DynamoTask<I, ApplyResultPath<I, Record<string, unknown>, RP>> {
    const parameters = dynamoParameters(props, { Key: evaluateTemplate(props.key), UpdateExpression: props.updateExpression });
    return this.made(new DynamoTask(this.owner, name, 'updateItem', props.table, parameters, props));
  }
}

/**
 * A reusable piece of a workflow (CDK `StateMachineFragment`) whose entry needs only a `J`. Its input type
 * is declared once, here, as a function's parameter is; wherever it is used (`next(f)`, `catch(f)`,
 * `when(c, f)`), tsc checks that the payload there is a `J`. Each use makes the fragment's states anew.
 */
export const fragment =
  <J, N extends State<J, unknown>>(build: (from: StateFactory<J>) => N) =>
  <P extends J>(from: StateFactory<P>): N =>
    // Sound: states that accept any `J` accept the `P` that arrives here.
    build(from as unknown as StateFactory<J>);

const dynamoParameters = <I>(props: DynamoItemProps<I, ResultPath>, own: AslObject): AslObject => {
  const p: AslObject = { ...own };
  if (props.conditionExpression !== undefined) p.ConditionExpression = props.conditionExpression;
  if (props.expressionAttributeNames !== undefined) p.ExpressionAttributeNames = { ...props.expressionAttributeNames };
  if (props.expressionAttributeValues !== undefined) p.ExpressionAttributeValues = evaluateTemplate(props.expressionAttributeValues);
  return p;
};
