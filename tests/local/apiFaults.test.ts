/**
 * Faults injected into the api-handler (stack config `faults.apiHandler`) are answered as real ones are:
 * a transient error is 503 SERVICE_UNAVAILABLE with Retry-After, a hang is 504 GATEWAY_TIMEOUT just before
 * the function's timeout; never API Gateway's 502.
 */
import { validOrder } from '../runtime/tier1Corpus';
import { type RunningCloud, http, postOrder, startCloud } from '../support/localCloud';

const faults = (f: object) => ['--config', `faults=${JSON.stringify({ apiHandler: f })}`];

let failing: RunningCloud;
let hanging: RunningCloud;

// One after another: two programs starting at once on two cores would only slow each other down.
beforeAll(async () => {
  failing = await startCloud(faults({ errorRate: 1 }));
  hanging = await startCloud(faults({ timeoutRate: 1 }));
});
afterAll(() => Promise.all([failing, hanging].map((c) => c?.stop())));

describe('an injected api-handler fault', () => {
  it.each([
    ['POST /orders', () => postOrder(failing.url, validOrder)],
    ['GET /orders/{orderId}', () => http(`${failing.url}/orders/00000000-0000-4000-8000-000000000000`)],
  ])('an error on %s: 503 SERVICE_UNAVAILABLE with Retry-After', async (_, send) => {
    const res = await send();
    expect({ status: res.status, retryAfter: res.headers.get('retry-after'), body: res.body }).toEqual({
      status: 503,
      retryAfter: '1',
      body: { error: { code: 'SERVICE_UNAVAILABLE', message: expect.any(String) } },
    });
  });

  it('a hang: 504 GATEWAY_TIMEOUT before the function times out', async () => {
    const res = await postOrder(hanging.url, validOrder);
    expect({ status: res.status, body: res.body }).toEqual({
      status: 504,
      body: { error: { code: 'GATEWAY_TIMEOUT', message: expect.any(String) } },
    });
  });
});
