/**
 * The hostile-input corpus, sent to a running local cloud (`npm start`'s program on a free port), each
 * case over HTTP as a client would send it: numbers at and past every limit, Unicode (lone surrogates,
 * NUL, BOM, bytes that are not UTF-8), duplicate and `__proto__` keys, deep nesting, odd content types and
 * methods, percent-encoding, chunked and oversize bodies, malformed HTTP. Every case must get a JSON 4xx
 * with the contract's error body, or the 202 the contract allows for a valid order, and never a 5xx
 * (CONTRACT.md, "HTTP API"). Each case names the status it expects; where the contract allows two (413 or
 * 400 for a body over 32 KiB), both.
 */
import { PAYLOAD_LIMITS } from '../../local/functions';
import { GATEWAY_LIMITS } from '../../local/gateway';
import { MAX_BODY_BYTES } from '../../runtime/apiHandler';
import { TIER1_CORPUS, TIER1_TEXT_CORPUS, validOrder } from '../runtime/tier1Corpus';
import { type RunningCloud, startCloud } from '../support/localCloud';
import { rawRequest } from '../support/rawHttp';

/** What came back: the status, the Content-Type and the body's text. */
interface Answer {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: string;
}

interface HostileCase {
  readonly name: string;
  readonly send: (url: string) => Promise<Answer>;
  /** The status the contract gives this case (any of them, where it allows more than one). */
  readonly status: number | readonly number[];
  /** The error code the first status in `status` comes with, where it is certain. */
  readonly code?: string;
}

const ORDER = JSON.stringify(validOrder);
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

const viaFetch =
  (path: string, init: RequestInit): HostileCase['send'] =>
  async (url) => {
    const res = await fetch(`${url}${path}`, init);
    return { status: res.status, contentType: res.headers.get('content-type') ?? undefined, body: await res.text() };
  };

/** A POST /orders with `body` and `contentType` (none when undefined), through fetch. */
const post = (body: string | Buffer, contentType: string | undefined = 'application/json', headers: Record<string, string> = {}) =>
  viaFetch('/orders', {
    method: 'POST',
    headers: { ...(contentType === undefined ? {} : { 'Content-Type': contentType }), ...headers },
    body: typeof body === 'string' ? body : new Uint8Array(body),
  });

/** Bytes as written, for what fetch cannot send or would normalise (methods, targets, framing, raw bytes). */
const rawSend =
  (halfClose: boolean) =>
  (...parts: (string | Buffer)[]): HostileCase['send'] =>
  async (url) => {
    const bytes = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p)));
    const r = await rawRequest(url, bytes, { halfClose });
    return { status: r.status, contentType: r.headers['content-type'], body: r.body };
  };
const raw = rawSend(false);
/** A request the client breaks off: what it wrote, then the end of its side of the connection. */
const cutOff = rawSend(true);

