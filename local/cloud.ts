import './polyfills';
import { fork } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { ConditionalCheckFailedException, CreateTableCommand, DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { FunctionError, LocalFunction } from './functions';
import { type Route, LocalGateway } from './gateway';
import type { Recorded } from './mockProgram';
import { ROOT, knownStacks, stackConfig } from './stacks';
import { LocalPoller } from './poller';
import { type TaskRunner, LocalStepFunctions } from './stepFunctions';
import type { StackConfig } from '../config';

/** Local time runs this many times faster for waits (visibility timeouts, retry pauses, batching windows). */
export const TIME_COMPRESSION = 60;

export interface LocalCloudOptions {
  readonly stack: string;
  readonly port: number;
  /** Keep DynamoDB data under `.dofs/<stack>/dynamodb` between runs. */
  readonly persist: boolean;
  /** Stack config overrides, `dofs:key` → value (as `pulumi config set` would store it). */
  readonly config?: Record<string, string>;
  /** Where progress and function logs go. */
  readonly log: (line: string) => void;
  /** Show function log lines. */
  readonly functionLogs: boolean;
}

/** A problem the user can fix, reported as one line (unknown stack, port taken, bad flag). */
export class LocalCloudError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalCloudError';
  }
}

/** Resource types the local cloud materialises; anything else is listed at startup as not emulated. */
const EMULATED = new Set([
  'aws:dynamodb/table:Table',
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
  'aws:apigateway/stage:Stage',
]);

export { knownStacks };

const byName = (resources: readonly Recorded[], type: string) => new Map(resources.filter((r) => r.type === type).map((r) => [r.name, r]));
const lastSegment = (s: string) => s.split(/[:/]/).pop() ?? s;
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const REGION = 'eu-west-1';

/** dynalite (in memory, or on LevelDB under `dataDir`) in a worker thread of its own; resolves its port. */
const startDynalite = async (dataDir: string | undefined, stops: (() => Promise<unknown>)[]): Promise<number> => {
  if (dataDir) fs.mkdirSync(dataDir, { recursive: true });
  const worker = new Worker(path.join(__dirname, 'dynamoWorker.js'), { workerData: { path: dataDir }, execArgv: [] });
  stops.push(async () => {
    worker.postMessage('stop');
    await new Promise((r) => worker.once('message', r));
    await worker.terminate();
  });
  return new Promise<number>((resolve, reject) => {
    worker.once('message', (m: { port: number }) => resolve(m.port));
    worker.once('error', reject);
  });
};

/** fauxqs, the SQS API, on a free port. */
const startSqs = async (stops: (() => Promise<unknown>)[]) => {
  // fauxqs is ESM-only; TypeScript's CommonJS output would turn `import()` into `require()`.
  const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<typeof import('fauxqs')>;
  const { startFauxqs } = await importEsm('fauxqs');
  const fauxqs = await startFauxqs({ port: 0, logger: false, defaultRegion: REGION });
  stops.push(() => fauxqs.stop());
  return fauxqs;
};

/**
 * Runs the Pulumi program for `stack` under the mock monitor and materialises what it declares:
 * tables in dynalite, queues in fauxqs, functions in worker threads from their generated bundles, the
 * state machine in aws-local-stepfunctions behind a Step Functions endpoint, the event source mappings
 * as pollers, and the REST API on 127.0.0.1.
 */
