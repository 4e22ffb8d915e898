import type { AslObject } from './asl';
import { ChoiceState } from './choice';
import { type FailProps, FailState } from './fail';
import { type AttributeTemplate, type DynamoItemProps, DynamoTask } from './integrations/dynamodb';
import { type QueueRef, type SendMessageResult, SqsSendMessageTask } from './integrations/sqs';
import { PassState } from './pass';
import type { ApplyResultPath, RefFn, ResultPath, Resolved, Template } from './paths';
import type { StateOwner } from './state';
import { SucceedState } from './succeed';
import type { TaskProps } from './task';
import { evaluateTemplate } from './template';
import { WaitState } from './wait';

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
