/**
 * What the local cloud's two halves share: the request path on the host thread (`cloud.ts`) and the back
 * end in a thread of its own (`backend.ts`).
 */
import type { LocalFunctionSpec } from './functions';
import { LOG_LEVELS, type LambdaLogLevel, type LoggingConfig } from './lambdaLogs';
import { logFileOf } from './logs';
import { type Recorded, type RecordedOf, ofType } from './mockProgram';

/**
 * Local time runs this many times faster for every wait on an order's way to its terminal status, by this
 * one factor (CONTRACT.md, "Local cloud"): the back-end functions' timeouts, the state machine's task
 * timeouts and retry backoff, SQS visibility timeouts and batching windows. Counts (attempts, receives)
 * are kept. One factor keeps the rules between the waits (a queue's visibility at least 6 × its
 * consumer's timeout, a task's timeout just above its function's) as they are on AWS. 30 puts the slowest
 * path (three fulfillment timeouts, then the DLQ) within the contract's 10 s and a function's timeout
 * above what a busy host stalls (`local/runningClock.ts`); `local/waits.ts` computes the waits from the
 * program and `npm start` prints them.
 *
 * The API's waits (its function's timeout, API Gateway's 29 s) are a client's, not an order's: they are
 * kept as declared. Compressed to a third of a second, a busy machine would answer clients 502 and 504
 * that AWS does not: here a sandbox runs eight invocations in one thread and every emulator shares two
 * cores, while no order's time to a terminal status depends on them (an injected api-handler fault
 * comes before the order exists).
 */
export const TIME_COMPRESSION = 30;

/** A wait the program declares in seconds, as local milliseconds. */
export const localMs = (seconds: number): number => (seconds * 1000) / TIME_COMPRESSION;

export const REGION = 'eu-west-1';
export const ACCOUNT = '123456789012';
/** The account owner's credentials, which the local cloud itself uses: IAM does not evaluate them (`local/iamGate.ts`). */
export const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** A problem the user can fix, reported as one line (unknown stack, port taken, bad flag). */
export class LocalCloudError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalCloudError';
  }
}

/** What a half of the local cloud has started, stopped in reverse order; one failing stop does not keep the others from running. */
export class Stops {
  private readonly stops: (() => unknown)[] = [];

  push(...stops: (() => unknown)[]): void {
    this.stops.push(...stops);
  }

  async stopAll(): Promise<void> {
    for (const stop of this.stops.splice(0).reverse()) {
      try {
        await stop();
      } catch {
        // best effort: the other resources are stopped all the same
      }
    }
  }
}

/** The last segment of an ARN or URL: a queue's name from its ARN or URL. */
export const lastSegment = (s: string): string => s.split(/[:/]/).pop() ?? s;

/** The Lambda ARN in a function ARN or an API Gateway integration URI. */
export const functionArnIn = (arnOrUri: string): string => /arn:aws:lambda:[^/]+/.exec(arnOrUri)?.[0] ?? arnOrUri;

export const functionArn = (name: string): string => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;

/** The emulators' endpoints, which every function's SDK clients reach through `AWS_ENDPOINT_URL_*`. */
export interface Endpoints {
  readonly dynamodb: string;
  readonly sqs: string;
  readonly sfn: string;
}

/** Credentials as Lambda hands them to a function: those of a session of its execution role. */
export interface SessionCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

/**
 * A declared `aws:lambda/function:Function` as a local function: its bundle, limits and environment, with
 * `credentials` (a session of its role, `local/iam.ts`) in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN, as Lambda sets them ("Defined runtime environment variables",
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
 */
