import { fork } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { BackendReady, BackendSetup, FromBackend, MappingDescription, ToBackend } from './backend';
import {
  CREDENTIALS,
  LocalCloudError,
  REGION,
  ACCOUNT,
  Stops,
  TIME_COMPRESSION,
  apiFunctionNames,
  functionArn,
  functionArnIn,
  functionSpecFor,
  lastSegment,
  logGroupOf,
} from './common';
import { type LocalCloudFile, localCloudFile } from './discovery';
import { startLocalLambdaApi } from './lambdaApi';
import { startLocalLogs } from './logs';
import { LocalFunction } from './functions';
import { type Route, LocalGateway } from './gateway';
import { localPrincipals, parseRevocation } from './iam';
import { Gate, type IamSetup, startGateProxy } from './iamGate';
import { type InputsByType, type Recorded, type RecordedOf, ofType } from './mockProgram';
import { ROOT, knownStacks, stackConfig } from './stacks';
import type { HistoryEvent } from './executionHistory';
import { type ExecutionOutcome, type ExecutionRunner, LocalStepFunctions } from './stepFunctions';
import { ensureTables } from './tables';
import { functionWaits } from './waits';
import type { StackConfig } from '../config';
import type { StackOutputs } from '../ops/outputs';

export { LocalCloudError, TIME_COMPRESSION };

export interface LocalCloudOptions {
  readonly stack: string;
  readonly port: number;
  /** Keep DynamoDB data under `<dataRoot>/<stack>/dynamodb` between runs. */
  readonly persist: boolean;
  /** Where `persist` keeps data (default `.dofs` in the project). */
  readonly dataRoot?: string;
  /** Stack config overrides, `dofs:key` → value (as `pulumi config set` would store it). */
  readonly config?: Record<string, string>;
  /** Where progress and function logs go. */
  readonly log: (line: string) => void;
  /** Show function log lines. */
  readonly functionLogs: boolean;
  /** Fault injection: grants to take away from the declared roles, as `ROLE:ACTION` (`--revoke`). */
  readonly revoke?: readonly string[];
  /**
   * At-least-once chaos (`--duplicate-executions`): the share of an EXPRESS state machine's executions run a
   * second time (local/stepFunctions.ts); a STANDARD one ignores it, and says so. @default 0
   */
  readonly duplicateExecutions?: number;
  /** At-least-once chaos (`--redeliveries`): the share of received messages the event source mappings deliver twice (local/poller.ts). @default 0 */
  readonly redeliveries?: number;
}

/** Resource types the local cloud materialises; anything else is listed at startup as not emulated. */
const EMULATED = new Set([
  'aws:dynamodb/table:Table',
  'aws:iam/policy:Policy',
  'aws:iam/role:Role',
  'aws:iam/rolePolicy:RolePolicy',
  'aws:iam/rolePolicyAttachment:RolePolicyAttachment',
  'aws:sqs/queue:Queue',
  'aws:lambda/function:Function',
  'aws:lambda/eventSourceMapping:EventSourceMapping',
  'aws:sfn/stateMachine:StateMachine',
  'aws:apigateway/restApi:RestApi',
  'aws:apigateway/resource:Resource',
  'aws:apigateway/method:Method',
  'aws:apigateway/integration:Integration',
  'aws:apigateway/model:Model',
  'aws:apigateway/requestValidator:RequestValidator',
  'aws:apigateway/response:Response',
  'random:index/randomBytes:RandomBytes',
  'aws:apigateway/stage:Stage',
  'aws:scheduler/schedule:Schedule',
]);

/** A schedule's rate in milliseconds: `rate(N unit)` (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#rate-based). */
export const rateMs = (expression: string): number => {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (!m) throw new LocalCloudError(`schedule expression '${expression}': the local cloud runs rate(N minutes|hours|days) only`);
  const unit = m[2].startsWith('minute') ? 60_000 : m[2].startsWith('hour') ? 3_600_000 : 86_400_000;
  return Number(m[1]) * unit;
};

export { knownStacks };

