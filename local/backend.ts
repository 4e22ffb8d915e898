/**
 * The local cloud's back end: the SQS API (fauxqs), the state machine's interpreter and its tasks, the
 * back-end functions and the event source mappings. It runs in a worker thread of its own at a lower OS
 * priority (`local/priority.js`), started by `cloud.ts`, which keeps the request path (the REST API, its
 * function, the Step Functions endpoint and DynamoDB) on threads of normal priority. On AWS the two run
 * on separate machines; here they share two cores, and a burst of POSTs comes first.
 */
import { parentPort } from 'worker_threads';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  PutItemCommand,
  type PutItemCommandInput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type * as Fauxqs from 'fauxqs';
import {
  CREDENTIALS,
  type Endpoints,
  LocalCloudError,
  REGION,
  Stops,
  TIME_COMPRESSION,
  apiFunctionNames,
  functionArnIn,
  functionSpecFor,
  lastSegment,
} from './common';
import { FunctionError, LocalFunction } from './functions';
import { type TaskRunner, lambdaTask, makeInterpreter } from './interpreter';
import { type Recorded, ofType as ofTypeIn } from './mockProgram';
import { LocalPoller } from './poller';
import type { ExecutionOutcome, ExecutionRequest, ExecutionRunner } from './stepFunctions';
import type { HistoryEvent } from './executionHistory';
import type { StackConfig } from '../config';

export interface BackendSetup {
  readonly resources: Recorded[];
  readonly config: StackConfig;
  /** The emulators' endpoints, as the functions get them (SQS is this thread's own fauxqs). */
  readonly endpoints: Endpoints;
  /** Show the functions' log lines and the state machine's failures. */
  readonly functionLogs: boolean;
}

/** What the back end reports once it runs: for the start-up lines. */
export interface BackendReady {
  readonly queues: string[];
  readonly functions: string[];
  readonly mappings: string[];
  readonly stateMachine: string;
}

export type ToBackend =
  | { type: 'setup'; setup: BackendSetup }
  | { type: 'run'; id: number; execution: ExecutionRequest }
  | { type: 'stop-execution'; id: number; executionArn: string; reason: { error?: string; cause?: string } }
  | { type: 'history'; id: number; executionArn: string }
  | { type: 'stop' };

export type FromBackend =
  | { type: 'listening'; sqsEndpoint: string }
  | { type: 'ready'; ready: BackendReady }
  | { type: 'failed'; error: { name: string; message: string } }
  | { type: 'done'; id: number; outcome: ExecutionOutcome }
  | { type: 'history'; id: number; events: readonly HistoryEvent[] }
  | { type: 'stopped-execution'; id: number; stopped: boolean }
  | { type: 'log'; line: string }
  | { type: 'stopped' };

/**
 * A back-end function has one sandbox (of 8 concurrent invocations): the back end is bound by CPU, not by
 * waits, on this machine, so a second sandbox would add memory (about 40 MB), not throughput.
 */
const BACKGROUND_SIZING = { maxSandboxes: 1 };

/** fauxqs, the SQS API, on a free port. */
const startSqs = async () => {
  // fauxqs is ESM-only; TypeScript's CommonJS output would turn `import()` into `require()`.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- a constant body, the only way to keep a real import()
  const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<typeof Fauxqs>;
  const { startFauxqs } = await importEsm('fauxqs');
  return startFauxqs({ port: 0, logger: false, defaultRegion: REGION });
};

type Fauxqs = Awaited<ReturnType<typeof startSqs>>;

/**
 * Materialises the back end from the declared resources: queues with their compressed visibility
 * timeouts and redrive policies, the functions no API route invokes, the state machine's tasks (Lambda
 * ARNs to local functions, service integrations to the emulators) and the event source mappings.
 */
