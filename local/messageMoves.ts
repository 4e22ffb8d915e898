/**
 * SQS's message move tasks (dead-letter queue redrive), which fauxqs lacks: StartMessageMoveTask,
 * ListMessageMoveTasks and CancelMessageMoveTask over the JSON protocol, answered at the SQS endpoint's
 * gate (after IAM) and carried out against fauxqs as SQS does: receive from the dead-letter queue, send each
 * message's body and attributes to the destination, delete it from the source.
 *
 * Sources (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/): API_StartMessageMoveTask.html
 * ("currently limited to supporting message redrive from queues that are configured as dead-letter queues
 * (DLQs) of other Amazon SQS queues"; "If this field is left blank, the messages will be redriven back to
 * their respective original source queues"; "Only one active message movement task is supported per queue
 * at any given time"; MaxNumberOfMessagesPerSecond at most 500), API_ListMessageMoveTasks.html (up to 10
 * most recent tasks, MaxResults 1 by default; Status RUNNING | FAILED | CANCELLING | CANCELLED | COMPLETED),
 * API_CancelMessageMoveTask.html (only a RUNNING task can be cancelled; messages already moved stay moved).
 * The error AWS answers for a source that is no dead-letter queue is not documented: here InvalidParameterValue.
 */
import { randomUUID } from 'crypto';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SQSClient,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import type { GatedRequest, Refusal } from './iamGate';

type Status = 'RUNNING' | 'FAILED' | 'CANCELLING' | 'CANCELLED' | 'COMPLETED';

interface Task {
  readonly TaskHandle: string;
  Status: Status;
  readonly SourceArn: string;
  readonly DestinationArn?: string;
  readonly MaxNumberOfMessagesPerSecond?: number;
  ApproximateNumberOfMessagesMoved: number;
  readonly ApproximateNumberOfMessagesToMove: number;
  FailureReason?: string;
  readonly StartedTimestamp: number;
}

const OPERATIONS = new Set(['StartMessageMoveTask', 'ListMessageMoveTasks', 'CancelMessageMoveTask']);

/**
 * An SQS error as AWS answers these operations (the names and statuses LocalStack recorded against AWS,
 * `tests/aws/services/sqs/test_sqs_move_task.snapshot.json`): the SDK, query-compatible, takes the name from
 * `x-amzn-query-error` (@aws-sdk/core protocols, `loadQueryErrorCode`).
 */
class SqsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const reply = (status: number, body: unknown, queryError?: string): Refusal => ({
  status,
  headers: {
    'Content-Type': 'application/x-amz-json-1.0',
    'x-amzn-RequestId': randomUUID(),
    ...(queryError ? { 'x-amzn-query-error': queryError } : {}),
  },
  body: JSON.stringify(body),
});

const nameOf = (arn: string) => arn.split(':').pop() ?? arn;

/** The message move tasks of one local SQS (`fauxqs`, reached directly with the account owner's keys). */
export class MessageMoves {
  private readonly tasks: Task[] = [];

  constructor(private readonly sqs: SQSClient) {}