/** A function behind the REST API: both sandboxes started with it, and room to allocate between scavenges. */
const API_SIZING = { maxSandboxes: 2, warmSandboxes: 2, youngGenerationMb: 32 };

/**
 * dynalite (in memory, or on LevelDB under `dataDir`) in a worker thread of its own, behind IAM's gate:
 * resolves its port, and `useIam` hands the gate the program's principals (resolved once it enforces them).
 */
const startDynalite = async (dataDir: string | undefined, stops: Stops) => {
  if (dataDir) fs.mkdirSync(dataDir, { recursive: true });
  const worker = new Worker(path.join(__dirname, 'dynamoWorker.js'), { workerData: { path: dataDir }, execArgv: [] });
  const replies = (type: string) =>
    new Promise<{ port?: number }>((resolve) => {
      const on = (m: { type: string; port?: number }) => {
        if (m.type !== type) return;
        worker.off('message', on);
        resolve(m);
      };
      worker.on('message', on);
    });
  stops.push(async () => {
    const stopped = replies('stopped');
    worker.postMessage({ type: 'stop' });
    await stopped;
    await worker.terminate();
  });
  const port = await Promise.race([
    replies('listening').then((m) => m.port!),
    new Promise<never>((_, reject) => worker.once('error', reject)),
  ]);
  return {
    port,
    useIam: async (setup: IamSetup) => {
      const ready = replies('iam-ready');
      worker.postMessage({ type: 'iam', setup });
      await ready;
    },
  };
};

/**
 * The back-end thread (`local/backend.ts`): fauxqs starts at once and its endpoint resolves; `setup`
 * materialises the rest once the program's resources are known; `run` carries out an execution there.
 */
const startBackendThread = async (log: (line: string) => void, stops: Stops) => {
  // Not the host's loaders (`-r ...`): the thread registers its own (see backendThread.js).
  const worker = new Worker(path.join(__dirname, 'backendThread.js'), { execArgv: [] });
  const runs = new Map<number, (outcome: ExecutionOutcome) => void>();
  const histories = new Map<number, (events: readonly HistoryEvent[]) => void>();
  const stopped = new Map<number, (stopped: boolean) => void>();
  const mappings = new Map<number, (mapping: MappingDescription | undefined) => void>();
  let nextRequest = 0;
  let onReady: { resolve: (r: BackendReady) => void; reject: (e: Error) => void } | undefined;
  let onListening: { resolve: (endpoint: string) => void; reject: (e: Error) => void } | undefined;
  let onStopped: (() => void) | undefined;
  const fail = (e: Error) => {
    onListening?.reject(e);
    onReady?.reject(e);
    for (const [id, resolve] of runs) {
      runs.delete(id);
      resolve({ status: 'FAILED', error: 'States.Runtime', cause: `the local back end failed: ${e.message}` });
    }
    for (const [id, resolve] of histories) {
      histories.delete(id);
      resolve([]);
    }
    for (const [id, resolve] of stopped) {
      stopped.delete(id);
      resolve(false);
    }
    for (const [id, resolve] of mappings) {
      mappings.delete(id);
      resolve(undefined);
    }
  };
  worker.on('message', (m: FromBackend) => {
    if (m.type === 'listening') onListening?.resolve(m.sqsEndpoint);
    else if (m.type === 'ready') onReady?.resolve(m.ready);
    else if (m.type === 'failed')
      fail(
        m.error.name === 'LocalCloudError'
          ? new LocalCloudError(m.error.message)
          : Object.assign(new Error(m.error.message), { name: m.error.name }),
      );
    else if (m.type === 'log') log(m.line);
    else if (m.type === 'stopped') onStopped?.();
    else if (m.type === 'done') {
      runs.get(m.id)?.(m.outcome);
      runs.delete(m.id);
    } else if (m.type === 'history') {
      histories.get(m.id)?.(m.events);
      histories.delete(m.id);
    } else if (m.type === 'stopped-execution') {
      stopped.get(m.id)?.(m.stopped);
      stopped.delete(m.id);
    } else if (m.type === 'mapping') {
      mappings.get(m.id)?.(m.mapping);
      mappings.delete(m.id);
    }
  });
  let stopping = false;
  worker.on('error', (e) => {
    log(`local back end failed: ${e.stack ?? e.message}`);
    fail(e);
  });
  worker.on('exit', (code) => {
    if (!stopping) fail(new Error(`the back-end thread exited (code ${code})`));
  });
  const send = (m: ToBackend) => worker.postMessage(m);
  stops.push(async () => {
    stopping = true;
    await Promise.race([new Promise<void>((r) => ((onStopped = r), send({ type: 'stop' }))), new Promise((r) => setTimeout(r, 5000))]);
    await worker.terminate();
  });
  const sqsEndpoint = await new Promise<string>((resolve, reject) => (onListening = { resolve, reject }));
  // Messages keep their order: a history asked for after a StopExecution already ends with ExecutionAborted.
  const runner: ExecutionRunner = {
    run: (execution) =>
      new Promise<ExecutionOutcome>((resolve) => {
        const id = nextRequest++;
        runs.set(id, resolve);
        send({ type: 'run', id, execution });
      }),
    // The back end answers after any 'done' it sent before: a false comes with the outcome delivered.
    stop: (executionArn, reason) =>
      new Promise<boolean>((resolve) => {
        const id = nextRequest++;
        stopped.set(id, resolve);
        send({ type: 'stop-execution', id, executionArn, reason });
      }),
    history: (executionArn) =>
      new Promise<readonly HistoryEvent[]>((resolve) => {
        const id = nextRequest++;
        histories.set(id, resolve);
        send({ type: 'history', id, executionArn });
      }),
  };
  return {
    sqsEndpoint,
    setup: (setup: BackendSetup) =>
      new Promise<BackendReady>((resolve, reject) => {
        onReady = { resolve, reject };
        send({ type: 'setup', setup });
      }),
    runner,
    /** GetEventSourceMapping, or UpdateEventSourceMapping `Enabled` (local/lambdaApi.ts). */
    mapping: (uuid: string, enabled?: boolean) =>
      new Promise<MappingDescription | undefined>((resolve) => {
        const id = nextRequest++;
        mappings.set(id, resolve);
        send({ type: 'mapping', id, uuid, ...(enabled === undefined ? {} : { enabled }) });
      }),
  };
};

