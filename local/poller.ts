import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient, type Message } from '@aws-sdk/client-sqs';

export interface MappingSpec {
  readonly name: string;
  readonly queueUrl: string;
  /** The queue ARN the program declared (what the records' eventSourceARN says). */
  readonly queueArn: string;
  readonly batchSize: number;
  /** Compressed batching window, ms. */
  readonly batchWindowMs: number;
  readonly reportBatchItemFailures: boolean;
  readonly invoke: (event: unknown) => Promise<unknown>;
  /** Concurrent pollers, as Lambda runs several per queue. */
  readonly concurrency: number;
  /** `--redeliveries`: the share of received messages delivered twice (0 to 1). @default 0 */
  readonly redeliveryRate?: number;
  /** The draw for each message (tests). */
  readonly random?: () => number;
}

const toRecord = (m: Message, arn: string) => ({
  messageId: m.MessageId,
  receiptHandle: m.ReceiptHandle,
  body: m.Body ?? '',
  attributes: m.Attributes ?? {},
  messageAttributes: {},
  md5OfBody: m.MD5OfBody,
  eventSource: 'aws:sqs',
  eventSourceARN: arn,
  awsRegion: arn.split(':')[3],
});

/**
 * An SQS event source mapping: long-polls the queue, fills a batch up to `batchSize` within the
 * batching window, invokes the function, and deletes what succeeded. With ReportBatchItemFailures only
 * the reported records stay; if the invocation fails, every record stays. What stays becomes visible
 * again after the queue's visibility timeout and, after `maxReceiveCount` receives, the queue's redrive
 * policy moves it to the DLQ.
 */
/** A mapping's state as GetEventSourceMapping reports it (https://docs.aws.amazon.com/lambda/latest/api/API_GetEventSourceMapping.html). */
export type MappingState = 'Enabled' | 'Disabling' | 'Disabled';

export class LocalPoller {
  private stopped = false;
  private readonly loops: Promise<void>[] = [];
  batches = 0;
  /** UpdateEventSourceMapping `Enabled`: a disabled mapping receives nothing; the batches it holds finish. */
  private enabled = true;
  /** Loops between a receive and the end of its delivery. */
  private busy = 0;
  /** Batches with messages delivered twice so far: the second delivery alternates between at once and after. */
  private redelivered = 0;

  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
  }

  /** Disabling until the batches received before the mapping was disabled are delivered. */
  get state(): MappingState {
    return this.enabled ? 'Enabled' : this.busy > 0 ? 'Disabling' : 'Disabled';
  }

  constructor(
    private readonly sqs: SQSClient,
    readonly spec: MappingSpec,
    private readonly log: (line: string) => void,
  ) {}

  start(): void {
    for (let i = 0; i < this.spec.concurrency; i++) this.loops.push(this.loop());
  }

  private async receive(max: number, waitSeconds: number): Promise<Message[]> {
    const r = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.spec.queueUrl,
        MaxNumberOfMessages: Math.min(10, max),
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    return r.Messages ?? [];
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      if (!this.enabled) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      this.busy++;
      try {
        const batch = await this.receive(this.spec.batchSize, 1);
        if (batch.length === 0) continue;
        const deadline = Date.now() + this.spec.batchWindowMs;
        while (batch.length < this.spec.batchSize && Date.now() < deadline && !this.stopped) {
          const more = await this.receive(this.spec.batchSize - batch.length, 0);
          if (more.length === 0) await new Promise((r) => setTimeout(r, 10));
          batch.push(...more);
        }
        await this.deliver(batch);
      } catch (e) {
        if (!this.stopped) {
          this.log(`[${this.spec.name}] poll failed: ${(e as Error).message}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      } finally {
        this.busy--;
      }
    }
  }

  /**
   * Delivers a batch and, with `--redeliveries`, a share of its messages a second time: standard queues deliver
   * at least once, "occasionally more than one copy" of a message
   * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/standard-queues-at-least-once-delivery.html).
   * The copy is the same record (message id, receipt handle, body, attributes) in an invocation of its own,
   * alternately beside the first and after it; what it handles is deleted, what it fails is left to the first.
   */
  private async deliver(batch: Message[]): Promise<void> {
    const rate = this.spec.redeliveryRate ?? 0;
    const draw = this.spec.random ?? Math.random;
    const copies = rate > 0 ? batch.filter(() => draw() < rate) : [];
    if (copies.length === 0) return this.deliverOnce(batch);
    if (this.redelivered++ % 2 === 0) {
      await Promise.all([this.deliverOnce(batch), this.deliverOnce(copies)]);
    } else {
      await this.deliverOnce(batch);
      await this.deliverOnce(copies);
    }
  }

  private async deliverOnce(batch: Message[]): Promise<void> {
    this.batches++;
    let keep = new Set<string>();
    try {
      const result = (await this.spec.invoke({ Records: batch.map((m) => toRecord(m, this.spec.queueArn)) })) as {
        batchItemFailures?: { itemIdentifier: string }[];
      } | null;
      if (this.spec.reportBatchItemFailures && result?.batchItemFailures) {
        keep = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
      }
    } catch {
      keep = new Set(batch.map((m) => m.MessageId!));
    }
    const done = batch.filter((m) => !keep.has(m.MessageId!));
    if (done.length > 0) {
      await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.spec.queueUrl,
          Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled(this.loops);
  }
}
