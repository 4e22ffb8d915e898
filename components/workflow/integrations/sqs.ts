import type * as pulumi from '@pulumi/pulumi';
import type { AslObject, AslValue, PolicyStatement } from '../asl';
import { TRANSIENT_SQS_ERRORS } from '../errors';
import type { ResultPath } from '../paths';
import type { StateOwner } from '../state';
import { type TaskProps, Task } from '../task';
import { templateField } from '../template';

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
