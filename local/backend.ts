/**
 * The local cloud's back end: the SQS API (fauxqs), the state machine's interpreter and its tasks, the
 * back-end functions and the event source mappings. It runs in a worker thread of its own at a lower OS
 * priority (`local/priority.js`), started by `cloud.ts`, which keeps the request path (the REST API, its
 * function, the Step Functions endpoint and DynamoDB) on threads of normal priority. On AWS the two run
 * on separate machines; here they share two cores, and a burst of POSTs comes first.
 */
import { randomUUID } from 'crypto';
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
  type Endpoints,
  LocalCloudError,
  REGION,
  Stops,
  TIME_COMPRESSION,
  apiFunctionNames,
  functionArn,
  functionArnIn,
  functionSpecFor,
  lastSegment,
  localMs,
} from './common';
import { FunctionError, LocalFunction } from './functions';
import { MessageMoves } from './messageMoves';
import { Gate, type IamSetup, type Principal, denialMessage, startGateProxy } from './iamGate';
import { type TaskRunner, lambdaTask, makeInterpreter } from './interpreter';
import { type Recorded, mappingUuidOf, ofType as ofTypeIn } from './mockProgram';
import { LocalPoller, type MappingState } from './poller';
import { threadClock } from './runningClock';
import { compressDefinition, visibilityRefusal } from './waits';
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
  /** Where the functions' log groups are kept (local/logs.ts). */
  readonly logDir?: string;
  /** `--redeliveries`: the share of received messages the event source mappings deliver twice (local/poller.ts). */
  readonly redeliveries?: number;
  /** The program's principals (`local/iam.ts`), and which session each function and the state machine run as, by access key id. */
  readonly iam: { readonly setup: IamSetup; readonly functions: Record<string, string>; readonly stateMachine: string };
}

/** What the back end reports once it runs: for the start-up lines. */
export interface BackendReady {
  readonly queues: string[];
  /** The local URL of each queue, by name (what a function's queue URL maps to here). */
  readonly queueUrls: Record<string, string>;
  readonly functions: string[];
  readonly mappings: string[];
  readonly stateMachine: string;
}

export type ToBackend =
  | { type: 'setup'; setup: BackendSetup }
  | { type: 'run'; id: number; execution: ExecutionRequest }
  | { type: 'stop-execution'; id: number; executionArn: string; reason: { error?: string; cause?: string } }
  | { type: 'history'; id: number; executionArn: string }
  | { type: 'mapping'; id: number; uuid: string; enabled?: boolean }
  | { type: 'stop' };

/** An event source mapping as GetEventSourceMapping describes it (the members the local cloud keeps). */
export interface MappingDescription {
  readonly UUID: string;
  readonly State: MappingState;
  readonly StateTransitionReason: string;
  readonly EventSourceArn: string;
  readonly FunctionArn: string;
  readonly BatchSize: number;
}

export type FromBackend =
  | { type: 'listening'; sqsEndpoint: string }
  | { type: 'ready'; ready: BackendReady }
  | { type: 'failed'; error: { name: string; message: string } }
  | { type: 'done'; id: number; outcome: ExecutionOutcome }
  | { type: 'history'; id: number; events: readonly HistoryEvent[] }
  | { type: 'stopped-execution'; id: number; stopped: boolean }
  | { type: 'mapping'; id: number; mapping: MappingDescription | undefined }
  | { type: 'log'; line: string }
  | { type: 'stopped' };

/**
 * A back-end function has one sandbox (of 8 concurrent invocations): the back end is bound by CPU, not by
 * waits, on this machine, so a second sandbox would add memory (about 40 MB), not throughput.
 */
const BACKGROUND_SIZING = { maxSandboxes: 1 };