/**
 * Runs the Pulumi program for `stack` under the mock monitor and materialises what it declares. On this
 * (normal priority) thread: the REST API on 127.0.0.1, its functions in worker threads, the Step
 * Functions endpoint, and dynalite in a worker of its own. In the back-end thread at a lower priority
 * (`local/backend.ts`): queues in fauxqs, the state machine's interpreter, the other functions and the
 * event source mappings as pollers.
 */
export const startLocalCloud = async (opts: LocalCloudOptions) => {
  const stacks = knownStacks();
  if (!stacks.includes(opts.stack)) {
    throw new LocalCloudError(`unknown stack '${opts.stack}': expected one of ${stacks.join(', ')} (a Pulumi.<stack>.yaml file)`);
  }
  const say = opts.log;
  const stops = new Stops();
  const revocations = (opts.revoke ?? []).map(parseRevocation);

  try {
    say(`dofs local cloud: running the program for stack '${opts.stack}' under the mock monitor...`);
    // Under the project, so that the bundles resolve the AWS SDK from its node_modules as Lambda's runtime
    // provides it; one directory per process, so that several local clouds can run side by side.
    const bundlesDir = path.join(ROOT, '.dofs', 'run', `${opts.stack}-${process.pid}`);
    stops.push(() => fs.rmSync(bundlesDir, { recursive: true, force: true }));
    // The program run takes most of the start-up and has a process of its own: the emulators start meanwhile.
    const stackDir = path.join(opts.dataRoot ? path.resolve(opts.dataRoot) : path.join(ROOT, '.dofs'), opts.stack);
    const dataDir = path.join(stackDir, 'dynamodb');
    const synthesis = synthInChild(
      opts.stack,
      { ...stackConfig(opts.stack), ...opts.config },
      bundlesDir,
      opts.persist ? path.join(stackDir, 'random') : undefined,
    );
    synthesis.catch(() => undefined); // awaited below; a failure must not surface before then as unhandled
    const [dynamo, backend] = await Promise.all([startDynalite(opts.persist ? dataDir : undefined, stops), startBackendThread(say, stops)]);
    const s = await synthesis;
    // CloudWatch Logs: the log groups' events, kept with the data under --persist (local/logs.ts).
    const logDir = opts.persist ? path.join(stackDir, 'logs') : path.join(bundlesDir, 'logs');

    const skipped = new Map<string, number>();
    for (const r of s.resources) {
      if (!EMULATED.has(r.type) && !r.type.startsWith('dofs:')) skipped.set(r.type, (skipped.get(r.type) ?? 0) + 1);
    }
    say(`  not emulated (no local counterpart): ${[...skipped].map(([t, n]) => `${t.split(':').pop()} ×${n}`).join(', ')}`);

    // IAM: a session of each function's execution role and of the state machine's role, with the policies
    // the program gives them; every gate evaluates their calls from here on (local/iamGate.ts).
    const principals = localPrincipals(s.resources, revocations);
    await dynamo.useIam(principals.setup);
    const roles = new Set(principals.setup.principals.map((p) => p.roleName));
    say(
      `  IAM: the calls of ${roles.size} declared roles evaluated against their policies (iam-simulate)${
        revocations.length > 0 ? `; revoked: ${revocations.map((r) => `${r.role}:${r.action}`).join(', ')}` : ''
      }`,
    );

    const dynamoEndpoint = `http://127.0.0.1:${dynamo.port}`;
    const ddb = new DynamoDBClient({ endpoint: dynamoEndpoint, region: REGION, credentials: CREDENTIALS });
    stops.push(() => ddb.destroy());
    // Each table with its global secondary indexes; one kept from a --persist run gets those it lacks (local/tables.ts).
    for (const note of await ensureTables(ddb, s.ofType('aws:dynamodb/table:Table'))) say(`  DynamoDB: ${note}`);
    say(
      `  DynamoDB (dynalite${opts.persist ? `, data in ${path.relative(process.cwd(), dataDir)}` : ', in memory'}): ${dynamoEndpoint}, tables ${s
        .ofType('aws:dynamodb/table:Table')
        .map((t) => t.name)
        .join(', ')}`,
    );

    // The Step Functions endpoint is needed in the functions' environment, so it listens before they start.
    const smResource = s.ofType('aws:sfn/stateMachine:StateMachine')[0];
    const type = smResource.inputs.type ?? 'STANDARD';
    if (type !== 'STANDARD' && type !== 'EXPRESS') {
      throw new LocalCloudError(`state machine ${smResource.name}: type '${type}' is not allowed (STANDARD or EXPRESS)`);
    }
    const sfn = new LocalStepFunctions(
      {
        arn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${smResource.name}`,
        name: smResource.name,
        type,
        definition: smResource.inputs.definition,
        roleArn: String(smResource.inputs.roleArn ?? ''),
        creationDate: Date.now(),
        ...observabilityOf(smResource.inputs),
      },
      backend.runner,
      { duplicateExecutions: opts.duplicateExecutions ?? 0, log: say },
    );
    if ((opts.duplicateExecutions ?? 0) > 0) {
      say(
        type === 'EXPRESS'
          ? `  Step Functions: --duplicate-executions ${opts.duplicateExecutions}: that share of executions runs twice, alternately at once and after the first (EXPRESS runs at least once)`
          : `  Step Functions: --duplicate-executions ${opts.duplicateExecutions} ignored: ${smResource.name} is STANDARD, which runs each execution exactly once`,
      );
    }
    await sfn.listen();
    stops.push(() => sfn.stop());
    // Its IAM gate: the endpoint the functions (and clients) are given.
    const sfnGate = new Gate('states');
    sfnGate.use(principals.setup);
    const sfnProxy = await startGateProxy(sfn.endpoint, sfnGate);
    stops.push(() => sfnProxy.stop());
    const endpoints = { dynamodb: dynamoEndpoint, sqs: backend.sqsEndpoint, sfn: sfnProxy.endpoint };

    const back = await backend.setup({
      resources: s.resources,
      config: s.config,
      endpoints,
      functionLogs: opts.functionLogs,
      logDir,
      redeliveries: opts.redeliveries ?? 0,
      iam: {
        setup: principals.setup,
        functions: Object.fromEntries([...principals.functions].map(([arn, p]) => [arn, p.accessKeyId])),
        stateMachine: principals.stateMachine.accessKeyId,
      },
    });
    say(
      `  SQS (fauxqs): ${backend.sqsEndpoint}, queues ${back.queues.join(', ')} (visibility timeouts ÷${TIME_COMPRESSION}, in whole seconds)` +
        ((opts.redeliveries ?? 0) > 0
          ? `; --redeliveries ${opts.redeliveries}: that share of received messages is delivered twice (standard queues deliver at least once)`
          : ''),
    );

    // Lambda: the functions behind the REST API here, with both their sandboxes started (a first burst of
    // requests would otherwise pay a cold start on this machine's two cores); the back end runs the others.
    const api = apiFunctionNames(s.resources);
    const functionsByArn = new Map<string, LocalFunction>();
    for (const fn of s.ofType('aws:lambda/function:Function').filter((f) => api.has(f.name))) {
      const credentials = principals.functions.get(functionArn(fn.name))!;
      const local = new LocalFunction(
        functionSpecFor(fn, endpoints, { logs: opts.functionLogs, background: false, credentials, queueUrls: back.queueUrls, logDir }),
        say,
        API_SIZING,
      );
      functionsByArn.set(local.spec.arn, local);
      stops.push(() => local.stop());
    }
    await Promise.all([...functionsByArn.values()].map((f) => f.ready()));
    say(
      `  Lambda (worker threads): ${[...functionsByArn.values()].map((f) => f.spec.name).join(', ')} (request path); ${back.functions.join(', ')} (back end, lower OS priority)`,
    );
    say(
      `  Step Functions (aws-local-stepfunctions): ${back.stateMachine}, endpoint ${sfnProxy.endpoint} (task timeouts and retry backoff ÷${TIME_COMPRESSION})`,
    );
    // The waits a user of the local cloud meets, computed from the program (CONTRACT.md: one factor, a 10 s bound).
    for (const w of functionWaits(s.resources)) {
      say(
        `  ${w.name}: timeout ${w.timeoutMs.toFixed(0)} ms, called by ${w.calledBy}` +
          (w.worstMs === undefined
            ? ''
            : `; if every call times out an order waits at most ${(w.worstMs / 1000).toFixed(1)} s (${w.path})`),
      );
    }
    say(`  event source mappings: ${back.mappings.join(', ')}`);
    const functionFor = (arnOrUri: string): LocalFunction => {
      const fn = functionsByArn.get(functionArnIn(arnOrUri));
      if (!fn) throw new LocalCloudError(`no local function for ${arnOrUri}`);
      return fn;
    };

    // The REST API.
    const gateway = new LocalGateway(gatewaySpec(s.resources, functionFor));
    try {
      await gateway.listen(opts.port);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new LocalCloudError(`port ${opts.port} on 127.0.0.1 is taken: stop what uses it or pass --port <another>`);
      }
      throw e;
    }
    stops.push(() => gateway.stop());

    // EventBridge Scheduler: each schedule invokes its target with its input at its rate (compressed). Orders a
    // crashed run left in flight have nothing running them: with --persist, one pass re-drives them all now.
    const schedules = s.resources.filter((r) => r.type === 'aws:scheduler/schedule:Schedule');
    for (const sch of schedules) {
      const target = sch.inputs.target as { arn: string; input?: string };
      const fn = functionFor(target.arn);
      const input = JSON.parse(target.input ?? '{}') as Record<string, unknown>;
      const everyMs = rateMs(sch.inputs.scheduleExpression as string) / TIME_COMPRESSION;
      if (opts.persist && input.dofs === 'reconcile') {
        try {
          const report = (await fn.invoke({ ...input, olderThanSeconds: 0 })) as
            { found?: number; actions?: { action: string }[] } | undefined;
          const redriven = (report?.actions ?? []).filter((a) => a.action === 'RESTARTED_WORKFLOW' || a.action === 'RESENT_MESSAGE').length;
          say(`  reconciler: found ${report?.found ?? 0} orders in flight from the last run; re-drove ${redriven}`);
        } catch (e) {
          // The schedule goes on: its next run re-drives what this one could not.
          say(`  reconciler: the start-up pass failed (${(e as Error).message}); the schedule retries`);
        }
      }
      const timer = setInterval(() => {
        fn.invoke(input).catch((e: Error) => say(`  schedule ${sch.name}: ${e.message}`));
      }, everyMs);
      timer.unref();
      stops.push(() => clearInterval(timer));
      say(
        `  EventBridge Scheduler: ${sch.name} invokes ${fn.spec.name} every ${(everyMs / 1000).toFixed(0)} s (${sch.inputs.scheduleExpression as string} ÷${TIME_COMPRESSION})`,
      );
    }

    // The operator's commands (`npm run ops -- --local`) find this cloud from the file below: its endpoints,
    // and the stack outputs as `pulumi stack output --json` prints them, with this cloud's URLs and waits.
    const logGroups = new Set([
      ...s.ofType('aws:lambda/function:Function').map(logGroupOf),
      ...Object.values(s.outputs.operations.logGroups),
    ]);
    const logs = await startLocalLogs(logDir, logGroups);
    stops.push(() => logs.stop());
    const lambdaApi = await startLocalLambdaApi(backend.mapping);
    stops.push(() => lambdaApi.stop());
    const localQueueUrl = (url: string) => back.queueUrls[lastSegment(url)] ?? url;
    const discovery: LocalCloudFile = {
      pid: process.pid,
      stack: opts.stack,
      region: REGION,
      endpoints: {
        dynamodb: dynamoEndpoint,
        sqs: backend.sqsEndpoint,
        sfn: sfnProxy.endpoint,
        logs: logs.endpoint,
        lambda: lambdaApi.endpoint,
      },
      outputs: {
        ...s.outputs,
        apiUrl: gateway.url,
        queueUrl: localQueueUrl(s.outputs.queueUrl),
        dlqUrl: localQueueUrl(s.outputs.dlqUrl),
        stateMachineArn: sfn.spec.arn,
        operations: {
          ...s.outputs.operations,
          region: REGION,
          // A wait, compressed as every other here (the deployed functions' STUCK_AFTER_SECONDS is too).
          stuckOrderMinutes: s.outputs.operations.stuckOrderMinutes / TIME_COMPRESSION,
        },
      },
    };
    const discoveryFile = localCloudFile(opts.dataRoot, opts.stack);
    fs.mkdirSync(path.dirname(discoveryFile), { recursive: true });
    fs.writeFileSync(discoveryFile, JSON.stringify(discovery, null, 2));
    stops.push(() => {
      // Only this process's own file: a later cloud of the same stack may have written its own since.
      const now = fs.existsSync(discoveryFile) ? (JSON.parse(fs.readFileSync(discoveryFile, 'utf8')) as LocalCloudFile) : undefined;
      if (now?.pid === process.pid) fs.rmSync(discoveryFile, { force: true });
    });

    return {
      url: gateway.url,
      logsEndpoint: logs.endpoint,
      sfnEndpoint: sfnProxy.endpoint,
      sqsEndpoint: backend.sqsEndpoint,
      dynamoEndpoint,
      stateMachineArn: sfn.spec.arn,
      stop: () => stops.stopAll(),
    };
  } catch (e) {
    await stops.stopAll();
    throw e;
  }
};

export type LocalCloud = Awaited<ReturnType<typeof startLocalCloud>>;

/** The program's resources and config, from `local/synthProcess.ts` in a child process. */
const synthInChild = (stack: string, raw: Record<string, string>, bundlesDir: string, randomDir: string | undefined) =>
  new Promise<{
    resources: Recorded[];
    config: StackConfig;
    outputs: StackOutputs;
    ofType: <T extends keyof InputsByType>(type: T) => RecordedOf<T>[];
  }>((resolve, reject) => {
    const child = fork(path.join(__dirname, 'synthProcess.ts'), [JSON.stringify({ stack, raw, bundlesDir, randomDir })], {
      cwd: ROOT,
      execArgv: ['-r', 'ts-node/register/transpile-only'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let settled = false;
    child.once(
      'message',
      (m: {
        result?: { resources: Recorded[]; config: StackConfig; outputs: StackOutputs };
        error?: { name: string; message: string };
      }) => {
        settled = true;
        if (m.error) return reject(Object.assign(new Error(m.error.message), { name: m.error.name }));
        const resources = m.result!.resources;
        resolve({ resources, config: m.result!.config, outputs: m.result!.outputs, ofType: (type) => ofType(resources, type) });
      },
    );
    child.once('exit', (code) => {
      if (!settled) reject(new Error(`the program run exited with ${code} before it reported`));
    });
  });

/**
 * A declared state machine's logging and tracing in DescribeStateMachine's shape: Pulumi's `logDestination`
 * is the API's `destinations[].cloudWatchLogsLogGroup.logGroupArn`
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_LoggingConfiguration.html).
 */
export const observabilityOf = (inputs: RecordedOf<'aws:sfn/stateMachine:StateMachine'>['inputs']) => {
  const logging = inputs.loggingConfiguration;
  return {
    loggingConfiguration: {
      level: logging?.level ?? 'OFF',
      includeExecutionData: logging?.includeExecutionData ?? false,
      ...(logging?.logDestination ? { destinations: [{ cloudWatchLogsLogGroup: { logGroupArn: logging.logDestination } }] } : {}),
    },
    tracingConfiguration: { enabled: inputs.tracingConfiguration?.enabled ?? false },
  };
};

/** The REST API's routes, models and gateway responses, read from the declared API Gateway resources. */
const gatewaySpec = (resources: readonly Recorded[], functionFor: (arn: string) => LocalFunction) => {
  const apiResources = ofType(resources, 'aws:apigateway/resource:Resource');
  const idOf = (r: { name: string }) => `${r.name}-id`;
  const pathOf = (id: string): string => {
    const r = apiResources.find((x) => idOf(x) === id);
    return r ? `${pathOf(r.inputs.parentId)}/${r.inputs.pathPart}` : '';
  };
  const models = ofType(resources, 'aws:apigateway/model:Model');
  const validators = new Map(ofType(resources, 'aws:apigateway/requestValidator:RequestValidator').map((r) => [idOf(r), r]));
  const integrations = ofType(resources, 'aws:apigateway/integration:Integration');
  const routes: Route[] = ofType(resources, 'aws:apigateway/method:Method').map((m) => {
    const integration = integrations.find(
      (i) => i.inputs.resourceId === m.inputs.resourceId && i.inputs.httpMethod === m.inputs.httpMethod,
    );
    if (!integration) throw new LocalCloudError(`method ${m.name} has no integration`);
    if (integration.inputs.type !== 'AWS_PROXY') throw new LocalCloudError(`integration ${integration.name}: only AWS_PROXY is emulated`);
    const fn = functionFor(integration.inputs.uri ?? '');
    const checksBody = validators.get(m.inputs.requestValidatorId ?? '')?.inputs.validateRequestBody === true;
    const bodySchemas: Record<string, object> = {};
    if (checksBody) {
      for (const [contentType, modelName] of Object.entries(m.inputs.requestModels ?? {})) {
        const model = models.find((x) => x.inputs.name === modelName);
        if (model) bodySchemas[contentType] = JSON.parse(model.inputs.schema ?? '{}') as object;
      }
    }
    return { method: m.inputs.httpMethod, resource: pathOf(m.inputs.resourceId), bodySchemas, invoke: (e: unknown) => fn.invoke(e) };
  });
  const responses = Object.fromEntries(
    ofType(resources, 'aws:apigateway/response:Response').map((r) => [
      r.inputs.responseType,
      { statusCode: r.inputs.statusCode, template: r.inputs.responseTemplates?.['application/json'] },
    ]),
  );
  const stage = ofType(resources, 'aws:apigateway/stage:Stage')[0]?.inputs.stageName ?? 'v1';
  return { routes, responses, stage };
};