export const startBackend = async (fauxqs: Fauxqs, setup: BackendSetup, say: (line: string) => void) => {
  const { resources, config } = setup;
  const ofType = <T extends Parameters<typeof ofTypeIn>[1]>(type: T) => ofTypeIn(resources, type);
  const stops = new Stops();
  const { endpoints } = setup;
  try {
    const sqs = new SQSClient({ endpoint: endpoints.sqs, region: REGION, credentials: CREDENTIALS });
    const ddb = new DynamoDBClient({ endpoint: endpoints.dynamodb, region: REGION, credentials: CREDENTIALS });
    stops.push(
      () => sqs.destroy(),
      () => ddb.destroy(),
    );

    // SQS: same redrive, visibility timeouts compressed. Dead-letter queues first, so that redrive policies can name them.
    const queues = new Map<string, { url: string; arn: string }>();
    const ordered = [...ofType('aws:sqs/queue:Queue')].sort((a, b) => Number(!!a.inputs.redrivePolicy) - Number(!!b.inputs.redrivePolicy));
    for (const q of ordered) {
      const attributes: Record<string, string> = {
        VisibilityTimeout: String(Math.max(1, Math.round((q.inputs.visibilityTimeoutSeconds ?? 30) / TIME_COMPRESSION))),
      };
      if (q.inputs.redrivePolicy) {
        const redrive = JSON.parse(q.inputs.redrivePolicy) as { deadLetterTargetArn: string; maxReceiveCount: number };
        const dlq = queues.get(lastSegment(redrive.deadLetterTargetArn));
        if (!dlq) throw new LocalCloudError(`queue ${q.name}: its dead-letter queue ${redrive.deadLetterTargetArn} is not declared`);
        attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: redrive.maxReceiveCount });
      }
      const created = fauxqs.createQueue(q.name, { attributes, region: REGION });
      queues.set(q.name, { url: created.queueUrl, arn: created.queueArn });
    }

    // Lambda: the back-end functions, at the lower priority of this thread.
    const api = apiFunctionNames(resources);
    const functions = new Map<string, LocalFunction>();
    for (const fn of ofType('aws:lambda/function:Function').filter((f) => !api.has(f.name))) {
      const local = new LocalFunction(
        functionSpecFor(fn, endpoints, { logs: setup.functionLogs, background: true }),
        say,
        BACKGROUND_SIZING,
      );
      functions.set(local.spec.arn, local);
      stops.push(() => local.stop());
    }
    const functionFor = (arnOrUri: string): LocalFunction => {
      const fn = functions.get(functionArnIn(arnOrUri));
      if (!fn) throw new LocalCloudError(`no local back-end function for ${arnOrUri} (an API route's function is not run by the back end)`);
      return fn;
    };

    // State machine tasks: Lambda ARNs to local functions, service integrations to the emulators.
    const sm = ofType('aws:sfn/stateMachine:StateMachine')[0];
    const definition = JSON.parse(sm.inputs.definition) as { States: Record<string, { Type: string; Resource?: string }> };
    const sendFaults = (config.faults?.sendToQueue ?? {}) as { errorRate?: number };
    const tasks: Record<string, TaskRunner> = {};
    for (const [stateName, state] of Object.entries(definition.States)) {
      if (state.Type !== 'Task' || !state.Resource) continue;
      const resource = state.Resource;
      if (resource.startsWith('arn:aws:lambda:')) {
        const fn = functionFor(resource);
        tasks[stateName] = lambdaTask((event) => fn.invoke(event));
      } else if (resource === 'arn:aws:states:::sqs:sendMessage') {
        tasks[stateName] = async (p: { QueueUrl: string; MessageBody: unknown }) => {
          const queue = queues.get(lastSegment(p.QueueUrl));
          if (!queue) throw new FunctionError('SQS.AmazonSQSException', `queue ${p.QueueUrl} does not exist`);
          if ((sendFaults.errorRate ?? 0) > 0 && Math.random() < sendFaults.errorRate!) {
            throw new FunctionError('SQS.SdkClientException', 'injected fault in SendToQueue');
          }
          try {
            const body = typeof p.MessageBody === 'string' ? p.MessageBody : JSON.stringify(p.MessageBody);
            const r = await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body }));
            return { MessageId: r.MessageId, MD5OfMessageBody: r.MD5OfMessageBody };
          } catch (e) {
            throw new FunctionError(`SQS.${(e as Error).name}`, (e as Error).message);
          }
        };
      } else if (resource === 'arn:aws:states:::dynamodb:putItem' || resource === 'arn:aws:states:::dynamodb:updateItem') {
        const put = resource.endsWith('putItem');
        tasks[stateName] = async (p: unknown) => {
          try {
            const request = p as PutItemCommandInput & UpdateItemCommandInput; // the task's Parameters, as the ASL renders them
            const { $metadata, ...result } = await (put ? ddb.send(new PutItemCommand(request)) : ddb.send(new UpdateItemCommand(request)));
            void $metadata;
            return result;
          } catch (e) {
            const name = e instanceof ConditionalCheckFailedException ? 'ConditionalCheckFailedException' : (e as Error).name;
            throw new FunctionError(`DynamoDB.${name}`, (e as Error).message);
          }
        };
      } else {
        throw new LocalCloudError(`state ${stateName}: task resource ${resource} has no local counterpart`);
      }
    }
    // A STANDARD state machine keeps each execution's history (GetExecutionHistory); EXPRESS keeps none.
    const keepsHistory = (sm.inputs.type ?? 'STANDARD') === 'STANDARD';
    const runner: ExecutionRunner = makeInterpreter(
      {
        definition,
        tasks,
        retryIntervalMs: Math.round(1000 / TIME_COMPRESSION),
        maxConcurrent: 64,
        ...(keepsHistory ? { history: { roleArn: String(sm.inputs.roleArn ?? ''), region: REGION } } : {}),
      },
      setup.functionLogs ? say : () => undefined,
    );

    // Event source mappings.
    const pollers: LocalPoller[] = [];
    for (const m of ofType('aws:lambda/eventSourceMapping:EventSourceMapping')) {
      const queueArn = m.inputs.eventSourceArn ?? '';
      const queue = queues.get(lastSegment(queueArn));
      if (!queue) throw new LocalCloudError(`mapping ${m.name}: no local queue for its eventSourceArn '${queueArn}'`);
      const fn = functionFor(m.inputs.functionName);
      const poller = new LocalPoller(
        sqs,
        {
          name: m.name,
          queueUrl: queue.url,
          queueArn,
          batchSize: m.inputs.batchSize ?? 10,
          batchWindowMs: Math.round(((m.inputs.maximumBatchingWindowInSeconds ?? 0) * 1000) / TIME_COMPRESSION),
          reportBatchItemFailures: (m.inputs.functionResponseTypes ?? []).includes('ReportBatchItemFailures'),
          invoke: (event) => fn.invoke(event),
          concurrency: 2,
        },
        say,
      );
      poller.start();
      pollers.push(poller);
      stops.push(() => poller.stop());
    }

    // Ready means initialised: a sandbox's init would otherwise compete with the first requests.
    await Promise.all([...functions.values()].map((f) => f.ready()));
    const ready: BackendReady = {
      queues: [...queues.keys()],
      functions: [...functions.values()].map((f) => f.spec.name),
      mappings: pollers.map((p) => `${p.spec.name} (batch ${p.spec.batchSize})`),
      stateMachine: `${sm.name} (${sm.inputs.type ?? 'STANDARD'})`,
    };
    return { ready, runner, stop: () => stops.stopAll() };
  } catch (e) {
    await stops.stopAll();
    throw e;
  }
};