const get = (target: string) => raw(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
const head = (method: string, target: string, headers = '') => `${method} ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${headers}`;
/** A POST /orders whose body is sent in the given chunks (Transfer-Encoding: chunked). */
const chunked = (chunks: readonly string[], ending = '0\r\n\r\n') =>
  (ending === '' ? cutOff : raw)(
    head('POST', '/orders', 'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n'),
    chunks.map((c) => `${Buffer.byteLength(c).toString(16)}\r\n${c}\r\n`).join(''),
    ending,
  );
/** A POST /orders with a raw UTF-8 body and the Content-Length it really has. */
const postBytes = (body: Buffer) =>
  raw(head('POST', '/orders', `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`), body);

/** The valid order padded with whitespace (valid JSON, and the model's verdict does not change) to `bytes` in all. */
const padded = (bytes: number) => ORDER + ' '.repeat(bytes - Buffer.byteLength(ORDER));

const tier1: HostileCase[] = [
  ...TIER1_CORPUS.map((c) => ({
    name: `tier 1: ${c.name}`,
    send: post(JSON.stringify(c.body)),
    status: c.valid ? 202 : 400,
    code: c.valid ? undefined : 'VALIDATION_ERROR',
  })),
  // The gateway's model judges the text first; a body it lets through never fails the codec (schemaAgreement.test).
  ...TIER1_TEXT_CORPUS.map((c) => ({
    name: `tier 1, as written: ${c.name}`,
    send: post(c.text),
    status: c.gateway ? 202 : 400,
    code: c.gateway ? undefined : 'VALIDATION_ERROR',
  })),
];

const utf8 = (s: string) => Buffer.from(s, 'utf8');
const inCustomerId = (bytes: Buffer) =>
  Buffer.concat([utf8('{"customerId":"CUST-'), bytes, utf8('","items":[{"productId":"P","quantity":1}]}')]);

const encodings: HostileCase[] = [
  // Bytes that are not UTF-8: the gateway decodes the body to text, and a decoder (Node's here, Java's in API
  // Gateway) reads each as U+FFFD, a valid character, so the order is well-formed; a 400 would do as well.
  { name: 'a 0xFF byte in a string', send: postBytes(inCustomerId(Buffer.from([0xff]))), status: [202, 400] },
  { name: 'an overlong UTF-8 quote (C0 A2) in a string', send: postBytes(inCustomerId(Buffer.from([0xc0, 0xa2]))), status: [202, 400] },
  {
    name: 'a UTF-8-encoded lone surrogate (ED A0 80) in a string',
    send: postBytes(inCustomerId(Buffer.from([0xed, 0xa0, 0x80]))),
    status: [202, 400],
  },
  { name: 'a raw NUL byte inside a string', send: postBytes(inCustomerId(Buffer.from([0x00]))), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'a raw NUL byte between tokens', send: postBytes(Buffer.concat([utf8(ORDER), Buffer.from([0])])), status: 400 },
  {
    name: 'the body in UTF-16LE with its BOM',
    send: postBytes(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(ORDER, 'utf16le')])),
    status: 400,
  },
  { name: 'the body in UTF-16BE without a BOM', send: postBytes(Buffer.from(ORDER, 'utf16le').swap16()), status: 400 },
  {
    name: 'an escaped NUL in an unknown key',
    send: post('{"customerId":"C","items":[{"productId":"P","quantity":1}],"\\u0000":1}'),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'an escaped lone surrogate in an unknown key',
    send: post('{"customerId":"C","items":[{"productId":"P","quantity":1}],"\\udfff":1}'),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'an escaped lone surrogate in productId',
    send: post('{"customerId":"C","items":[{"productId":"\\udbff","quantity":1}]}'),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'duplicate keys in an item (the last one counts)',
    send: post('{"customerId":"C","items":[{"productId":"A","productId":"B","quantity":1}]}'),
    status: 202,
  },
  {
    name: 'duplicate quantity keys, the last one 0',
    send: post('{"customerId":"C","items":[{"productId":"A","quantity":1,"quantity":0}]}'),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'a __proto__ key in an item, as written',
    send: post('{"customerId":"C","items":[{"productId":"A","quantity":1,"__proto__":{"unitPrice":-1}}]}'),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'a constructor.prototype key, as written',
    send: post(`${ORDER.slice(0, -1)},"constructor":{"prototype":{"isAdmin":true}}}`),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'an unknown key nested 5000 objects deep',
    send: post(`${ORDER.slice(0, -1)},"x":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}`),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: '2000 unknown keys',
    send: post(`${ORDER.slice(0, -1)},${Array.from({ length: 2_000 }, (_, i) => `"k${i}":1`).join(',')}}`),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'quantity written 1E4',
    send: post('{"customerId":"C","items":[{"productId":"P","quantity":1E4}]}'),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'quantity written 1e-400 (0 as a double)',
    send: post('{"customerId":"C","items":[{"productId":"P","quantity":1e-400}]}'),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'unitPrice written 1000000.00',
    send: post('{"customerId":"C","items":[{"productId":"P","quantity":1,"unitPrice":1000000.00}]}'),
    status: 202,
  },
  {
    name: 'unitPrice written 1e6',
    send: post('{"customerId":"C","items":[{"productId":"P","quantity":1,"unitPrice":1e6}]}'),
    status: 202,
  },
  {
    name: 'unitPrice written 1000000.001',
    send: post('{"customerId":"C","items":[{"productId":"P","quantity":1,"unitPrice":1000000.001}]}'),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'unitPrice with 1000 zeros before its last digit',
    send: post(`{"customerId":"C","items":[{"productId":"P","quantity":1,"unitPrice":0.${'0'.repeat(1_000)}1}]}`),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'quantity Infinity',
    send: post('{"customerId":"C","items":[{"productId":"P","quantity":Infinity}]}'),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
];

