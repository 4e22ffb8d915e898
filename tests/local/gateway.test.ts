/**
 * The local gateway on its own, with a stub function behind it: gateway responses are rendered as API
 * Gateway renders them, by plain `$context` substitution, so a template that would break on AWS breaks here.
 */
import { GATEWAY_RESPONSES, gatewayResponseTemplate } from '../../components/orderApi';
import { PAYLOAD_LIMITS, invokeRequestError } from '../../local/functions';
import { type GatewaySpec, GATEWAY_LIMITS, LocalGateway, renderGatewayTemplate } from '../../local/gateway';
import { codecs } from '../../runtime/codecs';
import { orderRequestSchema } from '../../runtime/schema';
import { rawRequest } from '../support/rawHttp';

const programResponses: GatewaySpec['responses'] = Object.fromEntries(
  GATEWAY_RESPONSES.map((r) => [r.type, { statusCode: r.statusCode?.toString(), template: gatewayResponseTemplate(r) }]),
);

const withGateway = async (responses: GatewaySpec['responses'], test: (url: string) => Promise<void>) => {
  // A stub function behind Lambda's own Invoke check (the one local/functions.ts applies to every local function).
  const invoke = (event: unknown) => {
    const refused = invokeRequestError(JSON.stringify(event));
    return refused ? Promise.reject(refused) : Promise.resolve({ statusCode: 202, headers: {}, body: '{}' });
  };
  const gateway = new LocalGateway({
    routes: [
      { method: 'POST', resource: '/orders', bodySchemas: { 'application/json': orderRequestSchema(codecs) }, invoke },
      { method: 'GET', resource: '/orders/{orderId}', bodySchemas: {}, invoke },
    ],
    stage: 'v1',
    responses,
  });
  await gateway.listen(0);
  try {
    await test(gateway.url);
  } finally {
    await gateway.stop();
  }
};

const post = async (url: string, body: object) => {
  const res = await fetch(`${url}/orders`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
};
const order = { customerId: 'CUST-00042', items: [{ productId: 'SKU-1001', quantity: 1 }] };
const HOSTILE_KEYS = ['a"b', 'a\\b', 'a\nb', '\u0000', '$context.error.messageString', '$util.escapeJavaScript("x")', '#set($x = 1)'];

describe('gateway responses in the local gateway', () => {
  it('leave a template that relies on $util as written: it breaks here as it would on AWS', async () => {
    const relyingOnUtil = '{"message":"$util.escapeJavaScript($context.error.validationErrorString)"}';
    await withGateway({ BAD_REQUEST_BODY: { statusCode: '400', template: relyingOnUtil } }, async (url) => {
      const res = await post(url, { ...order, 'a"b': 1 });
      expect(res.status).toBe(400);
      expect(res.text).toContain('$util.escapeJavaScript([');
      expect(() => JSON.parse(res.text) as unknown).toThrow(SyntaxError);
    });
  });

  it.each(HOSTILE_KEYS)("answer an unknown key %p with the program's template: a 400 of valid JSON", async (key) => {
    await withGateway(programResponses, async (url) => {
      const res = await post(url, { ...order, [key]: 1 });
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text)).toEqual({ error: { code: 'VALIDATION_ERROR', message: expect.stringContaining('not a valid order') } });
    });
  });

  it('substitute once, the longest known name first, and leave unknown names and Velocity alone', () => {
    const vars = { 'error.message': 'M $context.error.message', 'error.messageString': '"M"' };
    expect(renderGatewayTemplate('$context.error.messageString|$context.error.message.|$context.nope|#if($x)', vars)).toBe(
      '"M"|M $context.error.message.|$context.nope|#if($x)',
    );
  });
});

describe("the local gateway's answer to malformed HTTP and to requests over API Gateway's limits", () => {
  const get = (path: string, headers = '') => `GET ${path} HTTP/1.1\r\nHost: x\r\n${headers}\r\n`;
  const cases: [string, string | (() => Promise<Response>), number][] = [
    ['an unknown method', 'FOO /orders HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['a bad chunk size', 'POST /orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n', 400],
    ['headers over 10240 bytes', get('/orders/x', `X-Big: ${'a'.repeat(GATEWAY_LIMITS.headerBytes)}\r\n`), 431],
    ['a URL over 10240 characters', get(`/orders/${'a'.repeat(GATEWAY_LIMITS.headerBytes)}`), 414],
    ['HTTP/1.1 without Host', 'GET /orders/x HTTP/1.1\r\n\r\n', 400],
    ['CONNECT', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 400],
    ['an Expect other than 100-continue', 'POST /orders HTTP/1.1\r\nHost: x\r\nExpect: x\r\nContent-Length: 2\r\n\r\n{}', 417],
    ['a path parameter with a bad percent-escape', get('/orders/%ZZ'), 400],
    ['a path parameter whose escapes are not UTF-8', get('/orders/%C3%28'), 400],
  ];
  it.each(cases)('%s: a JSON 4xx', async (_, request, status) => {
    await withGateway(programResponses, async (url) => {
      const res = await rawRequest(url, request as string);
      expect({ status: res.status, type: res.headers['content-type'] }).toEqual({ status, type: 'application/json' });
      expect(JSON.parse(res.body)).toEqual({ error: { code: 'REQUEST_ERROR', message: expect.any(String) } });
    });
  });

  it.each([
    ['a body over 10 MB (API Gateway)', GATEWAY_LIMITS.payloadBytes + 1],
    ['a proxy event over 6 MB (Lambda)', PAYLOAD_LIMITS.requestBytes],
  ])('%s: 413 PAYLOAD_TOO_LARGE', async (_, bytes) => {
    await withGateway(programResponses, async (url) => {
      const res = await fetch(`${url}/orders`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'x'.repeat(bytes) });
      expect(res.status).toBe(413);
      expect(await res.json()).toEqual({ error: { code: 'PAYLOAD_TOO_LARGE', message: expect.any(String) } });
    });
  });

  it('passes a body just under the limits to the function', async () => {
    await withGateway(programResponses, async (url) => {
      const res = await fetch(`${url}/orders`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain' },
        body: 'x'.repeat(PAYLOAD_LIMITS.requestBytes - 4096),
      });
      expect(res.status).toBe(202);
    });
  });
});
