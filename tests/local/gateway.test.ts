/**
 * The local gateway on its own, with a stub function behind it: gateway responses are rendered as API
 * Gateway renders them, by plain `$context` substitution, so a template that would break on AWS breaks here.
 */
import { GATEWAY_RESPONSES, gatewayResponseTemplate } from '../../components/orderApi';
import { type GatewaySpec, LocalGateway, renderGatewayTemplate } from '../../local/gateway';
import { codecs } from '../../runtime/codecs';
import { orderRequestSchema } from '../../runtime/schema';

const programResponses: GatewaySpec['responses'] = Object.fromEntries(
  GATEWAY_RESPONSES.map((r) => [r.type, { statusCode: r.statusCode?.toString(), template: gatewayResponseTemplate(r) }]),
);

const withGateway = async (responses: GatewaySpec['responses'], test: (url: string) => Promise<void>) => {
  const gateway = new LocalGateway({
    routes: [
      {
        method: 'POST',
        resource: '/orders',
        bodySchemas: { 'application/json': orderRequestSchema(codecs) },
        invoke: () => Promise.resolve({ statusCode: 202, headers: {}, body: '{}' }),
      },
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
