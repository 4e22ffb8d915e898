/**
 * IAM as AWS enforces it, in front of the local cloud's emulators. Every call signed with credentials the
 * local cloud issued to a declared role (a function's execution role, the state machine's role) is
 * evaluated against that role's policies by a real IAM policy evaluator, @cloud-copilot/iam-simulate;
 * a denied call gets the answer the service gives on AWS, and never reaches the emulator. A call signed
 * with any other key is the account owner's (the local cloud itself, a test, the AWS CLI): not evaluated.
 *
 * Runs in any of the local cloud's threads (dynalite's, the back end's, the host's): it imports neither the
 * program nor Pulumi. `local/iam.ts` reads the program's roles and issues the credentials.
 */
import { randomBytes, randomUUID } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import { PassThrough } from 'stream';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { listenLocally } from './listen';

/** A policy document as IAM stores it (the program's JSON, parsed). */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: unknown;
}

/**
 * A session of a declared role, with the credentials that name it: a function's execution role (the
 * session is named after the function, as Lambda names it) or the state machine's role.
 */
export interface Principal {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly roleName: string;
  readonly roleArn: string;
  readonly session: string;
  readonly policies: readonly { readonly name: string; readonly document: PolicyDocument }[];
}

/** What every gate needs, as plain data: it crosses to the dynalite and back-end threads. */
export interface IamSetup {
  readonly account: string;
  readonly region: string;
  readonly principals: readonly Principal[];
}

/** An AWS access key id of a temporary session: `ASIA` and 16 characters of base32, as STS issues them. */
const accessKeyId = (): string => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return `ASIA${[...randomBytes(16)].map((b) => alphabet[b % 32]).join('')}`;
};

/** A session of `role` with fresh credentials. */
export const assumeRole = (
  role: { readonly name: string; readonly arn: string; readonly policies: Principal['policies'] },
  session: string,
): Principal => ({
  accessKeyId: accessKeyId(),
  secretAccessKey: randomBytes(30).toString('base64'),
  sessionToken: randomBytes(48).toString('base64'),
  roleName: role.name,
  roleArn: role.arn,
  session,
  policies: role.policies,
});

/** The principal AWS names in a denial: the assumed-role session (no role path in it). */
export const assumedRoleArn = (account: string, p: Pick<Principal, 'roleName' | 'session'>): string =>
  `arn:aws:sts::${account}:assumed-role/${p.roleName}/${p.session}`;

/** A refused call: who, what, on which resource, and whether a Deny statement refused it. */
export interface Denial {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly explicit: boolean;
}

/**
 * AWS's text for a denial ("Troubleshoot access denied error messages",
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html: "User: <principal>
 * is not authorized to perform: <action> on resource: <arn> because no identity-based policy allows the
 * <action> action", or "... with an explicit deny in an identity-based policy"). SQS spells the action
 * in lower case in it (`sqs:sendmessage`), as measured on AWS (floci design notes, R1, below).
 */
export const denialMessage = (d: Denial, action: string = d.action): string =>
  `User: ${d.principal} is not authorized to perform: ${action} on resource: ${d.resource} ` +
  (d.explicit ? 'with an explicit deny in an identity-based policy' : `because no identity-based policy allows the ${action} action`);

/**
 * Decides calls of the local cloud's principals with iam-simulate (strict mode: only the context the call
 * carries; the program's policies have no conditions). The decision depends on the principal, the action
 * and the resource only, so it is kept: a warm call costs a map lookup (figures in docs/architecture.md).
 */
export class Authorizer {
  private readonly byKey: Map<string, Principal>;
  private readonly decisions = new Map<string, Promise<Denial | undefined>>();

  constructor(readonly setup: IamSetup) {
    this.byKey = new Map(setup.principals.map((p) => [p.accessKeyId, p]));
  }

  /** The declared role's session that `accessKeyId` was issued to; undefined for the account owner's keys. */
  principalOf(accessKeyId: string | undefined): Principal | undefined {
    return accessKeyId === undefined ? undefined : this.byKey.get(accessKeyId);
  }

