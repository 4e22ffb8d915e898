import { randomUUID } from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';
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

/** Largest body the local gateway reads (API Gateway's own limit is 10 MB). */
const MAX_READ_BYTES = 10 * 1024 * 1024;

const matchRoute = (routes: readonly Route[], method: string, path: string) => {
  for (const route of routes) {
    const names: string[] = [];
    const pattern = route.resource.replace(/\{(\w+)\+?\}/g, (_, n: string) => (names.push(n), '([^/]+)'));
    const m = new RegExp(`^${pattern}/?$`).exec(path);
    if (!m) continue;
    const params = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
    if (route.method === method) return { route, params, resourceMatched: true };
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

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'application/json', 'x-amzn-RequestId': requestId, ...headers });
      res.end(body);
    };
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_READ_BYTES) {
        const r = this.gatewayResponse('REQUEST_TOO_LARGE', 413, 'Request Too Long', { requestId, httpMethod: req.method });
        return send(r.status, r.body);
      }
      chunks.push(chunk as Buffer);
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const matched = matchRoute(this.spec.routes, method, url.pathname);
    if (!matched) {
      // API Gateway answers an unknown path or method with 403 Missing Authentication Token.
      const r = this.gatewayResponse('MISSING_AUTHENTICATION_TOKEN', 403, 'Missing Authentication Token', {
        requestId,
        httpMethod: method,
      });
      return send(r.status, r.body);
    }
    const body = chunks.length > 0 ? Buffer.concat(chunks).toString('utf8') : null;
    const contentType = String(req.headers['content-type'] ?? 'application/json')
      .split(';')[0]
      .trim()
      .toLowerCase();
    const validate = this.validators.get(matched.route)?.[contentType];
    const verdict = validate?.(body ?? '');
    if (verdict && !verdict.valid) {
      const r = this.gatewayResponse('BAD_REQUEST_BODY', 400, 'Invalid request body', {
        requestId,
        httpMethod: method,
        resourcePath: matched.route.resource,
        validationErrorString: verdict.validationErrorString,
      });
      return send(r.status, r.body);
    }
    const headers: Record<string, string> = {};
    const multiValueHeaders: Record<string, string[]> = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const [k, v] = [req.rawHeaders[i], req.rawHeaders[i + 1]];
      headers[k] = v;
      (multiValueHeaders[k] ??= []).push(v);
    }
    const query = Object.fromEntries(url.searchParams.entries());
    const event = {
      resource: matched.route.resource,
      path: url.pathname,
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
        resourcePath: matched.route.resource,
        httpMethod: method,
        path: `/${this.spec.stage}${url.pathname}`,
        identity: { sourceIp: req.socket.remoteAddress ?? '127.0.0.1' },
        requestTimeEpoch: Date.now(),
      },
    };
    try {
      const result = (await matched.route.invoke(event)) as { statusCode?: number; headers?: Record<string, string>; body?: string } | null;
      if (!result || typeof result.statusCode !== 'number') {
        const r = this.gatewayResponse('DEFAULT_5XX', 502, 'Internal server error', {
          requestId,
          httpMethod: method,
          resourcePath: matched.route.resource,
        });
        return send(r.status, r.body);
      }
      return send(result.statusCode, result.body ?? '', result.headers ?? {});
    } catch {
      // A failed or timed-out proxy function: API Gateway answers 502 (504 on timeout) itself.
      const r = this.gatewayResponse('DEFAULT_5XX', 502, 'Internal server error', {
        requestId,
        httpMethod: method,
        resourcePath: matched.route.resource,
      });
      return send(r.status, r.body);
    }
  }

  /** Listens on 127.0.0.1:`port`; rejects with EADDRINUSE when the port is taken. */
  async listen(port: number): Promise<void> {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch(() => {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end('{"error":{"code":"INTERNAL_ERROR","message":"The local gateway failed."}}');
      });
    });
    this.server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((r) => (this.server ? (this.server.closeAllConnections(), this.server.close(r)) : r(undefined)));
  }
}