  static for(fauxqsAddress: string, region: string): MessageMoves {
    return new MessageMoves(
      new SQSClient({ endpoint: fauxqsAddress, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
    );
  }

  /** The answer to a request for one of the move-task operations; undefined for any other request. */
  async answer(req: GatedRequest): Promise<Refusal | undefined> {
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1];
    if (!operation || !OPERATIONS.has(operation)) {
      const query = new URLSearchParams(req.body.toString()).get('Action');
      if (query && OPERATIONS.has(query)) {
        return reply(400, {
          __type: 'com.amazonaws.sqs#UnsupportedOperation',
          message: `the local SQS answers ${query} over the JSON protocol only`,
        });
      }
      return undefined;
    }
    try {
      const body = JSON.parse(req.body.toString() || '{}') as Record<string, unknown>;
      if (operation === 'StartMessageMoveTask') return reply(200, await this.start(body));
      if (operation === 'ListMessageMoveTasks') return reply(200, this.list(body));
      return reply(200, this.cancel(body));
    } catch (e) {
      if (e instanceof SqsError) return reply(e.status, { __type: `com.amazonaws.sqs#${e.code}`, message: e.message }, `${e.code};Sender`);
      return reply(500, { __type: 'com.amazonaws.sqs#InternalError', message: (e as Error).message });
    }
  }

  private async urlOf(arn: unknown, member: string): Promise<string> {
    if (typeof arn !== 'string' || !/^arn:aws:sqs:[^:]+:\d{12}:[\w-]{1,80}$/.test(arn)) {
      throw new SqsError(
        'InvalidParameterValue',
        `Value ${JSON.stringify(arn)} for parameter ${member} is invalid. Reason: not a queue ARN.`,
      );
    }
    try {
      return (await this.sqs.send(new GetQueueUrlCommand({ QueueName: nameOf(arn) }))).QueueUrl!;
    } catch {
      throw new SqsError('ResourceNotFoundException', `The resource that you specified for the ${member} parameter doesn't exist.`, 404);
    }
  }

  /** The queues whose redrive policy names `dlqArn`'s queue as their dead-letter queue. */
  private async sourcesOf(dlqArn: string): Promise<string[]> {
    const urls = (await this.sqs.send(new ListQueuesCommand({}))).QueueUrls ?? [];
    const sources: string[] = [];
    for (const url of urls) {
      const attrs = (await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['RedrivePolicy'] }))).Attributes;
      const target = attrs?.RedrivePolicy
        ? (JSON.parse(attrs.RedrivePolicy) as { deadLetterTargetArn?: string }).deadLetterTargetArn
        : undefined;
      if (target && nameOf(target) === nameOf(dlqArn)) sources.push(url);
    }
    return sources;
  }

  private async start(body: Record<string, unknown>): Promise<{ TaskHandle: string }> {
    const sourceUrl = await this.urlOf(body.SourceArn, 'SourceArn');
    const sourceArn = body.SourceArn as string;
    const rate = body.MaxNumberOfMessagesPerSecond;
    if (rate !== undefined && (typeof rate !== 'number' || !Number.isInteger(rate) || rate < 1 || rate > 500)) {
      throw new SqsError(
        'InvalidParameterValue',
        `Value ${JSON.stringify(rate)} for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: must be an integer from 1 to 500.`,
      );
    }
    const sources = await this.sourcesOf(sourceArn);
    if (sources.length === 0) {
      throw new SqsError(
        'InvalidParameterValue',
        `Source queue ${sourceArn} is not a dead-letter queue of any queue: only a DLQ's messages can be moved.`,
      );
    }
    const destinationUrl = body.DestinationArn === undefined ? undefined : await this.urlOf(body.DestinationArn, 'DestinationArn');
    if (this.tasks.some((t) => nameOf(t.SourceArn) === nameOf(sourceArn) && (t.Status === 'RUNNING' || t.Status === 'CANCELLING'))) {
      throw new SqsError(
        'InvalidParameterValue',
        'There is already a task running. Only one active task is allowed for a source queue arn at a given time.',
      );
    }
    // The messages to move: those visible and those in flight. fauxqs returns a message whose visibility timeout
    // ended only on the next receive, and until then counts it in flight, where SQS counts it visible again.
    const attrs = (
      await this.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: sourceUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      )
    ).Attributes;
    const task: Task = {
      TaskHandle: Buffer.from(JSON.stringify({ taskId: randomUUID(), sourceArn })).toString('base64'),
      Status: 'RUNNING',
      SourceArn: sourceArn,
      ...(typeof body.DestinationArn === 'string' ? { DestinationArn: body.DestinationArn } : {}),
      ...(typeof rate === 'number' ? { MaxNumberOfMessagesPerSecond: rate } : {}),
      ApproximateNumberOfMessagesMoved: 0,
      ApproximateNumberOfMessagesToMove:
        Number(attrs?.ApproximateNumberOfMessages ?? 0) + Number(attrs?.ApproximateNumberOfMessagesNotVisible ?? 0),
      StartedTimestamp: Date.now(),
    };
    this.tasks.unshift(task);
    // With no destination, back to the original source queue (DOFS's DLQ has one source).
    void this.run(task, sourceUrl, destinationUrl ?? sources[0]);
    return { TaskHandle: task.TaskHandle };
  }

  private async run(task: Task, sourceUrl: string, destinationUrl: string): Promise<void> {
    const perSecond = task.MaxNumberOfMessagesPerSecond;
    try {
      let empty = 0;
      while (task.Status === 'RUNNING' && task.ApproximateNumberOfMessagesMoved < task.ApproximateNumberOfMessagesToMove) {
        const wanted = Math.min(10, task.ApproximateNumberOfMessagesToMove - task.ApproximateNumberOfMessagesMoved);
        const received = await this.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: sourceUrl,
            MaxNumberOfMessages: wanted,
            VisibilityTimeout: 30,
            WaitTimeSeconds: 0,
            MessageAttributeNames: ['All'],
          }),
        );
        const messages = received.Messages ?? [];
        if (messages.length === 0) {
          // The rest are in flight with a consumer (or gone): a few tries, then the task is done with what it moved.
          if (++empty >= 20) break;
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        empty = 0;
        const sent = await this.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: destinationUrl,
            Entries: messages.map((m, i) => ({
              Id: String(i),
              MessageBody: m.Body!,
              ...(m.MessageAttributes && Object.keys(m.MessageAttributes).length > 0 ? { MessageAttributes: m.MessageAttributes } : {}),
            })),
          }),
        );
        const ok = new Set((sent.Successful ?? []).map((s) => Number(s.Id)));
        const moved = messages.filter((_, i) => ok.has(i));
        if (moved.length > 0) {
          await this.sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: sourceUrl,
              Entries: moved.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
            }),
          );
        }
        task.ApproximateNumberOfMessagesMoved += moved.length;
        if (sent.Failed && sent.Failed.length > 0)
          throw new Error(`the destination refused ${sent.Failed.length} messages: ${sent.Failed[0].Message}`);
        if (perSecond) await new Promise((r) => setTimeout(r, (1000 * moved.length) / perSecond));
      }
      if (task.Status === 'CANCELLING') task.Status = 'CANCELLED';
      else if (task.Status === 'RUNNING') task.Status = 'COMPLETED';
    } catch (e) {
      task.Status = 'FAILED';
      task.FailureReason = (e as Error).message;
    }
  }

  private list(body: Record<string, unknown>) {
    if (typeof body.SourceArn !== 'string') throw new SqsError('MissingParameter', 'The request must contain the parameter SourceArn.');
    const max = body.MaxResults ?? 1;
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 10) {
      throw new SqsError(
        'InvalidParameterValue',
        `Value ${JSON.stringify(max)} for parameter MaxResults is invalid. Reason: must be from 1 to 10.`,
      );
    }
    const source = body.SourceArn;
    return {
      Results: this.tasks
        .filter((t) => nameOf(t.SourceArn) === nameOf(source))
        .slice(0, max)
        // "TaskHandle: ... only populated for tasks that are in RUNNING status" (API_ListMessageMoveTasksResultEntry.html).
        .map(({ TaskHandle, ...t }) => ({ ...t, ...(t.Status === 'RUNNING' ? { TaskHandle } : {}) })),
    };
  }

  private cancel(body: Record<string, unknown>) {
    let wellFormed = false;
    try {
      wellFormed =
        typeof (JSON.parse(Buffer.from(String(body.TaskHandle), 'base64').toString()) as { taskId?: unknown }).taskId === 'string';
    } catch {
      // not a handle this service made
    }
    if (!wellFormed) throw new SqsError('InvalidParameterValue', 'Value for parameter TaskHandle is invalid.');
    const task = this.tasks.find((t) => t.TaskHandle === body.TaskHandle);
    if (!task) throw new SqsError('ResourceNotFoundException', 'Task does not exist.', 404);
    if (task.Status !== 'RUNNING')
      throw new SqsError('UnsupportedOperation', `The task is ${task.Status}: only a RUNNING task can be cancelled.`);
    task.Status = 'CANCELLING';
    return { ApproximateNumberOfMessagesMoved: task.ApproximateNumberOfMessagesMoved };
  }

  destroy(): void {
    for (const t of this.tasks) if (t.Status === 'RUNNING') t.Status = 'CANCELLING';
    this.sqs.destroy();
  }
}