/** fauxqs, the SQS API, on a free port, behind IAM's gate (whose endpoint is the one everything is given). */
const startSqs = async () => {
  // fauxqs is ESM-only; TypeScript's CommonJS output would turn `import()` into `require()`.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- a constant body, the only way to keep a real import()
  const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<typeof Fauxqs>;
  const { startFauxqs } = await importEsm('fauxqs');
  const fauxqs = await startFauxqs({ port: 0, logger: false, defaultRegion: REGION });
  const gate = new Gate('sqs');
  // Dead-letter queue redrive (message move tasks), which fauxqs lacks, answered at the gate (local/messageMoves.ts).
  const moves = MessageMoves.for(fauxqs.address, REGION);
  const proxy = await startGateProxy(fauxqs.address, gate, (req) => moves.answer(req));
  return {
    fauxqs,
    gate,
    endpoint: proxy.endpoint,
    stop: () =>
      proxy
        .stop()
        .then(() => moves.destroy())
        .then(() => fauxqs.stop()),
  };
};

type Sqs = Awaited<ReturnType<typeof startSqs>>;

/** SDK credentials of a principal's session. */
const credentialsOf = (p: Principal) => ({ accessKeyId: p.accessKeyId, secretAccessKey: p.secretAccessKey, sessionToken: p.sessionToken });

/**
 * The Java SDK's description of a service error, which Step Functions appends to the Cause of a service
 * integration's failure: "<message> (Service: AmazonDynamoDBv2; Status Code: 400; Error Code:
 * AccessDeniedException; Request ID: ...; Proxy: null)" (as LocalStack forms it from AWS's recorded
 * responses, localstack-core stepfunctions state_task_service_dynamodb.py `_error_cause_from_client_error`).
 */
const serviceErrorCause = (service: string, e: Error & { $metadata?: { httpStatusCode?: number; requestId?: string } }, code = e.name) =>
  `${e.message} (Service: ${service}; Status Code: ${e.$metadata?.httpStatusCode ?? 400}; Error Code: ${code}; Request ID: ${
    e.$metadata?.requestId ?? randomUUID()
  }; Proxy: null)`;

/**
 * What the Lambda service checks before it runs a function for a state machine: lambda:InvokeFunction for
 * the state machine's role. A denial fails the task with Lambda.AWSLambdaException, the Cause the
 * AccessDeniedException Lambda answered (403) as the Java SDK describes it (awslabs/aws-deployment-framework#460,
 * a task whose Resource is a function ARN, as here).
 */
const lambdaDenial = (message: string): Error =>
  Object.assign(
    new Error(
      `${message} (Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException; Request ID: ${randomUUID()}; Proxy: null)`,
    ),
    { name: 'Lambda.AWSLambdaException' },
  );

/**
 * The actions an SQS event source mapping needs from its function's execution role. Lambda checks them when
 * the mapping is created and refuses it with InvalidParameterValueException "The function execution role
 * does not have permissions to call ReceiveMessage on SQS" (anomalyco/sst#5737; earlier "The provided
 * execution role ...", aws/aws-cdk#6770, and DeleteMessage in functionalone/serverless-iam-roles-per-function#21),
 * so `pulumi up` fails; the list is "Lambda execution role permissions" in
 * https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html.
 */
const MAPPING_ACTIONS = ['ReceiveMessage', 'DeleteMessage', 'GetQueueAttributes'] as const;

/**
 * Materialises the back end from the declared resources: queues with their compressed visibility
 * timeouts and redrive policies, the functions no API route invokes, the state machine's tasks (Lambda
 * ARNs to local functions, service integrations to the emulators) and the event source mappings.
 */