export const functionSpecFor = (
  fn: RecordedOf<'aws:lambda/function:Function'>,
  endpoints: Endpoints,
  opts: {
    logs: boolean;
    background: boolean;
    credentials: SessionCredentials;
    queueUrls?: Readonly<Record<string, string>>;
    /** Where log groups' events are kept (local/logs.ts). */
    logDir?: string;
  },
): LocalFunctionSpec => {
  const logging = loggingOf(fn);
  const logGroup = logGroupOf(fn);
  return {
    name: fn.name,
    arn: functionArn(fn.name),
    bundleDir: (fn.inputs.code as unknown as { bundleDir: string }).bundleDir,
    handler: fn.inputs.handler ?? '',
    timeoutSeconds: fn.inputs.timeout ?? 3,
    timeoutMs: opts.background ? localMs(fn.inputs.timeout ?? 3) : (fn.inputs.timeout ?? 3) * 1000,
    memorySize: fn.inputs.memorySize ?? 128,
    logs: opts.logs,
    ...(opts.logDir ? { logFile: logFileOf(opts.logDir, logGroup) } : {}),
    background: opts.background,
    logging,
    environment: {
      // A queue URL names AWS's host, and the SDK sends to it (client-sqs `useQueueUrlAsEndpoint`): locally, the
      // same queue's URL on the local SQS.
      ...Object.fromEntries(
        Object.entries(fn.inputs.environment?.variables ?? {}).map(([k, v]) => {
          const queue = typeof v === 'string' ? /^https:\/\/sqs\.[a-z0-9-]+\.amazonaws\.com\/\d{12}\/([\w-]+)$/.exec(v)?.[1] : undefined;
          return [k, queue !== undefined && opts.queueUrls?.[queue] ? opts.queueUrls[queue] : v];
        }),
      ),
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_ACCESS_KEY_ID: opts.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: opts.credentials.secretAccessKey,
      AWS_SESSION_TOKEN: opts.credentials.sessionToken,
      AWS_LAMBDA_FUNCTION_NAME: fn.name,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.inputs.memorySize ?? 128),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_LOG_GROUP_NAME: logGroup,
      AWS_LAMBDA_LOG_STREAM_NAME: `local/[$LATEST]${fn.name}`,
      // What the runtime reads to format and filter console output (aws-lambda-ric v3.3.0 src/LogPatch.js).
      ...(logging.format === 'JSON' ? { AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: logging.applicationLogLevel } : {}),
      // The reconciler's bound is a wait, compressed like every other (CONTRACT.md: one factor); its counts are not.
      ...(fn.inputs.environment?.variables?.STUCK_AFTER_SECONDS
        ? {
            STUCK_AFTER_SECONDS: String(
              Math.max(1, Math.round(Number(fn.inputs.environment.variables.STUCK_AFTER_SECONDS) / TIME_COMPRESSION)),
            ),
          }
        : {}),
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
      AWS_ENDPOINT_URL_SQS: endpoints.sqs,
      AWS_ENDPOINT_URL_SFN: endpoints.sfn,
    },
  };
};

/** The log group a function's lines go to: its `loggingConfig.logGroup`, or Lambda's default `/aws/lambda/<name>`. */
export const logGroupOf = (fn: RecordedOf<'aws:lambda/function:Function'>): string =>
  fn.inputs.loggingConfig?.logGroup ?? `/aws/lambda/${fn.name}`;

/** A function's `loggingConfig` as Lambda applies it (log format Text by default; level INFO by default with JSON). */
const loggingOf = (fn: RecordedOf<'aws:lambda/function:Function'>): LoggingConfig => {
  const config = fn.inputs.loggingConfig;
  const level = (config?.applicationLogLevel ?? 'INFO').toUpperCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new LocalCloudError(
      `function ${fn.name}: applicationLogLevel '${config?.applicationLogLevel}' is not one of ${LOG_LEVELS.join(', ')}`,
    );
  }
  return { format: config?.logFormat === 'JSON' ? 'JSON' : 'Text', applicationLogLevel: level as LambdaLogLevel };
};

/** The functions the REST API invokes (they serve clients); every other function is back-end work. */
export const apiFunctionNames = (resources: readonly Recorded[]): Set<string> => {
  const uris = ofType(resources, 'aws:apigateway/integration:Integration').map((i) => String(i.inputs.uri));
  return new Set(
    ofType(resources, 'aws:lambda/function:Function')
      .filter((r) => uris.some((u) => functionArnIn(u) === functionArn(r.name)))
      .map((r) => r.name),
  );
};