const contentTypes: HostileCase[] = [
  { name: 'Content-Type application/json; charset=utf-8', send: post(ORDER, 'application/json; charset=utf-8'), status: 202 },
  { name: 'Content-Type APPLICATION/JSON', send: post(ORDER, 'APPLICATION/JSON'), status: 202 },
  { name: 'Content-Type text/plain', send: post(ORDER, 'text/plain'), status: [415, 400], code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'Content-Type text/json', send: post(ORDER, 'text/json'), status: [415, 400], code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'Content-Type application/xml', send: post('<order/>', 'application/xml'), status: [415, 400], code: 'UNSUPPORTED_MEDIA_TYPE' },
  {
    name: 'Content-Type application/x-www-form-urlencoded',
    send: post('customerId=C&items=1', 'application/x-www-form-urlencoded'),
    status: [415, 400],
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'Content-Type multipart/form-data',
    send: post(`--b\r\nContent-Disposition: form-data; name="o"\r\n\r\n${ORDER}\r\n--b--\r\n`, 'multipart/form-data; boundary=b'),
    status: [415, 400],
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'Content-Type application/json-patch+json',
    send: post(ORDER, 'application/json-patch+json'),
    status: [415, 400],
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'an empty Content-Type',
    send: raw(head('POST', '/orders', `Content-Type:\r\nContent-Length: ${ORDER.length}\r\n\r\n`), ORDER),
    status: [415, 400],
  },
  { name: 'no Content-Type', send: raw(head('POST', '/orders', `Content-Length: ${ORDER.length}\r\n\r\n`), ORDER), status: [415, 400] },
  { name: 'an invalid order as text/plain', send: post('{"customerId":', 'text/plain'), status: [415, 400] },
];