/** The thread's side of the messages with `cloud.ts`: starts fauxqs at once, the rest on `setup`. */
export const serve = (lowerPriority: () => boolean): void => {
  const port = parentPort!;
  const post = (m: FromBackend) => port.postMessage(m);
  const say = (line: string) => post({ type: 'log', line });
  lowerPriority();
  const sqsStarted = startSqs();
  sqsStarted.then(
    (fauxqs) => post({ type: 'listening', sqsEndpoint: fauxqs.address }),
    (e: Error) => post({ type: 'failed', error: { name: e.name, message: `fauxqs did not start: ${e.message}` } }),
  );
  let backend: Awaited<ReturnType<typeof startBackend>> | undefined;
  port.on('message', (m: ToBackend) => {
    if (m.type === 'setup') {
      sqsStarted
        .then((fauxqs) => startBackend(fauxqs, m.setup, say))
        .then(
          (b) => {
            backend = b;
            post({ type: 'ready', ready: b.ready });
          },
          (e: Error) => post({ type: 'failed', error: { name: e.name, message: e.message } }),
        );
    } else if (m.type === 'run') {
      const outcome = backend ? backend.runner.run(m.execution) : Promise.reject(new Error('the back end is not set up'));
      outcome.then(
        (outcome) => post({ type: 'done', id: m.id, outcome }),
        (e: Error) => post({ type: 'done', id: m.id, outcome: { status: 'FAILED', error: 'States.Runtime', cause: e.message } }),
      );
    } else if (m.type === 'stop-execution') {
      void (backend?.runner.stop(m.executionArn, m.reason) ?? Promise.resolve(false)).then(
        (stopped) => post({ type: 'stopped-execution', id: m.id, stopped }),
        () => post({ type: 'stopped-execution', id: m.id, stopped: false }),
      );
    } else if (m.type === 'history') {
      void (backend?.runner.history(m.executionArn) ?? Promise.resolve([])).then(
        (events) => post({ type: 'history', id: m.id, events }),
        () => post({ type: 'history', id: m.id, events: [] }),
      );
    } else if (m.type === 'stop') {
      void (async () => {
        await backend?.stop();
        await (await sqsStarted.catch(() => undefined))?.stop();
        post({ type: 'stopped' });
      })();
    }
  });
};
