import { createHash, randomBytes } from 'crypto';
import { type ApiDeps, MAX_BODY_BYTES, orderIdForKey, orderIdKeyOf, routeApiRequest } from '../../runtime/apiHandler';
import { makeCodecs, type WorkflowInput } from '../../runtime/codecs';
import { transientError } from '../../runtime/errors';
import { answerWithin, json } from '../../runtime/http';
import { makeLogger } from '../../runtime/log';
import { makeOrderTables } from '../../runtime/orders';
import { type Dynamo, startDynamo } from '../support/dynamo';
import { apiEvent } from '../support/events';
import { TIER1_CORPUS, TIER1_TEXT_CORPUS } from './tier1Corpus';

const codecs = makeCodecs();
const validBody = { customerId: 'CUST-00042', items: [{ productId: 'SKU-1001', quantity: 2, unitPrice: 19.99 }] };

let dynamo: Dynamo;
beforeAll(async () => {
  dynamo = await startDynamo();
});
afterAll(async () => dynamo.stop());

/** Real tables on dynalite; StartExecution is recorded (or made to fail). */
/** The stack's order-id key, as RandomBytes generates it (components/orderApi.ts). */
const SECRET = randomBytes(32);

const world = (startFails = false) => {
  const started: WorkflowInput[] = [];
  const lines: string[] = [];
  let n = 0;
  const deps: ApiDeps = {
    tables: makeOrderTables(dynamo.db, dynamo.ordersTable, dynamo.failedOrdersTable),
    startExecution: async (input) => {
      if (startFails) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      started.push(input);
    },
    idForKey: (key) => orderIdForKey(SECRET, key),
    newId: () => `00000000-0000-4000-8000-${String(Date.now() % 1e6).padStart(6, '0')}${String(++n).padStart(6, '0')}`,
    now: () => '2026-11-25T00:00:00.000Z',
    // The invocation's end and the margin: 15 s on (the api-handler's 10 s timeout, and 5 s).
    startLeaseUntil: () => '2026-11-25T00:00:15.000Z',
    log: makeLogger('api-handler', 'DEBUG', {}, (l) => lines.push(l)),
  };
  return { deps, started, lines };
};

/** Resolves once `condition` holds (a signal: the write it waits for lands in dynalite). */
const waitFor = async (condition: () => Promise<boolean>) => {
  for (let i = 0; i < 10_000 && !(await condition()); i++) await new Promise((r) => setTimeout(r, 5));
};

const post = (body: string | null, headers: Record<string, string> = { 'Content-Type': 'application/json' }) =>
  apiEvent('POST', '/orders', { body, headers });
const call = async (event: ReturnType<typeof apiEvent>, w = world()) => {
  const res = await routeApiRequest(event, codecs)(w.deps);
  return { ...res, json: JSON.parse(res.body) };
};