export const startLocalCloud = async (opts: LocalCloudOptions) => {
  const stacks = knownStacks();
  if (!stacks.includes(opts.stack)) {
    throw new LocalCloudError(`unknown stack '${opts.stack}': expected one of ${stacks.join(', ')} (a Pulumi.<stack>.yaml file)`);
  }
  const say = opts.log;
  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };

  try {
    say(`dofs local cloud: running the program for stack '${opts.stack}' under the mock monitor...`);
    // Under the project, so that the bundles resolve the AWS SDK from its node_modules as Lambda's runtime
    // provides it; one directory per process, so that several local clouds can run side by side.
    const bundlesDir = path.join(ROOT, '.dofs', 'run', `${opts.stack}-${process.pid}`);
    stops.push(async () => fs.rmSync(bundlesDir, { recursive: true, force: true }));
    // The program run takes most of the start-up and has a process of its own: the emulators start meanwhile.
    const synthesis = synthInChild(opts.stack, { ...stackConfig(opts.stack), ...opts.config }, bundlesDir);
    synthesis.catch(() => undefined); // awaited below; a failure must not surface before then as unhandled
    const dataDir = path.join(ROOT, '.dofs', opts.stack, 'dynamodb');
    const [ddbPort, fauxqs] = await Promise.all([startDynalite(opts.persist ? dataDir : undefined, stops), startSqs(stops)]);
    const s = await synthesis;
    const region = REGION;

    const skipped = new Map<string, number>();
    for (const r of s.resources) {
      if (!EMULATED.has(r.type) && !r.type.startsWith('dofs:')) skipped.set(r.type, (skipped.get(r.type) ?? 0) + 1);
    }
    say(
      `  not emulated (no local counterpart; IAM is not enforced locally): ${[...skipped]
        .map(([t, n]) => `${t.split(':').pop()} ×${n}`)
        .join(', ')}`,
    );

    const dynamoEndpoint = `http://127.0.0.1:${ddbPort}`;
    const ddb = new DynamoDBClient({ endpoint: dynamoEndpoint, region, credentials: CREDENTIALS });
    stops.push(async () => ddb.destroy());
    for (const t of s.ofType('aws:dynamodb/table:Table')) {
      try {
        await ddb.send(
          new CreateTableCommand({
            TableName: t.name,
            BillingMode: 'PAY_PER_REQUEST',
            AttributeDefinitions: (t.inputs.attributes as { name: string; type: 'S' | 'N' | 'B' }[]).map((a) => ({ AttributeName: a.name, AttributeType: a.type })),
            KeySchema: [
              { AttributeName: t.inputs.hashKey, KeyType: 'HASH' },
              ...(t.inputs.rangeKey ? [{ AttributeName: t.inputs.rangeKey as string, KeyType: 'RANGE' as const }] : []),
            ],
          }),
        );
      } catch (e) {
        if ((e as Error).name !== 'ResourceInUseException') throw e; // kept from a --persist run
      }
    }
    say(`  DynamoDB (dynalite${opts.persist ? `, data in ${path.relative(process.cwd(), dataDir)}` : ', in memory'}): ${dynamoEndpoint}, tables ${s.ofType('aws:dynamodb/table:Table').map((t) => t.name).join(', ')}`);

    // SQS: fauxqs, same redrive, visibility timeouts compressed.
    const sqsEndpoint = fauxqs.address;
    const sqs = new SQSClient({ endpoint: sqsEndpoint, region, credentials: CREDENTIALS });
    stops.push(async () => sqs.destroy());
    const queues = new Map<string, { url: string; arn: string }>();
    const queueResources = s.ofType('aws:sqs/queue:Queue');
    // Dead-letter queues first, so that redrive policies can name them.
    const ordered = [...queueResources].sort((a, b) => Number(!!a.inputs.redrivePolicy) - Number(!!b.inputs.redrivePolicy));
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
      const created = fauxqs.createQueue(q.name, { attributes, region });
      queues.set(q.name, { url: created.queueUrl, arn: created.queueArn });
    }
    say(`  SQS (fauxqs): ${sqsEndpoint}, queues ${[...queues.keys()].join(', ')} (visibility timeouts ÷${TIME_COMPRESSION}, at least 1 s)`);

    // The Step Functions endpoint is needed in the functions' environment, so it listens before they start.
    const smResource = s.ofType('aws:sfn/stateMachine:StateMachine')[0];
    const functionsByArn = new Map<string, LocalFunction>();
    const tasks: Record<string, TaskRunner> = {};
    const sfn = new LocalStepFunctions(
      {
        arn: `arn:aws:states:${region}:123456789012:stateMachine:${smResource.name}`,
        name: smResource.name,
        type: smResource.inputs.type ?? 'STANDARD',
        definition: JSON.parse(smResource.inputs.definition),
        tasks,
        retryIntervalMs: Math.round(1000 / TIME_COMPRESSION),
      },
      opts.functionLogs ? say : () => undefined,
    );
    await sfn.listen();
    stops.push(() => sfn.stop());

    // Lambda: each function's generated bundle in its own worker thread.
    // Functions behind the REST API serve clients; every other one does asynchronous back-end work. On AWS
    // they run on separate machines. Here they share two cores, so back-end sandboxes run at a lower OS
    // priority and a burst of POSTs is not slowed by the workflow and the fulfillment it started.
    const apiTargets = s.ofType('aws:apigateway/integration:Integration').map((i) => String(i.inputs.uri));
    for (const fn of s.ofType('aws:lambda/function:Function')) {
      const dir = (fn.inputs.code as { bundleDir: string }).bundleDir;
      const local = new LocalFunction(
        {
          name: fn.name,
          arn: `arn:aws:lambda:${region}:123456789012:function:${fn.name}`,
          bundleDir: dir,
          timeoutSeconds: fn.inputs.timeout ?? 3,
          memorySize: fn.inputs.memorySize ?? 128,
          logs: opts.functionLogs,
          background: !apiTargets.some((uri) => uri.includes(`:function:${fn.name}/`)),
          environment: {
            ...(fn.inputs.environment?.variables ?? {}),
            AWS_REGION: region,
            AWS_DEFAULT_REGION: region,
            AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
            AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
            AWS_LAMBDA_FUNCTION_NAME: fn.name,
            AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.inputs.memorySize ?? 128),
            AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
            AWS_ENDPOINT_URL_SQS: sqsEndpoint,
            AWS_ENDPOINT_URL_SFN: sfn.endpoint,
          },
        },
        say,
      );
      functionsByArn.set(local.spec.arn, local);
      stops.push(() => local.stop());
    }
    say(`  Lambda (worker threads): ${[...functionsByArn.values()].map((f) => f.spec.name).join(', ')}`);
    const functionFor = (arnOrUri: string): LocalFunction => {
      const arn = /arn:aws:lambda:[^/]+/.exec(arnOrUri)?.[0] ?? arnOrUri;
      const fn = functionsByArn.get(arn);
      if (!fn) throw new LocalCloudError(`no local function for ${arnOrUri}`);
      return fn;
    };

    // State machine tasks: Lambda ARNs to local functions, service integrations to the emulators.
    const sendFaults = (s.config.faults?.sendToQueue ?? {}) as { errorRate?: number };
    const definition = JSON.parse(smResource.inputs.definition) as { States: Record<string, { Type: string; Resource?: string }> };
    for (const [stateName, state] of Object.entries(definition.States)) {
      if (state.Type !== 'Task' || !state.Resource) continue;
      const resource = state.Resource;
      if (resource.startsWith('arn:aws:lambda:')) {
        const fn = functionFor(resource);
        tasks[stateName] = (input) => fn.invoke(input);
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
        tasks[stateName] = async (p: any) => {
          try {
            const { $metadata, ...result } = await (put ? ddb.send(new PutItemCommand(p)) : ddb.send(new UpdateItemCommand(p)));
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
    say(`  Step Functions (aws-local-stepfunctions, ${smResource.inputs.type ?? 'STANDARD'}): ${sfn.endpoint} (retry pauses ÷${TIME_COMPRESSION})`);

    // Event source mappings.
    const pollers: LocalPoller[] = [];
    for (const m of s.ofType('aws:lambda/eventSourceMapping:EventSourceMapping')) {
      const queue = queues.get(lastSegment(m.inputs.eventSourceArn));
      if (!queue) throw new LocalCloudError(`mapping ${m.name}: no local queue for ${m.inputs.eventSourceArn}`);
      const fn = functionFor(m.inputs.functionName);
      const poller = new LocalPoller(
        sqs,
        {
          name: m.name,
          queueUrl: queue.url,
          queueArn: m.inputs.eventSourceArn,
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
    say(`  event source mappings: ${pollers.map((p) => `${p.spec.name} (batch ${p.spec.batchSize})`).join(', ')}`);

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

    return {
      url: gateway.url,
      sfnEndpoint: sfn.endpoint,
      sqsEndpoint,
      dynamoEndpoint,
      stateMachineArn: sfn.spec.arn,
      tables: s.ofType('aws:dynamodb/table:Table').map((t) => t.name),
      queues,
      stepFunctions: sfn,
      functions: [...functionsByArn.values()],
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
};

export type LocalCloud = Awaited<ReturnType<typeof startLocalCloud>>;

/** The program's resources and config, from `local/synthProcess.ts` in a child process. */
const synthInChild = (stack: string, raw: Record<string, string>, bundlesDir: string) =>
  new Promise<{ resources: Recorded[]; config: StackConfig; ofType: (type: string) => Recorded[] }>((resolve, reject) => {
    const child = fork(path.join(__dirname, 'synthProcess.ts'), [JSON.stringify({ stack, raw, bundlesDir })], {
      cwd: ROOT,
      execArgv: ['-r', 'ts-node/register/transpile-only'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let settled = false;
    child.once('message', (m: { result?: { resources: Recorded[]; config: StackConfig }; error?: { name: string; message: string } }) => {
      settled = true;
      if (m.error) return reject(Object.assign(new Error(m.error.message), { name: m.error.name }));
      const resources = m.result!.resources;
      resolve({ resources, config: m.result!.config, ofType: (type) => resources.filter((r) => r.type === type) });
    });
    child.once('exit', (code) => {
      if (!settled) reject(new Error(`the program run exited with ${code} before it reported`));
    });
  });

/** The REST API's routes, models and gateway responses, read from the declared API Gateway resources. */
const gatewaySpec = (resources: readonly Recorded[], functionFor: (arn: string) => LocalFunction) => {
  const apiResources = resources.filter((r) => r.type === 'aws:apigateway/resource:Resource');
  const idOf = (r: Recorded) => `${r.name}-id`;
  const pathOf = (id: string): string => {
    const r = apiResources.find((x) => idOf(x) === id);
    return r ? `${pathOf(r.inputs.parentId)}/${r.inputs.pathPart}` : '';
  };
  const models = byName(resources, 'aws:apigateway/model:Model');
  const validators = new Map(resources.filter((r) => r.type === 'aws:apigateway/requestValidator:RequestValidator').map((r) => [idOf(r), r]));
  const integrations = resources.filter((r) => r.type === 'aws:apigateway/integration:Integration');
  const routes: Route[] = resources
    .filter((r) => r.type === 'aws:apigateway/method:Method')
    .map((m) => {
      const integration = integrations.find((i) => i.inputs.resourceId === m.inputs.resourceId && i.inputs.httpMethod === m.inputs.httpMethod);
      if (!integration) throw new LocalCloudError(`method ${m.name} has no integration`);
      if (integration.inputs.type !== 'AWS_PROXY') throw new LocalCloudError(`integration ${integration.name}: only AWS_PROXY is emulated`);
      const fn = functionFor(integration.inputs.uri);
      const checksBody = validators.get(m.inputs.requestValidatorId)?.inputs.validateRequestBody === true;
      const bodySchemas: Record<string, object> = {};
      if (checksBody) {
        for (const [contentType, modelName] of Object.entries((m.inputs.requestModels ?? {}) as Record<string, string>)) {
          const model = [...models.values()].find((x) => x.inputs.name === modelName);
          if (model) bodySchemas[contentType] = JSON.parse(model.inputs.schema);
        }
      }
      return { method: m.inputs.httpMethod, resource: pathOf(m.inputs.resourceId), bodySchemas, invoke: (e: unknown) => fn.invoke(e) };
    });
  const responses = Object.fromEntries(
    resources
      .filter((r) => r.type === 'aws:apigateway/response:Response')
      .map((r) => [r.inputs.responseType, { statusCode: r.inputs.statusCode, template: r.inputs.responseTemplates?.['application/json'] }]),
  );
  const stage = resources.find((r) => r.type === 'aws:apigateway/stage:Stage')?.inputs.stageName ?? 'v1';
  return { routes, responses, stage };
};
