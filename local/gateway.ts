import { randomUUID } from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';
import type { Duplex } from 'stream';
import { InvokeError } from './functions';
import { type ModelVerdict, ModelValidator } from './modelValidator';

/** One route of the REST API, as declared by the program's Resource/Method/Integration resources. */
export interface Route {
  readonly method: string;
  /** API Gateway resource path, e.g. `/orders/{orderId}`. */
  readonly resource: string;
  /** JSON schema of the request body by content type (only when the method's validator checks bodies). */
  readonly bodySchemas: Record<string, object>;
  readonly invoke: (event: unknown) => Promise<unknown>;
}

export interface GatewaySpec {
  readonly routes: readonly Route[];
  readonly stage: string;
  /** Gateway responses by type (BAD_REQUEST_BODY, DEFAULT_4XX, DEFAULT_5XX): status and JSON template. */
  readonly responses: Record<string, { statusCode?: string; template?: string }>;
}

/**
 * API Gateway's limits for a REST API, which the local gateway applies:
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html
 */
export const GATEWAY_LIMITS = {
  /** "Payload size: 10 MB". */
  payloadBytes: 10 * 1024 * 1024,
  /** "Total combined size of request line and header values: 10240 bytes" (Node's `maxHeaderSize` counts these bytes). */
  headerBytes: 10_240,
  /** "Integration timeout: 50 milliseconds - 29 seconds". */
  integrationTimeoutMs: 29_000,
} as const;

/** A body past the payload limit is read and dropped up to this size, so that the client reads the 413; past it the connection is cut. */
const DRAIN_LIMIT_BYTES = 4 * GATEWAY_LIMITS.payloadBytes;

/**
 * The path of a request target: origin form (`/orders?x`) or absolute form (`http://host/orders`), which
 * HTTP/1.1 servers must accept (RFC 9112 3.2.2); undefined for any other (`*`, `host:443`).
 */
const pathOf = (target: string): { path: string; query: string } | undefined => {
  const m = /^(?:https?:\/\/[^/?#]*)?(\/[^?#]*)?(?:\?([^#]*))?/i.exec(target);
  if (!m || (!target.startsWith('/') && !/^https?:\/\//i.test(target))) return undefined;
  return { path: m[1] ?? '/', query: m[2] ?? '' };
};

/** The route for `method` and `path`; a path parameter that is not valid percent-encoding is `badEncoding`. */
const matchRoute = (routes: readonly Route[], method: string, path: string) => {
  for (const route of routes) {
    const names: string[] = [];
    const pattern = route.resource.replace(/\{(\w+)\+?\}/g, (_, n: string) => (names.push(n), '([^/]+)'));
    const m = new RegExp(`^${pattern}/?$`).exec(path);
    if (!m || route.method !== method) continue;
    try {
      return { route, params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1])])) };
    } catch {
      // URIError: `%ZZ`, or an escape that is not UTF-8.
      return { route, badEncoding: true as const };
    }
  }
  return undefined;
};

/** API Gateway's body for a gateway response the API does not customise. */
const AWS_DEFAULT_TEMPLATE = '{"message":$context.error.messageString}';

/**
 * A gateway response body as API Gateway makes it: one pass of plain `$context` variable substitution, and
 * nothing else. The template is not Velocity (`$util.escapeJavaScript(...)`, `#if` and `#set` stay as they
 * are written) and no value is escaped, so a template that would break on AWS breaks here too:
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-gateway-responses.responseTemplates.html
 * `vars` is keyed by the name after `$context.`; a name the local gateway does not know stays as written.
 */
export const renderGatewayTemplate = (template: string, vars: Readonly<Record<string, string>>): string =>
  template.replace(/\$context\.((?:[A-Za-z0-9_]+\.)*[A-Za-z0-9_]+)/g, (whole, name: string) => {
    // The longest known name wins: `$context.error.message.` is the message and a full stop.
    const parts = name.split('.');
    for (let n = parts.length; n > 0; n--) {
      const candidate = parts.slice(0, n).join('.');
      if (Object.prototype.hasOwnProperty.call(vars, candidate))
        return vars[candidate] + whole.slice('$context.'.length + candidate.length);
    }
    return whole;
  });

/**
 * The REST API on 127.0.0.1: the program's routes at the root path, bodies checked with the same JSON
 * schema model API Gateway uses, judged as API Gateway judges it (local/modelValidator.ts), the program's
 * gateway responses for what API Gateway answers itself, and the proxy function invoked with a real API
 * Gateway proxy event.
 */
export class LocalGateway {
  private server?: http.Server;
  private readonly validators = new Map<Route, Record<string, (body: string) => ModelVerdict>>();
  url = '';

  constructor(private readonly spec: GatewaySpec) {
    const models = new ModelValidator();
    for (const route of spec.routes) {
      this.validators.set(route, Object.fromEntries(Object.entries(route.bodySchemas).map(([ct, schema]) => [ct, models.compile(schema)])));
    }
  }