  /**
   * Decides ahead, without waiting, every action on every resource that `services`' statements name
   * exactly (no wildcard): the calls the program makes. The first call then does not pay for loading the
   * service's data (40-100 ms) or for its evaluation (0.5-0.9 ms) on the request path.
   */
  warm(services: readonly string[]): void {
    for (const p of this.setup.principals) {
      for (const { document } of p.policies) {
        for (const st of ([] as { Action?: string | string[]; Resource?: string | string[] }[]).concat(document.Statement as never)) {
          for (const action of ([] as string[]).concat(st.Action ?? [])) {
            if (action.includes('*') || !services.includes(action.split(':')[0])) continue;
            for (const resource of ([] as string[]).concat(st.Resource ?? [])) {
              if (!resource.includes('*')) this.authorize(p, action, resource).catch(() => undefined);
            }
          }
        }
      }
    }
  }

  /** Undefined when `p` may perform `action` on `resource`; the denial otherwise. */
  authorize(p: Principal, action: string, resource: string): Promise<Denial | undefined> {
    const key = `${p.accessKeyId} ${action} ${resource}`;
    let decision = this.decisions.get(key);
    if (!decision) {
      // Execution ARNs make resources unbounded in number: a bound keeps memory flat over a long run.
      if (this.decisions.size >= 10_000) this.decisions.clear();
      decision = this.evaluate(p, action, resource);
      this.decisions.set(key, decision);
      decision.catch(() => this.decisions.delete(key));
    }
    return decision;
  }