describe('the order id of an Idempotency-Key', () => {
  const keys = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? `order-${i}` : `demo-${i}`));
  const uuidShaped = (hex: string) =>
    `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;

  it('is the same for the same key under the same stack secret: replays find their order across deploys', () => {
    const again = Buffer.from(SECRET.toString('base64'), 'base64'); // as the next deploy reads ORDER_ID_KEY
    for (const key of keys) expect(orderIdForKey(again, key)).toBe(orderIdForKey(SECRET, key));
  });

  it('cannot be computed from the key alone: another secret gives other ids, and no plain digest of the key matches', () => {
    const other = randomBytes(32);
    for (const key of keys) {
      const id = orderIdForKey(SECRET, key);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(orderIdForKey(other, key)).not.toBe(id);
      for (const algorithm of ['sha256', 'sha1', 'md5', 'sha512']) {
        for (const input of [key, `dofs-idempotency:${key}`]) {
          expect(uuidShaped(createHash(algorithm).update(input).digest('hex'))).not.toBe(id);
        }
      }
    }
    // Nor with an empty or all-zero secret: the id depends on the secret's bytes.
    expect(orderIdForKey(Buffer.alloc(32), keys[0])).not.toBe(orderIdForKey(SECRET, keys[0]));
  });

  it('refuses an ORDER_ID_KEY that is short or not base64, naming the variable and what is expected', () => {
    expect(orderIdKeyOf(SECRET.toString('base64'))).toEqual(SECRET);
    expect(() => orderIdKeyOf(randomBytes(16).toString('base64'))).toThrow('ORDER_ID_KEY holds 16 bytes of base64: expected at least 32');
    expect(() => orderIdKeyOf('not base64!')).toThrow(/ORDER_ID_KEY .*expected at least 32/);
  });
});

describe('POST /orders', () => {
  it('accepts a valid order: 202, Location, ACCEPTED stored, workflow started with name = orderId', async () => {
    const w = world();
    const res = await call(post(JSON.stringify(validBody)), w);
    expect(res.statusCode).toBe(202);
    expect(res.json).toEqual({ orderId: expect.any(String), status: 'ACCEPTED' });
    expect(res.headers.Location).toBe(`/orders/${res.json.orderId}`);
    expect(w.started).toEqual([{ orderId: res.json.orderId, ...validBody, acceptedAt: '2026-11-25T00:00:00.000Z' }]);
    const stored = await w.deps.tables.get(res.json.orderId);
    expect(stored).toMatchObject({ status: 'ACCEPTED', workflowStarted: true, customerId: 'CUST-00042' });
    expect(w.lines.every((l) => JSON.parse(l).orderId === res.json.orderId)).toBe(true);
  });

  it.each([
    ['malformed JSON', '{"customerId": ', '(body)'],
    ['an empty body', '', '(body)'],
    ['null', 'null', '(body)'],
    ['an array', '[]', '(body)'],
    ['a scalar', '42', '(body)'],
    ['a missing customerId', JSON.stringify({ items: validBody.items }), 'customerId'],
    ['an empty customerId', JSON.stringify({ ...validBody, customerId: '' }), 'customerId'],
    ['a 65-character customerId', JSON.stringify({ ...validBody, customerId: 'C'.repeat(65) }), 'customerId'],
    ['an unknown top-level field', JSON.stringify({ ...validBody, coupon: 'X' }), 'coupon'],
    ['no items', JSON.stringify({ ...validBody, items: [] }), 'items'],
    [
      '51 items',
      JSON.stringify({ ...validBody, items: Array.from({ length: 51 }, (_, i) => ({ productId: `P${i}`, quantity: 1 })) }),
      'items',
    ],
    ['items not an array', JSON.stringify({ ...validBody, items: {} }), 'items'],
    ['quantity 0', JSON.stringify({ ...validBody, items: [{ productId: 'A', quantity: 0 }] }), 'items.0.quantity'],
    ['quantity 1.5', JSON.stringify({ ...validBody, items: [{ productId: 'A', quantity: 1.5 }] }), 'items.0.quantity'],
    ['quantity as a string', JSON.stringify({ ...validBody, items: [{ productId: 'A', quantity: '2' }] }), 'items.0.quantity'],
    [
      'a negative unitPrice',
      JSON.stringify({ ...validBody, items: [{ productId: 'A', quantity: 1, unitPrice: -1 }] }),
      'items.0.unitPrice',
    ],
    ['an unknown item field', JSON.stringify({ ...validBody, items: [{ productId: 'A', quantity: 1, color: 'red' }] }), 'items.0.color'],
    ['an empty productId', JSON.stringify({ ...validBody, items: [{ productId: '', quantity: 1 }] }), 'items.0.productId'],
  ])('refuses %s with 400 VALIDATION_ERROR naming the field', async (_, body, path) => {
    const w = world();
    const res = await call(post(body), w);
    expect(res.statusCode).toBe(400);
    expect(res.json.error.code).toBe('VALIDATION_ERROR');
    expect(res.json.error.details.map((d: { path: string }) => d.path)).toContain(path);
    expect(w.started).toEqual([]);
    expect(res.body).not.toMatch(/at .*\.ts:\d+/);
  });

  it('names the value and what is allowed', async () => {
    const res = await call(post(JSON.stringify({ ...validBody, items: [{ productId: 'A', quantity: 0 }] })));
    expect(res.json.error.details).toEqual([
      { path: 'items.0.quantity', message: 'items.0.quantity is 0: expected integer from 1 to 9999' },
    ]);
  });

  it('refuses a non-JSON content type with 415 and a body over 32 KiB with 413', async () => {
    expect((await call(post(JSON.stringify(validBody), { 'Content-Type': 'text/plain' }))).statusCode).toBe(415);
    expect((await call(post(JSON.stringify(validBody), {}))).json.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const big = JSON.stringify({ ...validBody, customerId: 'x'.repeat(MAX_BODY_BYTES) });
    const res = await call(post(big));
    expect(res.statusCode).toBe(413);
    expect(res.json.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('replays the same Idempotency-Key and body: same orderId, no second workflow', async () => {
    const w = world();
    const headers = { 'content-type': 'application/json', 'Idempotency-Key': `key-${Date.now()}` };
    const first = await call(post(JSON.stringify(validBody), headers), w);
    // The same body with keys in another order is the same request.
    const second = await call(post(JSON.stringify({ items: validBody.items, customerId: validBody.customerId }), headers), w);
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(202);
    expect(second.json.orderId).toBe(first.json.orderId);
    expect(first.json.orderId).toBe(orderIdForKey(SECRET, headers['Idempotency-Key']));
    expect(w.started).toHaveLength(1);
  });

  it('starts one workflow for 50 replays that race the first request before it flags the start (EXPRESS does not deduplicate)', async () => {
    const w = world();
    const headers = { 'content-type': 'application/json', 'Idempotency-Key': `race-${Date.now()}` };
    // The first request's StartExecution is slow: the replays all arrive between its ACCEPTED write and its flag.
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    let created!: () => void;
    const createdSignal = new Promise<void>((r) => (created = r));
    const firstDeps: ApiDeps = {
      ...w.deps,
      tables: {
        ...w.deps.tables,
        createAccepted: async (order) => {
          const r = await w.deps.tables.createAccepted(order);
          created();
          return r;
        },
      },
      startExecution: async (input) => {
        await slow;
        w.started.push(input);
      },
    };
    const first = routeApiRequest(post(JSON.stringify(validBody), headers), codecs)(firstDeps);
    await createdSignal;
    const replays = await Promise.all(Array.from({ length: 49 }, () => call(post(JSON.stringify(validBody), headers), w)));
    release();
    expect((await first).statusCode).toBe(202);
    expect(replays.every((r) => r.statusCode === 202)).toBe(true);
    expect(w.started).toHaveLength(1);
  });

  it('lets exactly one of racing replays start the workflow of an order whose first request died before its start', async () => {
    const w = world();
    const headers = { 'content-type': 'application/json', 'Idempotency-Key': `orphan-${Date.now()}` };
    // The first request wrote ACCEPTED and then its invocation ended (a timeout): no start, no flag.
    const dead: ApiDeps = { ...w.deps, startExecution: () => new Promise<void>(() => undefined) };
    void routeApiRequest(post(JSON.stringify(validBody), headers), codecs)(dead);
    const id = orderIdForKey(SECRET, headers['Idempotency-Key']);
    await waitFor(async () => (await w.deps.tables.get(id)) !== undefined);
    // Within its lease, replays leave the start to it...
    await Promise.all(Array.from({ length: 5 }, () => call(post(JSON.stringify(validBody), headers), w)));
    expect(w.started).toHaveLength(0);
    // ...once it ran out, one replay of many claims the start.
    const later: ApiDeps = { ...w.deps, now: () => '2026-11-25T00:00:16.000Z', startLeaseUntil: () => '2026-11-25T00:00:31.000Z' };
    const replays = await Promise.all(
      Array.from({ length: 20 }, () => routeApiRequest(post(JSON.stringify(validBody), headers), codecs)(later)),
    );
    expect(replays.every((r) => r.statusCode === 202)).toBe(true);
    expect(w.started).toHaveLength(1);
    expect((await w.deps.tables.get(id))?.workflowStarted).toBe(true);
  });

  it('answers 409 IDEMPOTENCY_CONFLICT for the same key with a different body', async () => {
    const w = world();
    const headers = { 'Content-Type': 'application/json', 'Idempotency-Key': `conflict-${Date.now()}` };
    await call(post(JSON.stringify(validBody), headers), w);
    const res = await call(post(JSON.stringify({ ...validBody, customerId: 'CUST-99999' }), headers), w);
    expect(res.statusCode).toBe(409);
    expect(res.json.error.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(w.started).toHaveLength(1);
  });

  it('refuses an Idempotency-Key over 128 characters', async () => {
    const res = await call(post(JSON.stringify(validBody), { 'Content-Type': 'application/json', 'Idempotency-Key': 'k'.repeat(129) }));
    expect(res.statusCode).toBe(400);
    expect(res.json.error.details[0].path).toBe('headers.Idempotency-Key');
  });

  it('when StartExecution fails without a key: 503 with Retry-After, and the order is removed, not left ACCEPTED', async () => {
    const w = world(true);
    const ids: string[] = [];
    const deps: ApiDeps = { ...w.deps, newId: () => (ids.push(w.deps.newId()), ids[0]) };
    const res = await routeApiRequest(post(JSON.stringify(validBody)), codecs)(deps);
    expect(res.statusCode).toBe(503);
    expect(res.headers['Retry-After']).toBe('1');
    expect(ids).toHaveLength(1);
    expect(w.lines.some((l) => l.includes('"orderId":"' + ids[0] + '"') && l.includes('removing the order'))).toBe(true);
    expect(await w.deps.tables.get(ids[0])).toBeUndefined();
  });

  it('when StartExecution fails with a key: 503, the order stays ACCEPTED with its lease given up, and the retry with the key starts it', async () => {
    const w = world(true);
    const headers = { 'Content-Type': 'application/json', 'Idempotency-Key': `throttled-${Date.now()}` };
    const id = orderIdForKey(SECRET, headers['Idempotency-Key']);
    const res = await call(post(JSON.stringify(validBody), headers), w);
    expect(res.statusCode).toBe(503);
    expect(res.headers['Retry-After']).toBe('1');
    const kept = await w.deps.tables.get(id);
    expect({ status: kept?.status, lease: kept?.startLeaseUntil, started: kept?.workflowStarted }).toEqual({
      status: 'ACCEPTED',
      lease: undefined,
      started: undefined,
    });
    // The client's retry with the same key, at once (no lease to wait out), starts the workflow and answers 202.
    const retry = world();
    const again = await call(post(JSON.stringify(validBody), headers), retry);
    expect({ status: again.statusCode, orderId: again.json.orderId }).toEqual({ status: 202, orderId: id });
    expect(retry.started).toHaveLength(1);
    expect((await w.deps.tables.get(id))?.workflowStarted).toBe(true);
  });

  it('answers the StartExecution failure (503) even when giving up the lease fails too', async () => {
    const w = world(true);
    const headers = { 'Content-Type': 'application/json', 'Idempotency-Key': `cleanup-${Date.now()}` };
    const deps: ApiDeps = {
      ...w.deps,
      tables: {
        ...w.deps.tables,
        releaseStart: async () => {
          throw Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException' });
        },
      },
    };
    const res = await routeApiRequest(post(JSON.stringify(validBody), headers), codecs)(deps);
    expect({ status: res.statusCode, code: JSON.parse(res.body).error.code }).toEqual({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    expect(w.lines.some((l) => l.includes('could not remove the order or give up its start lease'))).toBe(true);
    expect((await w.deps.tables.get(orderIdForKey(SECRET, headers['Idempotency-Key'])))?.status).toBe('ACCEPTED');
  });

  it("keeps an order a replay answered 202 for while its first request's StartExecution was still pending, when that start then fails", async () => {
    // tests/model/counterexamples.md, lease-then-delete: the replay answers 202 inside the first request's lease; the
    // first request's StartExecution is then refused. Before the fix the order was deleted: a 202 for an order gone.
    const w = world();
    const headers = { 'content-type': 'application/json', 'Idempotency-Key': `refused-${Date.now()}` };
    const id = orderIdForKey(SECRET, headers['Idempotency-Key']);
    let refuse!: () => void;
    const refused = new Promise<void>((r) => (refuse = r));
    const first = routeApiRequest(
      post(JSON.stringify(validBody), headers),
      codecs,
    )({
      ...w.deps,
      startExecution: async () => {
        await refused;
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      },
    });
    await waitFor(async () => (await w.deps.tables.get(id)) !== undefined);
    const replay = await call(post(JSON.stringify(validBody), headers), w);
    expect(replay.statusCode).toBe(202);
    refuse();
    expect((await first).statusCode).toBe(503);
    expect((await w.deps.tables.get(id))?.status).toBe('ACCEPTED');
    // The next replay starts it.
    expect((await call(post(JSON.stringify(validBody), headers), w)).statusCode).toBe(202);
    expect(w.started.map((i) => i.orderId)).toEqual([id]);
  });

  it('keeps a keyed order whose start failed ambiguously, so that the execution that did start finds it and a retry is no conflict', async () => {
    // tests/model/counterexamples.md, delete-after-start: StartExecution started the execution but its answer was
    // lost. Before the fix the order was deleted, StoreOrder re-created it without its request hash, and the
    // client's retry with the same key and body was answered 409.
    const w = world();
    const headers = { 'content-type': 'application/json', 'Idempotency-Key': `lost-${Date.now()}` };
    const id = orderIdForKey(SECRET, headers['Idempotency-Key']);
    const lost: ApiDeps = {
      ...w.deps,
      startExecution: async (input) => {
        w.started.push(input);
        throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      },
    };
    expect((await routeApiRequest(post(JSON.stringify(validBody), headers), codecs)(lost)).statusCode).toBeGreaterThanOrEqual(500);
    const started = w.started[0];
    await expect(
      makeOrderTables(dynamo.db, dynamo.ordersTable, dynamo.failedOrdersTable).storePending(started, '2026-11-25T00:00:01.000Z'),
    ).resolves.toMatchObject({ outcome: 'STORED' });
    const retry = await call(post(JSON.stringify(validBody), headers), w);
    expect({ status: retry.statusCode, orderId: retry.json.orderId }).toEqual({ status: 202, orderId: id });
    expect((await w.deps.tables.get(id))?.requestHash).toBeDefined();
  });

  it('hides internal errors behind a 500 with no message from inside', async () => {
    const w = world();
    const deps = {
      ...w.deps,
      tables: {
        ...w.deps.tables,
        createAccepted: async () => {
          throw new Error('secret internals');
        },
      },
    };
    const res = await routeApiRequest(post(JSON.stringify(validBody)), codecs)(deps);
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('secret');
    expect(JSON.parse(res.body).error.code).toBe('INTERNAL_ERROR');
  });

  it('maps a transient store failure to 503', async () => {
    const w = world();
    const deps = {
      ...w.deps,
      tables: {
        ...w.deps.tables,
        createAccepted: async () => {
          throw transientError('throttled');
        },
      },
    };
    expect((await routeApiRequest(post(JSON.stringify(validBody)), codecs)(deps)).statusCode).toBe(503);
  });
});

describe('injected faults and the deadline', () => {
  const injected = async () => {
    throw transientError('injected fault in api-handler');
  };

  it.each([
    ['POST /orders', () => post(JSON.stringify(validBody))],
    ['GET /orders/{orderId}', () => apiEvent('GET', '/orders/{orderId}', { orderId: '00000000-0000-4000-8000-000000000000' })],
  ])('answer an injected transient fault on %s as a real one: 503 SERVICE_UNAVAILABLE with Retry-After', async (_, event) => {
    const w = world();
    const res = await routeApiRequest(event(), codecs)({ ...w.deps, faults: injected });
    expect({ status: res.statusCode, retryAfter: res.headers['Retry-After'], code: JSON.parse(res.body).error.code }).toEqual({
      status: 503,
      retryAfter: '1',
      code: 'SERVICE_UNAVAILABLE',
    });
    expect(res.body).not.toContain('injected');
    expect(w.started).toEqual([]);
  });

  it('answer 504 GATEWAY_TIMEOUT when the work is not done by the deadline', async () => {
    let warned = false;
    const never = new Promise<never>(() => undefined);
    const res = await answerWithin(20, never, () => (warned = true));
    expect({ status: res.statusCode, code: JSON.parse(res.body).error.code, warned }).toEqual({
      status: 504,
      code: 'GATEWAY_TIMEOUT',
      warned: true,
    });
  });

  it("answer the work's own response when it is done in time", async () => {
    await expect(answerWithin(60_000, Promise.resolve(json(202, { ok: true })))).resolves.toMatchObject({ statusCode: 202 });
  });
});

describe('the tier-1 corpus sent straight to the handler, as if no gateway had checked it', () => {
  /** The status, the error code and whether the error lists details. */
  const answer = async (body: string) => {
    const res = await call(post(body));
    return { status: res.statusCode, code: res.json.error?.code, details: Array.isArray(res.json.error?.details) };
  };
  const refused = { status: 400, code: 'VALIDATION_ERROR', details: true };
  const accepted = { status: 202, code: undefined, details: false };

  it.each(TIER1_CORPUS)('$name: 202 if valid, else 400 VALIDATION_ERROR with details', async ({ body, valid }) => {
    expect(await answer(JSON.stringify(body))).toEqual(valid ? accepted : refused);
  });

  it.each(TIER1_TEXT_CORPUS)('the text of $name: 202 if the codec accepts it, else 400 (413 over 32 KiB)', async ({ text, codec }) => {
    const tooLarge = { status: 413, code: 'PAYLOAD_TOO_LARGE', details: false };
    expect(await answer(text)).toEqual(Buffer.byteLength(text) > MAX_BODY_BYTES ? tooLarge : codec === true ? accepted : refused);
  });
});

describe('GET /orders/{orderId}', () => {
  it('finds an order that is accepted but not stored yet', async () => {
    const w = world();
    const { json } = await call(post(JSON.stringify(validBody)), w);
    const res = await call(apiEvent('GET', '/orders/{orderId}', { orderId: json.orderId }), w);
    expect(res.statusCode).toBe(200);
    expect(res.json).toEqual({
      orderId: json.orderId,
      status: 'ACCEPTED',
      customerId: 'CUST-00042',
      items: validBody.items,
      createdAt: '2026-11-25T00:00:00.000Z',
      updatedAt: '2026-11-25T00:00:00.000Z',
    });
  });

  it.each(['00000000-0000-4000-8000-000000000000', 'not-an-id', "'; DROP TABLE"])('answers 404 ORDER_NOT_FOUND for %p', async (id) => {
    const res = await call(apiEvent('GET', '/orders/{orderId}', { orderId: id }));
    expect(res.statusCode).toBe(404);
    expect(res.json.error.code).toBe('ORDER_NOT_FOUND');
  });
});

describe('other routes', () => {
  it('answers JSON 405 for a wrong method and 404 for an unknown path', async () => {
    const m = await call(apiEvent('DELETE', '/orders'));
    expect(m.statusCode).toBe(405);
    expect(m.json.error.code).toBe('METHOD_NOT_ALLOWED');
    const p = await call(apiEvent('GET', '/{proxy+}', { path: '/nope' }));
    expect(p.statusCode).toBe(404);
    expect(p.json.error.code).toBe('NOT_FOUND');
  });
});