export const startBackend = async ({ fauxqs, gate }: Sqs, setup: BackendSetup, say: (line: string) => void) => {
  const { resources, config } = setup;
  const ofType = <T extends Parameters<typeof ofTypeIn>[1]>(type: T) => ofTypeIn(resources, type);
  const stops = new Stops();
  const { endpoints } = setup;
  try {
    // IAM: this thread's gate (SQS) enforces the principals from now on; its decisions also serve the
    // state machine's Lambda tasks and the mappings' check below.
    const authorizer = gate.use(setup.iam.setup, ['lambda']);
    const principal = (accessKeyId: string) => authorizer.principalOf(accessKeyId)!;
    const workflow = principal(setup.iam.stateMachine);
    // The state machine's service integrations run as its role's session.
    const sqs = new SQSClient({ endpoint: endpoints.sqs, region: REGION, credentials: credentialsOf(workflow) });
    const ddb = new DynamoDBClient({ endpoint: endpoints.dynamodb, region: REGION, credentials: credentialsOf(workflow) });
    stops.push(
      () => sqs.destroy(),
      () => ddb.destroy(),
    );

    // SQS: same redrive, visibility timeouts compressed. Dead-letter queues first, so that redrive policies can name them.
    const queues = new Map<string, { url: string; arn: string; visibilityTimeoutSeconds: number }>();
    const ordered = [...ofType('aws:sqs/queue:Queue')].sort((a, b) => Number(!!a.inputs.redrivePolicy) - Number(!!b.inputs.redrivePolicy));
    for (const q of ordered) {
      const attributes: Record<string, string> = {
        // SQS counts visibility in whole seconds (fauxqs parses it as an integer): rounded up, never below the compressed value.
        VisibilityTimeout: String(Math.ceil((q.inputs.visibilityTimeoutSeconds ?? 30) / TIME_COMPRESSION)),
      };
      if (q.inputs.redrivePolicy) {
        const redrive = JSON.parse(q.inputs.redrivePolicy) as { deadLetterTargetArn: string; maxReceiveCount: number };
        const dlq = queues.get(lastSegment(redrive.deadLetterTargetArn));
        if (!dlq) throw new LocalCloudError(`queue ${q.name}: its dead-letter queue ${redrive.deadLetterTargetArn} is not declared`);
        attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: redrive.maxReceiveCount });
      }
      const created = fauxqs.createQueue(q.name, { attributes, region: REGION });
      queues.set(q.name, {
        url: created.queueUrl,
        arn: created.queueArn,
        visibilityTimeoutSeconds: q.inputs.visibilityTimeoutSeconds ?? 30,
      });
    }

    // Lambda: the back-end functions, at the lower priority of this thread.
    const api = apiFunctionNames(resources);
    const functions = new Map<string, LocalFunction>();
    for (const fn of ofType('aws:lambda/function:Function').filter((f) => !api.has(f.name))) {
      const credentials = principal(setup.iam.functions[functionArn(fn.name)]);
      const local = new LocalFunction(
        functionSpecFor(fn, endpoints, {
          logs: setup.functionLogs,
          background: true,
          credentials,
          queueUrls: Object.fromEntries([...queues].map(([name, q]) => [name, q.url])),
          logDir: setup.logDir,
        }),
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
    const definition = JSON.parse(sm.inputs.definition) as {
      States: Record<string, { Type: string; Resource?: string; TimeoutSeconds?: number }>;
    };
    const sendFaults = config.faults?.sendToQueue ?? {};
    let sendTimeouts = 0;
    const tasks: Record<string, TaskRunner> = {};
    for (const [stateName, state] of Object.entries(definition.States)) {
      if (state.Type !== 'Task' || !state.Resource) continue;
      const resource = state.Resource;
      if (resource.startsWith('arn:aws:lambda:')) {
        const fn = functionFor(resource);
        tasks[stateName] = lambdaTask(async (event) => {
          const denial = await authorizer.authorize(workflow, 'lambda:InvokeFunction', fn.spec.arn);
          if (denial) throw lambdaDenial(denialMessage(denial));
          return fn.invoke(event);
        });
      } else if (resource === 'arn:aws:states:::sqs:sendMessage') {
        // An injected timeout hangs for twice the task's (compressed) timeout, on the clock the task's timeout
        // counts on (local/interpreter.ts withTimeout): the task times out first, however busy this thread is.
        const hangMs = 2 * localMs(state.TimeoutSeconds ?? 60);
        const hang = () => new Promise<void>((resolve) => threadClock.after(hangMs, resolve));
        tasks[stateName] = async (p: { QueueUrl: string; MessageBody: unknown }) => {
          const queue = queues.get(lastSegment(p.QueueUrl));
          if (!queue) throw new FunctionError('SQS.AmazonSQSException', `queue ${p.QueueUrl} does not exist`);
          if ((sendFaults.errorRate ?? 0) > 0 && Math.random() < sendFaults.errorRate!) {
            throw new FunctionError('SQS.SdkClientException', 'injected fault in SendToQueue');
          }
          // An SQS call that times out may have been lost on its way (nothing sent) or on its way back (sent, the
          // answer lost, so a retry sends the message again): injected timeouts alternate between the two.
          const timesOut = (sendFaults.timeoutRate ?? 0) > 0 && Math.random() < sendFaults.timeoutRate!;
          const answerLost = timesOut && sendTimeouts++ % 2 === 1;
          if (timesOut && !answerLost) {
            await hang();
            throw new FunctionError('SQS.SdkClientException', 'injected timeout in SendToQueue: the request was lost');
          }
          try {
            const body = typeof p.MessageBody === 'string' ? p.MessageBody : JSON.stringify(p.MessageBody);
            const r = await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body }));
            if (answerLost) await hang();
            return { MessageId: r.MessageId, MD5OfMessageBody: r.MD5OfMessageBody };
          } catch (e) {
            // A service error reaches Step Functions as the Java SDK's AmazonSQSException (the name the
            // SendToQueue retry already matches; LocalStack's state_task_service_sqs.py _ERROR_NAME_AWS).
            if ((e as Error).name === 'AccessDenied') {
              throw new FunctionError('SQS.AmazonSQSException', serviceErrorCause('AmazonSQS', e as Error, 'AccessDenied'));
            }
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
            throw new FunctionError(`DynamoDB.${name}`, serviceErrorCause('AmazonDynamoDBv2', e as Error, name));
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
        interpreted: compressDefinition(definition),
        tasks,
        maxConcurrent: 64,
        ...(keepsHistory ? { history: { roleArn: String(sm.inputs.roleArn ?? ''), region: REGION } } : {}),
      },
      setup.functionLogs ? say : () => undefined,
    );

    // Event source mappings.
    const pollers: LocalPoller[] = [];
    const pollerUuids: string[] = [];
    const pollerFunctions: string[] = [];
    for (const m of ofType('aws:lambda/eventSourceMapping:EventSourceMapping')) {
      const queueArn = m.inputs.eventSourceArn ?? '';
      const queue = queues.get(lastSegment(queueArn));
      if (!queue) throw new LocalCloudError(`mapping ${m.name}: no local queue for its eventSourceArn '${queueArn}'`);
      const fn = functionFor(m.inputs.functionName);
      const refusal = visibilityRefusal(m.name, queue.visibilityTimeoutSeconds, fn.spec.timeoutSeconds);
      if (refusal) throw new LocalCloudError(refusal);
      // Lambda polls with the function's execution role, and refuses the mapping if the role cannot.
      const role = principal(setup.iam.functions[fn.spec.arn]);
      for (const action of MAPPING_ACTIONS) {
        if (await authorizer.authorize(role, `sqs:${action}`, queueArn)) {
          throw new LocalCloudError(
            `mapping ${m.name}: InvalidParameterValueException: The function execution role does not have permissions to call ${action} on SQS ` +
              `(role ${role.roleName} has no sqs:${action} on ${queueArn}; Lambda refuses the mapping, so pulumi up fails)`,
          );
        }
      }
      const maximumConcurrency = m.inputs.scalingConfig?.maximumConcurrency;
      if (
        maximumConcurrency !== undefined &&
        !(Number.isInteger(maximumConcurrency) && maximumConcurrency >= 2 && maximumConcurrency <= 1000)
      ) {
        // API_ScalingConfig: "Minimum value of 2. Maximum value of 1000."
        throw new LocalCloudError(
          `mapping ${m.name}: InvalidParameterValueException: ScalingConfig.MaximumConcurrency is ${maximumConcurrency}: expected 2 to 1000 ` +
            '(https://docs.aws.amazon.com/lambda/latest/api/API_ScalingConfig.html)',
        );
      }
      const pollerSqs = new SQSClient({ endpoint: endpoints.sqs, region: REGION, credentials: credentialsOf(role) });
      stops.push(() => pollerSqs.destroy());
      const poller = new LocalPoller(
        pollerSqs,
        {
          name: m.name,
          queueUrl: queue.url,
          queueArn,
          batchSize: m.inputs.batchSize ?? 10,
          batchWindowMs: localMs(m.inputs.maximumBatchingWindowInSeconds ?? 0),
          reportBatchItemFailures: (m.inputs.functionResponseTypes ?? []).includes('ReportBatchItemFailures'),
          invoke: (event) => fn.invoke(event),
          // At most the mapping's maximumConcurrency, as Lambda scales SQS pollers
          // (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html); two on this machine.
          concurrency: Math.min(2, maximumConcurrency ?? 2),
          redeliveryRate: setup.redeliveries ?? 0,
        },
        say,
      );
      poller.start();
      pollers.push(poller);
      pollerUuids.push(mappingUuidOf(m.name));
      pollerFunctions.push(fn.spec.arn);
      stops.push(() => poller.stop());
    }

    // Ready means initialised: a sandbox's init would otherwise compete with the first requests.
    await Promise.all([...functions.values()].map((f) => f.ready()));
    const ready: BackendReady = {
      queues: [...queues.keys()],
      queueUrls: Object.fromEntries([...queues].map(([name, q]) => [name, q.url])),
      functions: [...functions.values()].map((f) => f.spec.name),
      mappings: pollers.map((p) => `${p.spec.name} (batch ${p.spec.batchSize})`),
      stateMachine: `${sm.name} (${sm.inputs.type ?? 'STANDARD'})`,
    };
    /** GetEventSourceMapping, or UpdateEventSourceMapping `Enabled` first: undefined for an unknown UUID. */
    const mapping = (uuid: string, enabled?: boolean): MappingDescription | undefined => {
      const i = pollerUuids.indexOf(uuid);
      if (i < 0) return undefined;
      const p = pollers[i];
      if (enabled !== undefined) p.setEnabled(enabled);
      return {
        UUID: uuid,
        State: p.state,
        StateTransitionReason: 'USER_INITIATED',
        EventSourceArn: p.spec.queueArn,
        FunctionArn: pollerFunctions[i],
        BatchSize: p.spec.batchSize,
      };
    };
    return { ready, runner, mapping, stop: () => stops.stopAll() };
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
    (sqs) => post({ type: 'listening', sqsEndpoint: sqs.endpoint }),
    (e: Error) => post({ type: 'failed', error: { name: e.name, message: `fauxqs did not start: ${e.message}` } }),
  );
  let backend: Awaited<ReturnType<typeof startBackend>> | undefined;
  port.on('message', (m: ToBackend) => {
    if (m.type === 'setup') {
      sqsStarted
        .then((sqs) => startBackend(sqs, m.setup, say))
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
    } else if (m.type === 'mapping') {
      post({ type: 'mapping', id: m.id, mapping: backend?.mapping(m.uuid, m.enabled) });
    } else if (m.type === 'stop') {
      void (async () => {
        await backend?.stop();
        await (await sqsStarted.catch(() => undefined))?.stop();
        post({ type: 'stopped' });
      })();
    }
  });
};