  private async evaluate(p: Principal, action: string, resource: string): Promise<Denial | undefined> {
    const principal = assumedRoleArn(this.setup.account, p);
    const result = await runSimulation(
      {
        request: { principal, action, resource: { resource, accountId: this.setup.account }, contextVariables: {} },
        identityPolicies: p.policies.map((x) => ({ name: x.name, policy: x.document })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      {},
    );
    if (result.resultType === 'error') {
      throw new Error(`IAM could not evaluate ${action} on ${resource} for ${principal}: ${JSON.stringify(result.errors)}`);
    }
    if (result.overallResult === 'Allowed') return undefined;
    return { principal, action, resource, explicit: result.overallResult === 'ExplicitlyDenied' };
  }
}

/** The services the gates stand in front of, by their IAM service prefix. */
export type GatedService = 'dynamodb' | 'sqs' | 'states';

/** One action on one resource that a call needs (a batch or a transaction may need several). */
export interface Need {
  readonly action: string;
  readonly resource: string;
}

type Body = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * DynamoDB: the action is the operation; the resource its table, or the index a Query or Scan names
 * (`table/T/index/I`), each table of a batch, and each item of a transaction with the action of its
 * kind ("Actions, resources, and condition keys for Amazon DynamoDB",
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html). A
 * TableName may be the table's ARN.
 */
export const dynamodbNeeds = (operation: string, body: Body, arn: (resource: string) => string): Need[] => {
  const table = (name: unknown) => (str(name)?.startsWith('arn:') ? (name as string) : arn(`table/${str(name) ?? '*'}`));
  const action = `dynamodb:${operation}`;
  switch (operation) {
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return Object.keys((body.RequestItems as Body | undefined) ?? {}).map((t) => ({ action, resource: table(t) }));
    case 'TransactGetItems':
    case 'TransactWriteItems': {
      const kinds: Record<string, string> = {
        Get: 'GetItem',
        Put: 'PutItem',
        Update: 'UpdateItem',
        Delete: 'DeleteItem',
        ConditionCheck: 'ConditionCheckItem',
      };
      return ((body.TransactItems as Body[] | undefined) ?? []).flatMap((item) =>
        Object.entries(item).map(([kind, request]) => ({
          action: `dynamodb:${kinds[kind] ?? kind}`,
          resource: table((request as Body | undefined)?.TableName),
        })),
      );
    }
    case 'Query':
    case 'Scan':
      return [{ action, resource: body.IndexName ? `${table(body.TableName)}/index/${str(body.IndexName)}` : table(body.TableName) }];
    default:
      return [{ action, resource: body.TableName === undefined ? '*' : table(body.TableName) }];
  }
};

/**
 * SQS: a batch is authorized as its single action (SendMessageBatch needs sqs:SendMessage, and so on:
 * "Amazon SQS API permissions: Actions and resource reference",
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html);
 * the resource is the queue of the QueueUrl (or QueueName), in the local cloud's account and region.
 */
export const sqsNeeds = (operation: string, body: Body, arn: (resource: string) => string): Need[] => {
  const single: Record<string, string> = {
    SendMessageBatch: 'SendMessage',
    DeleteMessageBatch: 'DeleteMessage',
    ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
  };
  const queue = str(body.QueueUrl)?.split('/').pop() ?? str(body.QueueName);
  return [{ action: `sqs:${single[operation] ?? operation}`, resource: queue ? arn(queue) : '*' }];
};

/** Step Functions: the resource is the execution or the state machine the request names. */
export const statesNeeds = (operation: string, body: Body): Need[] => [
  { action: `states:${operation}`, resource: str(body.executionArn) ?? str(body.stateMachineArn) ?? '*' },
];

/** What a gate answers instead of the emulator. */
export interface Refusal {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const json = (status: number, body: object, headers: Record<string, string> = {}): Refusal => ({
  status,
  headers: { 'Content-Type': 'application/x-amz-json-1.0', 'x-amzn-RequestId': randomUUID(), ...headers },
  body: JSON.stringify(body),
});

const xmlText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * A denial as each service answers it on AWS:
 * - DynamoDB and Step Functions (AWS JSON 1.0): HTTP 400,
 *   `{"__type":"com.amazon.coral.service#AccessDeniedException","Message":"User: ..."}`, the key `Message`
 *   capitalised (DynamoDB responses captured in ionic-team/starters#46 and sebdah/dynamic-dynamodb#187;
 *   the SDK error is AccessDeniedException with status 400, e.g. praetorian-inc/chariot-ui#208; 400 is
 *   AccessDeniedException's status in the Step Functions API reference's "Common Errors").
 * - SQS over JSON: HTTP 403, the same body with the action in lower case, and the header
 *   `x-amzn-query-error: AccessDenied;Sender` from which the SDK names the error AccessDenied; over the
 *   query protocol, 403 with an `ErrorResponse` document (measured on AWS, 2026-10-02:
 *   mariotoffia/floci docs/design/resource-policy-enforcement.md, shapes R1 and R3).
 */
export const refusalFor = (service: GatedService, protocol: 'json' | 'query', d: Denial): Refusal => {
  if (service !== 'sqs') {
    return json(400, { __type: 'com.amazon.coral.service#AccessDeniedException', Message: denialMessage(d) });
  }
  const message = denialMessage(d, d.action.toLowerCase());
  if (protocol === 'json') {
    return json(
      403,
      { __type: 'com.amazon.coral.service#AccessDeniedException', Message: message },
      { 'x-amzn-query-error': 'AccessDenied;Sender' },
    );
  }
  const requestId = randomUUID();
  return {
    status: 403,
    headers: { 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId },
    body:
      '<ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><Error><Type>Sender</Type><Code>AccessDenied</Code>' +
      `<Message>${xmlText(message)}</Message><Detail/></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
};

/** The access key id a SigV4-signed request names: the Authorization header's Credential, or a presigned URL's. */
export const accessKeyIdOf = (headers: http.IncomingHttpHeaders, url: string | undefined): string | undefined => {
  const fromHeader = /Credential=([^/,\s]+)\//.exec(String(headers.authorization ?? ''))?.[1];
  if (fromHeader) return fromHeader;
  const credential = new URL(url ?? '/', 'http://local').searchParams.get('X-Amz-Credential');
  return credential?.split('/')[0] || undefined;
};

/** A request as a gate sees it: its headers, URL and whole body. */
export interface GatedRequest {
  readonly headers: http.IncomingHttpHeaders;
  readonly url: string | undefined;
  readonly body: Buffer;
}

/**
 * The authorization step of one service's endpoint: finds the principal from the request's signature,
 * derives the actions and resources the request needs, and decides each (all must be allowed).
 */
export class Gate {
  private authorizer?: Authorizer;

  constructor(readonly service: GatedService) {}

  /**
   * Starts enforcing `setup`'s principals (before it, only the account owner's keys exist), and decides
   * ahead the calls the policies name for this service and `alsoWarm`.
   */
  use(setup: IamSetup, alsoWarm: readonly string[] = []): Authorizer {
    this.authorizer = new Authorizer(setup);
    this.authorizer.warm([this.service, ...alsoWarm]);
    return this.authorizer;
  }

  /** The refusal AWS would answer with, or undefined to let the request through to the emulator. */
  async check(req: GatedRequest): Promise<Refusal | undefined> {
    const authorizer = this.authorizer;
    const principal = authorizer?.principalOf(accessKeyIdOf(req.headers, req.url));
    // Test-only: a log of every request the gate sees (logRequest below); unset outside tests.
    const requestLog = process.env.DOFS_REQUEST_LOG;
    if (requestLog) logRequest(requestLog, this.service, req, principal);
    if (!authorizer || !principal) return undefined;
    const contentType = String(req.headers['content-type'] ?? '');
    const query = contentType.includes('x-www-form-urlencoded');
    let body: Body;
    let operation: string | undefined;
    try {
      if (query) {
        body = Object.fromEntries(new URLSearchParams(req.body.toString()));
        operation = str(body.Action);
      } else {
        body = (req.body.length > 0 ? JSON.parse(req.body.toString()) : {}) as Body;
        operation = String(req.headers['x-amz-target'] ?? '').split('.')[1];
      }
    } catch {
      return undefined; // not a request the service could read: the emulator answers it as the service does
    }
    if (!operation || body === null || typeof body !== 'object') return undefined;
    const { account, region } = authorizer.setup;
    const arn = (service: string) => (resource: string) => `arn:aws:${service}:${region}:${account}:${resource}`;
    const needs =
      this.service === 'dynamodb'
        ? dynamodbNeeds(operation, body, arn('dynamodb'))
        : this.service === 'sqs'
          ? sqsNeeds(operation, body, arn('sqs'))
          : statesNeeds(operation, body);
    try {
      for (const need of needs) {
        const denial = await authorizer.authorize(principal, need.action, need.resource);
        if (denial) return refusalFor(this.service, query ? 'query' : 'json', denial);
      }
    } catch (e) {
      return json(500, { __type: 'InternalFailure', message: (e as Error).message });
    }
    return undefined;
  }
}

/** One line of the request log (`DOFS_REQUEST_LOG`): what a gate saw, before it decided. */
export interface RequestLogLine {
  readonly service: GatedService;
  readonly operation: string;
  /** The declared role that signed the request, or `owner` (the local cloud itself, a test, the AWS CLI). */
  readonly principal: string;
  /** The table (DynamoDB), the queue (SQS) or the execution or state machine ARN (Step Functions) it names. */
  readonly resource?: string;
  /** The order the request names, when it names one. */
  readonly orderId?: string;
  /** GetItem's, Query's and Scan's ConsistentRead, when set. */
  readonly consistentRead?: boolean;
  /** Epoch ms. */
  readonly time: number;
}

const orderIdIn = (text: unknown): string | undefined => {
  try {
    return str((JSON.parse(String(text)) as Body | null)?.orderId);
  } catch {
    return undefined;
  }
};

/** The order a request names: DynamoDB's Key or Item `orderId`, an SQS MessageBody's, StartExecution's input or name. */
const orderIdOf = (service: GatedService, operation: string, body: Body): string | undefined => {
  if (service === 'dynamodb') {
    const attribute = ((body.Key ?? body.Item) as Record<string, Body> | undefined)?.orderId;
    return str(attribute?.S);
  }
  if (service === 'sqs') return operation === 'SendMessage' ? orderIdIn(body.MessageBody) : undefined;
  return operation === 'StartExecution' ? (orderIdIn(body.input) ?? str(body.name)) : undefined;
};

/**
 * Test-only (tests/local/perOrderCounts.test.ts counts a real order's requests with it): when `DOFS_REQUEST_LOG`
 * names a file, every request a gate sees is appended to it as one JSON line. Each thread's gate appends on its
 * own; an append of one short line is one write, so lines do not interleave. Off (the variable unset) it costs
 * nothing.
 */
const logRequest = (file: string, service: GatedService, req: GatedRequest, principal: Principal | undefined): void => {
  let body: Body = {};
  let operation = '';
  try {
    if (String(req.headers['content-type'] ?? '').includes('x-www-form-urlencoded')) {
      body = Object.fromEntries(new URLSearchParams(req.body.toString()));
      operation = str(body.Action) ?? '';
    } else {
      body = (req.body.length > 0 ? JSON.parse(req.body.toString()) : {}) as Body;
      operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    }
  } catch {
    // unreadable: logged with what is known
  }
  if (body === null || typeof body !== 'object') body = {};
  const orderId = orderIdOf(service, operation, body);
  const resource =
    service === 'dynamodb'
      ? str(body.TableName)
      : service === 'sqs'
        ? (str(body.QueueUrl)?.split('/').pop() ?? str(body.QueueName))
        : (str(body.executionArn) ?? str(body.stateMachineArn));
  const line: RequestLogLine = {
    service,
    operation,
    principal: principal?.roleName ?? 'owner',
    ...(resource !== undefined ? { resource } : {}),
    ...(orderId !== undefined ? { orderId } : {}),
    ...(typeof body.ConsistentRead === 'boolean' ? { consistentRead: body.ConsistentRead } : {}),
    time: Date.now(),
  };
  fs.appendFileSync(file, JSON.stringify(line) + '\n');
};

const readBody = (req: http.IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

const answer = (res: http.ServerResponse, r: Refusal) => {
  res.writeHead(r.status, { ...r.headers, 'Content-Length': Buffer.byteLength(r.body) });
  res.end(r.body);
};

/**
 * Puts `gate` in front of a plain Node HTTP server in the same thread (dynalite): its request handlers get
 * an allowed request replayed, body and all, with no second hop over the network.
 */
export const guardServer = (server: http.Server, gate: Gate): void => {
  const handlers = server.listeners('request') as ((req: http.IncomingMessage, res: http.ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    void readBody(req)
      .then(async (body) => {
        const refusal = await gate.check({ headers: req.headers, url: req.url, body });
        if (refusal) return answer(res, refusal);
        const replay = Object.assign(new PassThrough(), { headers: req.headers, method: req.method, url: req.url, socket: req.socket });
        for (const handle of handlers) handle.call(server, replay as unknown as http.IncomingMessage, res);
        replay.end(body);
      })
      .catch(() => res.destroy());
  });
};

/**
 * `gate` as an HTTP endpoint of its own in front of `target` (fauxqs, the Step Functions endpoint), whose
 * servers this code does not own: an allowed request is forwarded as it came, and the answer returned.
 */
export const startGateProxy = async (
  target: string,
  gate: Gate,
  /** Operations the emulator lacks, answered here once the gate allowed them (undefined: forwarded). */
  serve?: (req: GatedRequest) => Promise<Refusal | undefined>,
): Promise<{ endpoint: string; stop: () => Promise<void> }> => {
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    void readBody(req)
      .then(async (body) => {
        const refusal = await gate.check({ headers: req.headers, url: req.url, body });
        if (refusal) return answer(res, refusal);
        const served = await serve?.({ headers: req.headers, url: req.url, body });
        if (served) return answer(res, served);
        const upstream = http.request(`${target}${req.url ?? '/'}`, { method: req.method, headers: req.headers, agent }, (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        });
        upstream.on('error', () => res.destroy());
        upstream.end(body);
      })
      .catch(() => res.destroy());
  });
  const listening = await listenLocally(server);
  return {
    endpoint: listening.endpoint,
    stop: async () => {
      await listening.stop();
      agent.destroy();
    },
  };
};
