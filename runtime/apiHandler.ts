import { createHash, createHmac, randomUUID } from 'crypto';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { isLeft } from 'fp-ts/Either';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { type WorkflowInput, makeCodecs } from './codecs';
import { classifyAwsError, configError, idempotencyConflictError, invalidInputError, orderNotFoundError, transientError } from './errors';
import { faultsOf, logLevelOf, readEnv, stackOf } from './env';
import { makeFaultInjector } from './faults';
import { type HttpResponse, answerWithin, errorResponse, json, problemsOf, responseForError } from './http';
import { type Logger, coldStartTracker, errorFields, invocationFields, makeLogger } from './log';
import { type OrderRecord, type OrderTables, makeOrderTables, toView } from './orders';
import { type ReconcileReport, reconcile, reconcilerTables } from './reconciler';

/** CONTRACT.md: bodies over 32 KiB are refused. */
export const MAX_BODY_BYTES = 32 * 1024;
/** CONTRACT.md: 1-128 printable characters. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x20-\x7E]{1,128}$/;
/**
 * The share of its time the api-handler works before it answers 504, rather than be cut off at its
 * timeout (API Gateway's 502). A share, not a fixed margin, so that it holds however the timeout is set,
 * and in the local cloud, where every timeout is compressed.
 */
export const DEADLINE_SHARE = 0.9;
/**
 * Beyond a request's invocation end, the margin before a replay may start the workflow that request did not
 * flag started: for the clocks of two Lambda hosts, and the writes in flight when Lambda ended the invocation.
 */
export const START_LEASE_MARGIN_MS = 5000;

type Codecs = ReturnType<typeof makeCodecs>;

/** What the api-handler's core needs from the world. */
export interface ApiDeps {
  readonly tables: Pick<OrderTables, 'get' | 'createAccepted' | 'claimStart' | 'releaseStart' | 'markWorkflowStarted' | 'deleteUnstarted'>;
  /** StartExecution with name = orderId; an execution of that name that exists already counts as started. */
  readonly startExecution: (input: WorkflowInput) => Promise<void>;
  readonly newId: () => string;
  /** The order id of an Idempotency-Key: {@link orderIdForKey} under the stack's secret. */
  readonly idForKey: (key: string) => string;
  readonly now: () => string;
  /**
   * Until when this request may be about to start its order's workflow: past its invocation's end (plus a
   * margin for clocks), it cannot be. A replay that finds an order unstarted starts it only once this lease has
   * run out, so that concurrent replays start no second workflow (EXPRESS does not deduplicate by name).
   */
  readonly startLeaseUntil: () => string;
  readonly log: Logger;
  /** Fault injection (tests only): runs first, inside the error mapping, where a real failure would surface. */
  readonly faults?: () => Promise<void>;
}

const header = (event: Pick<APIGatewayProxyEvent, 'headers'>, name: string): string | undefined => {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === wanted && v !== undefined) return v;
  return undefined;
};

/** JSON with sorted keys, so that the same body in another key order hashes the same. */
export const canonicalJson = (v: unknown): string =>
  Array.isArray(v)
    ? `[${v.map(canonicalJson).join(',')}]`
    : v !== null && typeof v === 'object'
      ? `{${Object.keys(v)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
          .join(',')}}`
      : JSON.stringify(v);

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** The least length of the order-id key, in bytes: HMAC-SHA-256's output length (RFC 2104 section 3). */
export const ORDER_ID_KEY_MIN_BYTES = 32;

/**
 * The order id an Idempotency-Key stands for: a UUID-shaped HMAC-SHA-256 of the key under the stack's own
 * secret (`ORDER_ID_KEY`), so that replays find the same order while knowing a client's keys reveals
 * nothing: without the secret, the id cannot be computed (CONTRACT.md, Idempotency).
 */