  /**
   * What API Gateway answers itself: the program's gateway response of `type` (else DEFAULT_4XX/5XX), its
   * template rendered by {@link renderGatewayTemplate}. `message` is API Gateway's own text for the error.
   */
  private gatewayResponse(
    type: string,
    fallbackStatus: number,
    message: string,
    context: { requestId: string; httpMethod?: string; resourcePath?: string; validationErrorString?: string },
  ): { status: number; body: string } {
    const r = this.spec.responses[type] ?? this.spec.responses[fallbackStatus >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX'];
    const body = renderGatewayTemplate(r?.template ?? AWS_DEFAULT_TEMPLATE, {
      'error.message': message,
      // "The quoted value of $context.error.message, namely "$context.error.message"": quoted, not escaped.
      'error.messageString': `"${message}"`,
      'error.responseType': type,
      'error.validationErrorString': context.validationErrorString ?? '',
      requestId: context.requestId,
      extendedRequestId: context.requestId,
      httpMethod: context.httpMethod ?? '',
      resourcePath: context.resourcePath ?? '',
      stage: this.spec.stage,
    });
    return { status: Number(r?.statusCode ?? fallbackStatus), body };
  }

  /**
   * Reads the body. Past the payload limit it calls `onTooLarge` at once (the client reads the answer while it
   * still sends) and reads on, dropping the rest, up to a bound past which the connection is cut. Undefined if
   * the request broke off or was too large.
   */
  private async readBody(req: http.IncomingMessage, onTooLarge: () => void): Promise<Buffer | undefined> {
    const chunks: Buffer[] = [];
    let size = 0;
    let answered = false;
    try {
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size <= GATEWAY_LIMITS.payloadBytes) {
          chunks.push(chunk as Buffer);
          continue;
        }
        if (!answered) {
          answered = true;
          chunks.length = 0;
          onTooLarge();
        }
        if (size > DRAIN_LIMIT_BYTES) {
          req.destroy();
          return undefined;
        }
      }
    } catch {
      // The client went away, or sent malformed HTTP (a bad chunk): the 'clientError' handler answers.
      return undefined;
    }
    return size > GATEWAY_LIMITS.payloadBytes ? undefined : Buffer.concat(chunks);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const method = req.method ?? 'GET';
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      // The 'clientError' handler may have answered on this socket already (malformed HTTP mid-body).
      if (res.headersSent || res.destroyed || !req.socket.writable) return;
      res.writeHead(status, { 'Content-Type': 'application/json', 'x-amzn-RequestId': requestId, ...headers });
      res.end(body);
    };
    const refuse = (
      type: string,
      status: number,
      message: string,
      context: { resourcePath?: string; validationErrorString?: string } = {},
      headers: Record<string, string> = {},
    ) => {
      const r = this.gatewayResponse(type, status, message, { requestId, httpMethod: method, ...context });
      send(r.status, r.body, headers);
    };
    const bytes = await this.readBody(req, () => refuse('REQUEST_TOO_LARGE', 413, 'Request Too Long', {}, { Connection: 'close' }));
    if (!bytes) return;
    // Node does not require Host here (requireHostHeader: false) so that the answer is JSON; HTTP/1.1 does.
    if (req.httpVersion === '1.1' && req.headers.host === undefined) return refuse('DEFAULT_4XX', 400, 'Bad Request');
    const target = pathOf(req.url ?? '');
    if (!target) return refuse('DEFAULT_4XX', 400, 'Bad Request');
    const matched = matchRoute(this.spec.routes, method, target.path);
    // API Gateway answers an unknown path or method with 403 Missing Authentication Token.
    if (!matched) return refuse('MISSING_AUTHENTICATION_TOKEN', 403, 'Missing Authentication Token');
    const resourcePath = matched.route.resource;
    // How API Gateway answers a path parameter that is not valid percent-encoding is not documented: a 400.
    if ('badEncoding' in matched) return refuse('DEFAULT_4XX', 400, 'Bad Request', { resourcePath });
    const body = bytes.length > 0 ? bytes.toString('utf8') : null;
    const contentType = String(req.headers['content-type'] ?? 'application/json')
      .split(';')[0]
      .trim()
      .toLowerCase();
    const verdict = this.validators.get(matched.route)?.[contentType]?.(body ?? '');
    if (verdict && !verdict.valid) {
      return refuse('BAD_REQUEST_BODY', 400, 'Invalid request body', {
        resourcePath,
        validationErrorString: verdict.validationErrorString,
      });
    }
    const headers: Record<string, string> = {};
    const multiValueHeaders: Record<string, string[]> = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const [k, v] = [req.rawHeaders[i], req.rawHeaders[i + 1]];
      headers[k] = v;
      (multiValueHeaders[k] ??= []).push(v);
    }
    const query = Object.fromEntries(new URLSearchParams(target.query).entries());
    const event = {
      resource: resourcePath,
      path: target.path,
      httpMethod: method,
      headers,
      multiValueHeaders,
      queryStringParameters: Object.keys(query).length > 0 ? query : null,
      multiValueQueryStringParameters: null,
      pathParameters: Object.keys(matched.params).length > 0 ? matched.params : null,
      stageVariables: null,
      body,
      isBase64Encoded: false,
      requestContext: {
        requestId,
        stage: this.spec.stage,
        resourcePath,
        httpMethod: method,
        path: `/${this.spec.stage}${target.path}`,
        identity: { sourceIp: req.socket.remoteAddress ?? '127.0.0.1' },
        requestTimeEpoch: Date.now(),
      },
    };
    let timer: NodeJS.Timeout | undefined;
    const timedOut = Symbol('integration timeout');
    try {
      const result = (await Promise.race([
        matched.route.invoke(event),
        new Promise<typeof timedOut>((resolve) => (timer = setTimeout(() => resolve(timedOut), GATEWAY_LIMITS.integrationTimeoutMs))),
      ])) as { statusCode?: number; headers?: Record<string, string>; body?: string } | null | typeof timedOut;
      if (result === timedOut) return refuse('INTEGRATION_TIMEOUT', 504, 'Endpoint request timed out', { resourcePath });
      // A proxy response without a status is "Malformed Lambda proxy response": 502
      // (https://repost.aws/knowledge-center/malformed-502-api-gateway).
      if (!result || typeof result.statusCode !== 'number') return refuse('DEFAULT_5XX', 502, 'Internal server error', { resourcePath });
      return send(result.statusCode, result.body ?? '', result.headers ?? {});
    } catch (e) {
      // Lambda refused the Invoke: an event over its 6 MB request limit
      // (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html, checked in one place, by
      // local/functions.ts) is API Gateway's REQUEST_TOO_LARGE, 413, as reported in
      // https://github.com/koki-develop/lgtm-generator/issues/10; AWS documents any other refused Invoke as a
      // 500 (https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html).
      if (e instanceof InvokeError) {
        return e.name === 'RequestEntityTooLargeException'
          ? refuse('REQUEST_TOO_LARGE', 413, 'Request Too Long', { resourcePath })
          : refuse('DEFAULT_5XX', 500, 'Internal server error', { resourcePath });
      }
      // The function failed, or hit its own timeout (10 s, below the integration's 29 s): a 502 (same page).
      return refuse('DEFAULT_5XX', 502, 'Internal server error', { resourcePath });
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A JSON answer to what never became a request: malformed HTTP (a bad method or chunk, a header or URL over
   * the limit), CONNECT, an unmet Expect. Node's own answers are bare (`400` and no body), or none at all.
   */
  private answerSocket(socket: Duplex, status: number, message: string): void {
    const r = this.gatewayResponse('DEFAULT_4XX', status, message, { requestId: randomUUID() });
    socket.end(
      `HTTP/1.1 ${r.status} ${http.STATUS_CODES[r.status] ?? 'Error'}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(r.body)}\r\nConnection: close\r\n\r\n${r.body}`,
    );
  }

  /** The status and API Gateway-like message for an HTTP parse error (Node's llhttp codes). */
  private static parseErrorStatus(err: NodeJS.ErrnoException & { rawPacket?: Buffer }): [number, string] {
    if (err.code === 'HPE_HEADER_OVERFLOW') {
      // Over the limit before the request line ended: the URL is too long.
      const lineEnd = err.rawPacket?.indexOf('\r\n') ?? -1;
      return lineEnd === -1 || lineEnd > GATEWAY_LIMITS.headerBytes
        ? [414, 'Request-URI Too Long']
        : [431, 'Request Header Fields Too Large'];
    }
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'HPE_HEADERS_TIMEOUT') return [408, 'Request Timeout'];
    return [400, 'Bad Request'];
  }

  /** Listens on 127.0.0.1:`port`; rejects with EADDRINUSE when the port is taken. */
  async listen(port: number): Promise<void> {
    const server = http.createServer({ maxHeaderSize: GATEWAY_LIMITS.headerBytes, requireHostHeader: false }, (req, res) => {
      this.handle(req, res).catch(() => {
        if (res.headersSent || res.destroyed) return;
        const r = this.gatewayResponse('DEFAULT_5XX', 500, 'Internal server error', { requestId: randomUUID() });
        res.writeHead(r.status, { 'Content-Type': 'application/json' });
        res.end(r.body);
      });
    });
    server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex) => {
      const pending = (socket as Duplex & { _httpMessage?: http.ServerResponse | null })._httpMessage;
      if (err.code === 'ECONNRESET' || !socket.writable || pending?.headersSent) {
        socket.destroy();
        return;
      }
      this.answerSocket(socket, ...LocalGateway.parseErrorStatus(err));
    });
    // CONNECT has no route in a REST API; without a listener Node would close the connection unanswered.
    server.on('connect', (_req: http.IncomingMessage, socket: Duplex) => this.answerSocket(socket, 400, 'Bad Request'));
    // An Expect other than 100-continue; Node's own answer is a bare 417.
    server.on('checkExpectation', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const r = this.gatewayResponse('DEFAULT_4XX', 417, 'Expectation Failed', { requestId: randomUUID(), httpMethod: req.method });
      res.writeHead(r.status, { 'Content-Type': 'application/json', Connection: 'close' });
      res.end(r.body);
    });
    server.keepAliveTimeout = 5000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((r) => (this.server ? (this.server.closeAllConnections(), this.server.close(r)) : r(undefined)));
  }
}