const methods: HostileCase[] = [
  ...['PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'].map((m) => ({
    name: `${m} /orders`,
    send: raw(head(m, '/orders', `Content-Type: application/json\r\nContent-Length: ${ORDER.length}\r\n\r\n`), ORDER),
    status: 403,
    code: 'REQUEST_ERROR',
  })),
  { name: 'GET /orders', send: get('/orders'), status: 403, code: 'REQUEST_ERROR' },
  { name: 'DELETE /orders/{orderId}', send: raw(head('DELETE', `/orders/${UNKNOWN_ID}`, '\r\n')), status: 403, code: 'REQUEST_ERROR' },
  { name: 'POST /orders/{orderId}', send: raw(head('POST', `/orders/${UNKNOWN_ID}`, 'Content-Length: 2\r\n\r\n{}')), status: 403 },
  { name: 'GET /', send: get('/'), status: 403, code: 'REQUEST_ERROR' },
  { name: 'an unknown path', send: get('/nothing/here'), status: 403, code: 'REQUEST_ERROR' },
  { name: 'GET /orders/{orderId}/extra', send: get(`/orders/${UNKNOWN_ID}/extra`), status: 403, code: 'REQUEST_ERROR' },
  { name: 'an unknown method FOO', send: raw(head('FOO', '/orders', '\r\n')), status: 400, code: 'REQUEST_ERROR' },
  { name: 'a lower-case method', send: raw(head('post', '/orders', 'Content-Length: 2\r\n\r\n{}')), status: 400, code: 'REQUEST_ERROR' },
  { name: 'CONNECT', send: raw('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'), status: 400, code: 'REQUEST_ERROR' },
  { name: 'an HTTP/2 preface over HTTP/1.1', send: raw('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), status: 400, code: 'REQUEST_ERROR' },
  { name: 'HTTP/1.1 without Host', send: raw(`GET /orders/${UNKNOWN_ID} HTTP/1.1\r\nConnection: close\r\n\r\n`), status: 400 },
  { name: 'two spaces after the method', send: raw(`GET  /orders/${UNKNOWN_ID} HTTP/1.1\r\nHost: x\r\n\r\n`), status: [400, 404] },
  { name: 'an asterisk target', send: raw('GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), status: 400, code: 'REQUEST_ERROR' },
  {
    name: 'an absolute-form target',
    send: raw(`GET http://x/orders/${UNKNOWN_ID} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
    status: 404,
    code: 'ORDER_NOT_FOUND',
  },
  {
    name: 'an Expect other than 100-continue',
    send: raw(head('POST', '/orders', 'Expect: x\r\nContent-Length: 2\r\n\r\n{}')),
    status: 417,
  },
];

const percent: HostileCase[] = [
  ...['%ZZ', '%', '%2', '%C3%28', '%ED%A0%80', '%FF', '%E2%82'].map((p) => ({
    name: `GET /orders/${p} (not UTF-8 percent-encoding)`,
    send: get(`/orders/${p}`),
    status: 400,
    code: 'REQUEST_ERROR',
  })),
  ...['%00', '%2F', '%25', '%F0%9F%98%80', 'a%20b', '..%2F..%2Fetc%2Fpasswd', '%22%5C%0A'].map((p) => ({
    name: `GET /orders/${p} (decodes to an id no order has)`,
    send: get(`/orders/${p}`),
    status: 404,
    code: 'ORDER_NOT_FOUND',
  })),
  {
    name: 'a percent-encoded unknown order id',
    send: get(`/orders/${[...UNKNOWN_ID].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('')}`),
    status: 404,
    code: 'ORDER_NOT_FOUND',
  },
  { name: 'an upper-case order id', send: get(`/orders/${UNKNOWN_ID.toUpperCase()}`), status: 404, code: 'ORDER_NOT_FOUND' },
  { name: 'a percent-encoded resource name', send: get(`/%6Frders/${UNKNOWN_ID}`), status: [403, 404] },
  { name: 'a bad escape in the query string', send: get(`/orders/${UNKNOWN_ID}?x=%ZZ&%=1`), status: 404, code: 'ORDER_NOT_FOUND' },
  { name: 'a raw space in the path', send: raw(`GET /orders/a b HTTP/1.1\r\nHost: x\r\n\r\n`), status: 400 },
  {
    name: 'a raw non-ASCII byte in the path',
    send: raw(Buffer.from(`GET /orders/\u00e9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 'utf8')),
    status: [400, 404],
  },
  {
    name: 'POST /orders with a bad escape in the query string',
    send: viaFetch('/orders?%ZZ=1', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: ORDER }),
    status: 202,
  },
];

const framing: HostileCase[] = [
  { name: 'a valid order, chunked', send: chunked([ORDER]), status: 202 },
  { name: 'a valid order in one-byte chunks', send: chunked([...ORDER]), status: 202 },
  {
    name: 'a valid order, chunked with chunk extensions',
    send: raw(
      head('POST', '/orders', 'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n'),
      `${ORDER.length.toString(16)};ext=1\r\n${ORDER}\r\n0\r\n\r\n`,
    ),
    status: 202,
  },
  { name: 'an invalid order, chunked', send: chunked(['{"customerId":"C","items":[]}']), status: 400, code: 'VALIDATION_ERROR' },
  {
    name: 'a chunked body over 32 KiB',
    send: chunked(Array.from({ length: 40 }, (_, i) => (i === 0 ? ORDER : ' '.repeat(1024)))),
    status: [413, 400],
  },
  {
    name: 'a bad chunk size',
    send: raw(head('POST', '/orders', 'Transfer-Encoding: chunked\r\n\r\n'), 'zz\r\nabc\r\n0\r\n\r\n'),
    status: 400,
    code: 'REQUEST_ERROR',
  },
  {
    name: 'a chunk size past 2^64',
    send: raw(head('POST', '/orders', 'Transfer-Encoding: chunked\r\n\r\n'), 'fffffffffffffffffff\r\nabc\r\n0\r\n\r\n'),
    status: 400,
    code: 'REQUEST_ERROR',
  },
  {
    name: 'a chunk longer than its size',
    send: raw(head('POST', '/orders', 'Transfer-Encoding: chunked\r\n\r\n'), `2\r\n${ORDER}\r\n0\r\n\r\n`),
    status: 400,
    code: 'REQUEST_ERROR',
  },
  { name: 'a chunked body cut off before its last chunk', send: chunked([ORDER], ''), status: 400, code: 'REQUEST_ERROR' },
  {
    name: 'both Transfer-Encoding and Content-Length',
    send: raw(
      head('POST', '/orders', `Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n`),
      `${ORDER.length.toString(16)}\r\n${ORDER}\r\n0\r\n\r\n`,
    ),
    status: 400,
    code: 'REQUEST_ERROR',
  },
  {
    name: 'Transfer-Encoding other than chunked',
    send: raw(head('POST', '/orders', 'Transfer-Encoding: gzip\r\n\r\n'), ORDER),
    status: 400,
  },
  {
    name: 'a Content-Length longer than the body',
    send: cutOff(head('POST', '/orders', 'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n'), ORDER),
    status: 400,
  },
  {
    name: 'a negative Content-Length',
    send: raw(head('POST', '/orders', 'Content-Length: -1\r\n\r\n'), ORDER),
    status: 400,
    code: 'REQUEST_ERROR',
  },
  {
    name: 'a Content-Length that is not a number',
    send: raw(head('POST', '/orders', 'Content-Length: ten\r\n\r\n'), ORDER),
    status: 400,
    code: 'REQUEST_ERROR',
  },
  {
    name: 'two different Content-Lengths',
    send: raw(head('POST', '/orders', `Content-Length: ${ORDER.length}\r\nContent-Length: 2\r\n\r\n`), ORDER),
    status: 400,
    code: 'REQUEST_ERROR',
  },
  { name: 'a header without a colon', send: raw(head('GET', `/orders/${UNKNOWN_ID}`, 'Oops\r\n\r\n')), status: 400, code: 'REQUEST_ERROR' },
  {
    name: 'a control character in a header value',
    send: raw(head('GET', `/orders/${UNKNOWN_ID}`, 'X-A: a\u0001b\r\n\r\n')),
    status: 400,
    code: 'REQUEST_ERROR',
  },
  { name: 'a bare LF line ending', send: raw(`GET /orders/${UNKNOWN_ID} HTTP/1.1\nHost: x\nConnection: close\n\n`), status: [400, 404] },
  {
    name: 'headers over 10240 bytes',
    send: raw(head('GET', `/orders/${UNKNOWN_ID}`, `X-Big: ${'a'.repeat(GATEWAY_LIMITS.headerBytes)}\r\n\r\n`)),
    status: 431,
    code: 'REQUEST_ERROR',
  },
  {
    name: 'a URL over 10240 characters',
    send: get(`/orders/${'a'.repeat(GATEWAY_LIMITS.headerBytes)}`),
    status: 414,
    code: 'REQUEST_ERROR',
  },
  {
    name: '200 small headers',
    send: raw(head('GET', `/orders/${UNKNOWN_ID}`, `${Array.from({ length: 200 }, (_, i) => `X-H${i}: v\r\n`).join('')}\r\n`)),
    status: 404,
    code: 'ORDER_NOT_FOUND',
  },
];

const idempotencyKeys: HostileCase[] = [
  {
    name: 'an Idempotency-Key of 129 characters',
    send: post(ORDER, 'application/json', { 'Idempotency-Key': 'k'.repeat(129) }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'an Idempotency-Key of 128 characters',
    send: post(ORDER, 'application/json', { 'Idempotency-Key': `${Date.now()}`.padEnd(128, 'k') }),
    status: 202,
  },
  {
    name: 'an empty Idempotency-Key',
    send: raw(
      head('POST', '/orders', `Idempotency-Key:\r\nContent-Type: application/json\r\nContent-Length: ${ORDER.length}\r\n\r\n`),
      ORDER,
    ),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'an Idempotency-Key with a tab',
    send: raw(
      head('POST', '/orders', `Idempotency-Key: a\tb\r\nContent-Type: application/json\r\nContent-Length: ${ORDER.length}\r\n\r\n`),
      ORDER,
    ),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'an Idempotency-Key with a Latin-1 byte',
    send: raw(
      head('POST', '/orders', `Idempotency-Key: caf\u00e9\r\nContent-Type: application/json\r\nContent-Length: ${ORDER.length}\r\n\r\n`),
      ORDER,
    ),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
];

const sizes: HostileCase[] = [
  { name: 'a body of exactly 32 KiB', send: post(padded(MAX_BODY_BYTES)), status: 202 },
  { name: 'a body of 32 KiB + 1 byte', send: post(padded(MAX_BODY_BYTES + 1)), status: [413, 400], code: 'PAYLOAD_TOO_LARGE' },
  { name: 'a 40 KiB customerId', send: post(JSON.stringify({ ...validOrder, customerId: 'C'.repeat(40 * 1024) })), status: [413, 400] },
  {
    name: '10000 items',
    send: post(JSON.stringify({ customerId: 'C', items: Array.from({ length: 10_000 }, (_, i) => ({ productId: `P${i}`, quantity: 1 })) })),
    status: [413, 400],
  },
  {
    name: "a JSON body just under Lambda's 6 MB request limit",
    send: post(padded(PAYLOAD_LIMITS.requestBytes - 4096)),
    status: [413, 400],
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: "a JSON body over Lambda's 6 MB request limit",
    send: post(padded(PAYLOAD_LIMITS.requestBytes)),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: "a text/plain body over Lambda's 6 MB request limit",
    send: post('x'.repeat(PAYLOAD_LIMITS.requestBytes), 'text/plain'),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  { name: "a body over API Gateway's 10 MB", send: post(padded(GATEWAY_LIMITS.payloadBytes + 1)), status: 413, code: 'PAYLOAD_TOO_LARGE' },
  {
    name: "a chunked body over API Gateway's 10 MB",
    send: chunked([ORDER, ...Array.from({ length: 11 }, () => ' '.repeat(1024 * 1024))]),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
];

const HOSTILE_CORPUS: readonly HostileCase[] = [
  ...tier1,
  ...encodings,
  ...contentTypes,
  ...methods,
  ...percent,
  ...framing,
  ...idempotencyKeys,
  ...sizes,
];

let cloud: RunningCloud;
beforeAll(async () => {
  cloud = await startCloud();
});
afterAll(() => cloud?.stop());

describe('the hostile-input corpus against a running local cloud', () => {
  it('has at least 100 cases, every kind the issue lists', () => {
    expect(HOSTILE_CORPUS.length).toBeGreaterThanOrEqual(100);
    expect(new Set(HOSTILE_CORPUS.map((c) => c.name)).size).toBe(HOSTILE_CORPUS.length);
  });

  it.each(HOSTILE_CORPUS.map((c) => [c.name, c] as const))('%s: a JSON 4xx or the 202 of a valid order, never a 5xx', async (_, c) => {
    const answer = await c.send(cloud.url);
    const allowed = typeof c.status === 'number' ? [c.status] : c.status;
    expect({ status: answer.status, allowed: allowed.includes(answer.status), contentType: answer.contentType }).toEqual({
      status: answer.status < 500 ? answer.status : 'never a 5xx',
      allowed: true,
      contentType: expect.stringMatching(/^application\/json/),
    });
    // The body's shape, compared in one assertion: the 202's, or the contract's error body.
    const body = JSON.parse(answer.body) as { orderId?: unknown; status?: unknown; error?: Record<string, unknown> };
    const error = body.error ?? {};
    const exactCode = c.code !== undefined && answer.status === allowed[0];
    const seen =
      answer.status === 202
        ? { keys: Object.keys(body).sort(), orderId: typeof body.orderId, status: body.status }
        : {
            keys: Object.keys(body),
            errorKeys: Object.keys(error)
              .filter((k) => k !== 'details')
              .sort(),
            code: exactCode || typeof error.code !== 'string' || !/^[A-Z_]+$/.test(error.code) ? error.code : 'UPPER_SNAKE',
            message: typeof error.message,
            details: error.details === undefined || Array.isArray(error.details),
          };
    const wanted =
      answer.status === 202
        ? { keys: ['orderId', 'status'], orderId: 'string', status: 'ACCEPTED' }
        : { keys: ['error'], errorKeys: ['code', 'message'], code: exactCode ? c.code : 'UPPER_SNAKE', message: 'string', details: true };
    expect(seen).toEqual(wanted);
  });
});