export const orderIdForKey = (secret: Buffer, key: string): string => {
  const h = createHmac('sha256', secret).update(`dofs-idempotency:${key}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

/** ORDER_ID_KEY (base64) as bytes; a short or malformed key is a deployment mistake, refused at start. */
export const orderIdKeyOf = (base64: string): Buffer => {
  const bytes = Buffer.from(base64, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || bytes.length < ORDER_ID_KEY_MIN_BYTES) {
    throw configError(`ORDER_ID_KEY holds ${bytes.length} bytes of base64: expected at least ${ORDER_ID_KEY_MIN_BYTES}`);
  }
  return bytes;
};

const ORDER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** POST /orders: tier-1 validation, idempotency, the ACCEPTED record, then StartExecution. */
export const acceptOrder =
  (event: Pick<APIGatewayProxyEvent, 'headers' | 'body' | 'isBase64Encoded'>, codecs: Codecs) =>
  async (deps: ApiDeps): Promise<HttpResponse> => {
    const contentType = header(event, 'content-type');
    if (!contentType || !/^application\/json\s*(;|$)/i.test(contentType)) {
      return errorResponse(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `Content-Type is ${contentType ? `'${contentType}'` : 'missing'}: send 'application/json'.`,
      );
    }
    const text = event.body == null ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > MAX_BODY_BYTES) {
      return errorResponse(413, 'PAYLOAD_TOO_LARGE', `The body is ${bytes} bytes: at most ${MAX_BODY_BYTES} are allowed.`);
    }
    if (text.trim() === '')
      throw invalidInputError('The body is empty: send a JSON order object.', [{ path: '(body)', message: 'body is required' }]);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (e) {
      throw invalidInputError('The body is not valid JSON.', [{ path: '(body)', message: (e as Error).message }]);
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      const kind = body === null ? 'null' : Array.isArray(body) ? 'an array' : `a ${typeof body}`;
      throw invalidInputError(`The body is ${kind}: send a JSON object with customerId and items.`, [
        { path: '(body)', message: `body is ${kind}: expected an object` },
      ]);
    }
    const decoded = codecs.OrderRequest.decode(body);
    if (isLeft(decoded)) throw invalidInputError('The order is not valid; see details.', problemsOf(decoded.left));
    const request = decoded.right;

    const key = header(event, 'idempotency-key');
    if (key !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(key)) {
      throw invalidInputError('The Idempotency-Key header is not valid.', [
        {
          path: 'headers.Idempotency-Key',
          message: `Idempotency-Key has ${key.length} characters: expected 1-128 printable ASCII characters`,
        },
      ]);
    }
    const now = deps.now();
    const orderId = key === undefined ? deps.newId() : deps.idForKey(key);
    const log = deps.log.with({ orderId });
    const lease = deps.startLeaseUntil();
    const record: OrderRecord = {
      orderId,
      status: 'ACCEPTED',
      customerId: request.customerId,
      items: request.items,
      createdAt: now,
      updatedAt: now,
      requestHash: sha256(canonicalJson(request)),
      startLeaseUntil: lease,
    };
    const accepted = json(202, { orderId, status: 'ACCEPTED' }, { Location: `/orders/${orderId}` });
    const input = (r: OrderRecord): WorkflowInput => ({
      orderId: r.orderId,
      customerId: r.customerId,
      items: [...r.items],
      acceptedAt: r.createdAt,
    });

    /**
     * StartExecution, and when it fails (503 to the client): an order without a key is removed, so that its client's
     * retry (a new order) leaves nothing half-accepted; an order with a key is kept ACCEPTED and its start lease given
     * up, because a replay may already have answered 202 for it, and the failure may be ambiguous (a timeout after
     * Step Functions took the request): the client's retry with the same key starts it, or else the reconciler does.
     * Deleting it instead let a running execution re-create it without its request hash (the retry then got 409), or
     * left a replay's 202 naming an order that was gone (tests/model/counterexamples.md, fixed).
     */
    const startOrRelease = async (workflowInput: WorkflowInput, lease: string): Promise<void> => {
      try {
        await deps.startExecution(workflowInput);
      } catch (e) {
        try {
          if (key === undefined) {
            log.error('StartExecution failed; removing the order so that nothing is left half-accepted', errorFields(e));
            await deps.tables.deleteUnstarted(orderId);
          } else {
            log.error('StartExecution failed; the order stays ACCEPTED for a replay with its key, or the reconciler', errorFields(e));
            await deps.tables.releaseStart(orderId, lease);
          }
        } catch (cleanup) {
          // The answer is StartExecution's: the order stays ACCEPTED, for the reconciler (or a replay once the lease ends).
          log.error('could not remove the order or give up its start lease', errorFields(cleanup));
        }
        throw classifyAwsError(e);
      }
    };

    const created = await deps.tables.createAccepted(record);
    if (!created.created) {
      const existing = created.existing;
      if (key === undefined) throw transientError(`order id ${orderId} collided; retry`);
      if (existing.requestHash !== record.requestHash) {
        throw idempotencyConflictError('This Idempotency-Key was already used with a different body: send a new key for a new order.');
      }
      // The request that created the order starts its workflow; a replay does only once that request's lease has
      // run out (it failed or timed out before flagging the start), and claims the start first, so that of
      // replays racing one starts it. STANDARD would deduplicate a second start by name; EXPRESS would not.
      if (!existing.workflowStarted && existing.status === 'ACCEPTED') {
        if (await deps.tables.claimStart(orderId, now, lease)) {
          log.warn('idempotent replay found the workflow not started; starting it');
          await startOrRelease(input(existing), lease);
          await deps.tables.markWorkflowStarted(orderId);
        } else {
          log.info('idempotent replay: the workflow is being started by another request');
        }
      }
      log.info('idempotent replay', { status: existing.status });
      return accepted;
    }
    await startOrRelease(input(record), lease);
    try {
      await deps.tables.markWorkflowStarted(orderId);
    } catch (e) {
      // The execution runs; a replay would only start it again under the same name.
      log.warn('could not flag the workflow as started', errorFields(e));
    }
    log.info('order accepted', { customerId: request.customerId, items: request.items.length });
    log.metric('OrdersAccepted', 1, { Function: 'api-handler' });
    return accepted;
  };

/** GET /orders/{orderId}. */
export const getOrder =
  (orderId: string) =>
  async (deps: Pick<ApiDeps, 'tables'>): Promise<HttpResponse> => {
    const notFound = orderNotFoundError(`No order has the id '${orderId}'.`);
    if (!ORDER_ID.test(orderId)) throw notFound;
    const record = await deps.tables.get(orderId);
    if (!record) throw notFound;
    return json(200, toView(record));
  };

/** Routes an API Gateway proxy event; every error becomes the contract's error body. */
export const routeApiRequest =
  (event: APIGatewayProxyEvent, codecs: Codecs) =>
  async (deps: ApiDeps): Promise<HttpResponse> => {
    try {
      await deps.faults?.();
      const route = `${event.httpMethod} ${event.resource}`;
      if (route === 'POST /orders') return await acceptOrder(event, codecs)(deps);
      if (route === 'GET /orders/{orderId}') return await getOrder(event.pathParameters?.orderId ?? '')(deps);
      if (event.resource === '/orders' || event.resource === '/orders/{orderId}') {
        return errorResponse(
          405,
          'METHOD_NOT_ALLOWED',
          `${event.httpMethod} is not allowed on ${event.path}: use ${event.resource === '/orders' ? 'POST' : 'GET'}.`,
        );
      }
      return errorResponse(
        404,
        'NOT_FOUND',
        `There is no route ${event.httpMethod} ${event.path}: use POST /orders or GET /orders/{orderId}.`,
      );
    } catch (e) {
      const err = classifyAwsError(e);
      const res = responseForError(err);
      if (res.statusCode >= 500) {
        deps.log.error('request failed', { failureKind: 'system', ...errorFields(err) });
        deps.log.metric('SystemFailures', 1, { Function: 'api-handler' });
      }
      return res;
    }
  };

/**
 * The event EventBridge Scheduler sends to run the reconciler (components/orderApi.ts): the api-handler, which
 * starts every workflow, also re-starts the stuck ones (CONTRACT.md: five functions).
 */
export interface ReconcileEvent {
  readonly dofs: 'reconcile';
  readonly dryRun?: boolean;
  /** Re-drive orders in flight for longer than this instead of the configured bound (0: every one, after a crash). */
  readonly olderThanSeconds?: number;
}
const isReconcileEvent = (e: unknown): e is ReconcileEvent => (e as { dofs?: unknown } | null)?.dofs === 'reconcile';

/** A whole number from the environment, within bounds, or a ConfigError naming the variable. */
const intEnv = (env: Record<string, string>, name: string, min: number, max: number): number => {
  const n = Number(env[name]);
  if (!Number.isInteger(n) || n < min || n > max)
    throw configError(`${name} is '${env[name]}': expected a whole number from ${min} to ${max}`);
  return n;
};

/** Lambda entry point: one-time setup (clients, codecs, env), then a thin adapter per request. */
export const apiHandlerFactory = () => {
  const env = readEnv([
    'ORDERS_TABLE',
    'FAILED_ORDERS_TABLE',
    'STATE_MACHINE_ARN',
    'ORDER_ID_KEY',
    'QUEUE_URL',
    'STUCK_AFTER_SECONDS',
    'REDRIVE_MAX_ATTEMPTS',
  ]);
  const stuckAfterMs = intEnv(env, 'STUCK_AFTER_SECONDS', 1, 86_400) * 1000;
  const maxAttempts = intEnv(env, 'REDRIVE_MAX_ATTEMPTS', 1, 10);
  const secret = orderIdKeyOf(env.ORDER_ID_KEY);
  const codecs = makeCodecs();
  const baseLog = makeLogger('api-handler', logLevelOf(), {}, undefined, { Stack: stackOf() });
  const inject = makeFaultInjector(faultsOf());
  const tables = makeOrderTables(DynamoDBDocumentClient.from(new DynamoDBClient({})), env.ORDERS_TABLE, env.FAILED_ORDERS_TABLE);
  const sfn = new SFNClient({});
  const startExecution = async (input: WorkflowInput) => {
    try {
      await sfn.send(
        new StartExecutionCommand({ stateMachineArn: env.STATE_MACHINE_ARN, name: input.orderId, input: JSON.stringify(input) }),
      );
    } catch (e) {
      if ((e as Error).name !== 'ExecutionAlreadyExists') throw e;
    }
  };
  // The client's own endpoint rather than the queue URL's host (@aws-sdk/middleware-sdk-sqs queue-url.ts): the
  // same host on AWS (sqs.<region>.amazonaws.com), and the configured endpoint where one is set.
  const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
  const reconcileNow = (event: ReconcileEvent, log: Logger, context: Context): Promise<ReconcileReport> =>
    reconcile({
      stuckAfterMs:
        typeof event.olderThanSeconds === 'number' && event.olderThanSeconds >= 0 ? event.olderThanSeconds * 1000 : stuckAfterMs,
      maxAttempts,
      dryRun: event.dryRun === true,
    })({
      ...reconcilerTables(tables),
      startExecution: async (name, input) => {
        await sfn.send(new StartExecutionCommand({ stateMachineArn: env.STATE_MACHINE_ARN, name, input: JSON.stringify(input) }));
      },
      sendMessage: async (message) => {
        await sqs.send(new SendMessageCommand({ QueueUrl: env.QUEUE_URL, MessageBody: JSON.stringify(message) }));
      },
      now: () => new Date(),
      log,
      timeLeftMs: () => context.getRemainingTimeInMillis(),
    });
  const firstCall = coldStartTracker();
  async function handler(event: ReconcileEvent, context: Context): Promise<ReconcileReport>;
  async function handler(event: APIGatewayProxyEvent, context: Context): Promise<HttpResponse>;
  async function handler(event: APIGatewayProxyEvent | ReconcileEvent, context: Context): Promise<HttpResponse | ReconcileReport> {
    const log = baseLog.with(invocationFields(context, firstCall()));
    if (isReconcileEvent(event)) return reconcileNow(event, log.with({ task: 'reconcile' }), context);
    const work = routeApiRequest(
      event,
      codecs,
    )({
      tables,
      startExecution,
      newId: randomUUID,
      idForKey: (key) => orderIdForKey(secret, key),
      now: () => new Date().toISOString(),
      startLeaseUntil: () => new Date(Date.now() + context.getRemainingTimeInMillis() + START_LEASE_MARGIN_MS).toISOString(),
      log,
      faults: () => inject('api-handler'),
    });
    return answerWithin(context.getRemainingTimeInMillis() * DEADLINE_SHARE, work, () =>
      log.error('no answer before the deadline; answering 504', { remainingMs: context.getRemainingTimeInMillis() }),
    );
  }
  return handler;
};
