/**
 * CONTRACT.md tier 1, as a corpus of bodies with the verdict each must get, shared by every validator: the
 * API Gateway model (emulated by local/modelValidator.ts), the OrderRequest codec and the local cloud.
 */
export const validOrder = { customerId: 'CUST-00042', items: [{ productId: 'SKU-1001', quantity: 2, unitPrice: 19.99 }] };

const withItem = (item: object) => ({ customerId: 'CUST-00042', items: [item] });
const quantity = (q: unknown) => withItem({ productId: 'P', quantity: q });
const unitPrice = (p: unknown) => withItem({ productId: 'P', quantity: 1, unitPrice: p });
const customerId = (c: unknown) => ({ ...validOrder, customerId: c });
/** An object with `key` as an own property, whatever the key (`__proto__` included), as JSON.parse makes it. */
const withKey = (base: object, key: string, value: unknown): object => {
  const o = { ...base };
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  return o;
};
const nested = (depth: number): unknown => JSON.parse('['.repeat(depth) + ']'.repeat(depth));

export const TIER1_CORPUS: readonly { name: string; body: unknown; valid: boolean }[] = [
  { name: 'the README example', body: validOrder, valid: true },
  { name: 'no unitPrice', body: { customerId: 'C', items: [{ productId: 'P', quantity: 1 }] }, valid: true },
  { name: 'unitPrice 0', body: { customerId: 'C', items: [{ productId: 'P', quantity: 1, unitPrice: 0 }] }, valid: true },
  { name: '64-character ids', body: { customerId: 'C'.repeat(64), items: [{ productId: 'P'.repeat(64), quantity: 1 }] }, valid: true },
  {
    name: '50 items',
    body: { customerId: 'C', items: Array.from({ length: 50 }, (_, i) => ({ productId: `P${i}`, quantity: 1 })) },
    valid: true,
  },
  {
    name: 'a business-invalid but well-formed order (tier 2 decides)',
    body: { customerId: 'x', items: [{ productId: 'A', quantity: 500 }] },
    valid: true,
  },
  { name: 'null', body: null, valid: false },
  { name: 'an array', body: [validOrder], valid: false },
  { name: 'a string', body: 'order', valid: false },
  { name: 'a number', body: 42, valid: false },
  { name: 'true', body: true, valid: false },
  { name: 'an empty object', body: {}, valid: false },
  { name: 'no customerId', body: { items: validOrder.items }, valid: false },
  { name: 'no items', body: { customerId: 'C' }, valid: false },
  { name: 'items null', body: { customerId: 'C', items: null }, valid: false },
  { name: 'an extra field', body: { ...validOrder, note: 'x' }, valid: false },
  { name: 'an empty customerId', body: { ...validOrder, customerId: '' }, valid: false },
  { name: 'a 65-character customerId', body: { ...validOrder, customerId: 'C'.repeat(65) }, valid: false },
  { name: 'a numeric customerId', body: { ...validOrder, customerId: 42 }, valid: false },
  { name: 'customerId as an object', body: customerId({ id: 'CUST-00042' }), valid: false },
  { name: 'customerId as an array', body: customerId(['CUST-00042']), valid: false },
  { name: 'empty items', body: { ...validOrder, items: [] }, valid: false },
  {
    name: '51 items',
    body: { customerId: 'C', items: Array.from({ length: 51 }, (_, i) => ({ productId: `P${i}`, quantity: 1 })) },
    valid: false,
  },
  { name: 'items as an object', body: { ...validOrder, items: { productId: 'P', quantity: 1 } }, valid: false },
  { name: 'an item that is null', body: { ...validOrder, items: [null] }, valid: false },
  { name: 'an item that is a string', body: { ...validOrder, items: ['SKU-1001'] }, valid: false },
  { name: 'an item with an extra field', body: { ...validOrder, items: [{ productId: 'P', quantity: 1, color: 'red' }] }, valid: false },
  { name: 'an item without productId', body: { ...validOrder, items: [{ quantity: 1 }] }, valid: false },
  { name: 'an item without quantity', body: { ...validOrder, items: [{ productId: 'P' }] }, valid: false },
  { name: 'an empty productId', body: { ...validOrder, items: [{ productId: '', quantity: 1 }] }, valid: false },
  { name: 'a 65-character productId', body: { ...validOrder, items: [{ productId: 'P'.repeat(65), quantity: 1 }] }, valid: false },

  // Numbers at and past every limit: nothing that passes may fail in the marshaller or in DynamoDB.
  { name: 'quantity 9999', body: quantity(9_999), valid: true },
  { name: 'quantity 10000', body: quantity(10_000), valid: false },
  { name: 'quantity 0', body: quantity(0), valid: false },
  { name: 'quantity -0', body: quantity(-0), valid: false },
  { name: 'a negative quantity', body: quantity(-1), valid: false },
  { name: 'a fractional quantity', body: quantity(1.5), valid: false },
  { name: 'quantity just above 1', body: quantity(1.0000000000000002), valid: false },
  { name: 'quantity 1e-7', body: quantity(1e-7), valid: false },
  { name: 'quantity 2^53 - 1', body: quantity(Number.MAX_SAFE_INTEGER), valid: false },
  { name: 'quantity 9007199254740994', body: quantity(9007199254740994), valid: false },
  { name: 'quantity 1e21', body: quantity(1e21), valid: false },
  { name: 'quantity 1e300', body: quantity(1e300), valid: false },
  { name: 'quantity as a string', body: quantity('1'), valid: false },
  { name: 'quantity null', body: quantity(null), valid: false },
  { name: 'quantity true', body: quantity(true), valid: false },
  { name: 'unitPrice 19.99 (not a multiple of 0.01 in floating point)', body: unitPrice(19.99), valid: true },
  { name: 'unitPrice 2.34', body: unitPrice(2.34), valid: true },
  { name: 'unitPrice 283.66', body: unitPrice(283.66), valid: true },
  { name: 'unitPrice 0.01', body: unitPrice(0.01), valid: true },
  { name: 'unitPrice 0.1', body: unitPrice(0.1), valid: true },
  { name: 'unitPrice 999999.99', body: unitPrice(999_999.99), valid: true },
  { name: 'unitPrice 1000000', body: unitPrice(1_000_000), valid: true },
  { name: 'unitPrice -0', body: unitPrice(-0), valid: true },
  { name: 'unitPrice 1000000.01', body: unitPrice(1_000_000.01), valid: false },
  { name: 'unitPrice 0.001', body: unitPrice(0.001), valid: false },
  { name: 'unitPrice 1.005', body: unitPrice(1.005), valid: false },
  { name: 'unitPrice 0.1 + 0.2', body: unitPrice(0.1 + 0.2), valid: false },
  { name: 'unitPrice 1e200', body: unitPrice(1e200), valid: false },
  { name: 'unitPrice 1e-200', body: unitPrice(1e-200), valid: false },
  { name: 'unitPrice 5e-324', body: unitPrice(Number.MIN_VALUE), valid: false },
  { name: 'unitPrice 1.7976931348623157e308', body: unitPrice(Number.MAX_VALUE), valid: false },
  { name: 'a negative unitPrice', body: unitPrice(-0.01), valid: false },
  { name: 'unitPrice as a string', body: unitPrice('1'), valid: false },
  { name: 'unitPrice null', body: unitPrice(null), valid: false },
  { name: 'unitPrice as an array', body: unitPrice([1]), valid: false },

  // Unicode: a lone surrogate is refused; everything else that is valid Unicode is a character.
  { name: 'a lone high surrogate in customerId', body: customerId('CUST-\uD800'), valid: false },
  { name: 'a lone low surrogate in customerId', body: customerId('\uDC00CUST'), valid: false },
  { name: 'a reversed surrogate pair in customerId', body: customerId('\uDC00\uD800'), valid: false },
  { name: 'a lone surrogate in productId', body: withItem({ productId: 'SKU-\uDBFF', quantity: 1 }), valid: false },
  { name: 'an emoji in customerId', body: customerId('CUST-\u{1F600}'), valid: true },
  { name: '64 emoji (128 UTF-16 code units) in customerId', body: customerId('\u{1F600}'.repeat(64)), valid: true },
  { name: '65 emoji in customerId', body: customerId('\u{1F600}'.repeat(65)), valid: false },
  { name: 'NUL in customerId', body: customerId('CUST-\u00000042'), valid: true },
  { name: 'a customerId that is only NUL', body: customerId('\u0000'), valid: true },
  { name: 'a BOM in customerId', body: customerId('\uFEFFCUST-00042'), valid: true },
  { name: 'control characters in productId', body: withItem({ productId: 'a\n\t\r\u001Fb', quantity: 1 }), valid: true },
  { name: 'quotes and backslashes in productId', body: withItem({ productId: '"\\\'`', quantity: 1 }), valid: true },
  { name: 'the noncharacter U+FFFF in productId', body: withItem({ productId: '\uFFFF', quantity: 1 }), valid: true },
  { name: 'a right-to-left override in productId', body: withItem({ productId: '\u202ESKU', quantity: 1 }), valid: true },

  // Hostile keys: every unknown key is refused, whatever it contains.
  { name: 'an unknown key with a quote', body: { ...validOrder, 'a"b': 1 }, valid: false },
  { name: 'an unknown key with a backslash', body: { ...validOrder, 'a\\b': 1 }, valid: false },
  { name: 'an unknown key with a newline', body: { ...validOrder, 'a\nb': 1 }, valid: false },
  { name: 'an unknown key with a lone surrogate', body: { ...validOrder, '\uD800': 1 }, valid: false },
  { name: 'an unknown key that names a gateway variable', body: { ...validOrder, '$context.error.messageString': 1 }, valid: false },
  { name: 'an unknown key with Velocity in it', body: { ...validOrder, '#set($x = 1)$util.escapeJavaScript("x")': 1 }, valid: false },
  { name: 'an empty key', body: { ...validOrder, '': 1 }, valid: false },
  { name: 'a 10000-character key', body: { ...validOrder, ['k'.repeat(10_000)]: 1 }, valid: false },
  { name: 'a __proto__ key', body: withKey(validOrder, '__proto__', { isAdmin: true }), valid: false },
  { name: 'a constructor key', body: withKey(validOrder, 'constructor', { prototype: {} }), valid: false },
  {
    name: 'a __proto__ key in an item',
    body: withItem(withKey({ productId: 'P', quantity: 1 }, '__proto__', { unitPrice: -1 })),
    valid: false,
  },

  // Deep nesting where an object or a scalar belongs.
  { name: 'items nested 1000 arrays deep', body: { ...validOrder, items: nested(1_000) }, valid: false },
  { name: 'an item nested 1000 arrays deep', body: { ...validOrder, items: [nested(1_000)] }, valid: false },
  { name: 'an unknown field nested 1000 arrays deep', body: { ...validOrder, extra: nested(1_000) }, valid: false },
];

/**
 * Bodies whose verdict depends on how they are written, not only on the value JSON.parse makes of them: API
 * Gateway's validator reads numbers as decimals and draft 4's `integer` as a number without fraction or
 * exponent. `gateway` is the model's verdict on the text; `codec` the api-handler codec's on JSON.parse's value
 * (null: not JSON, the handler refuses it before the codec). The codec may be laxer only where the gateway
 * refuses first; a body the gateway lets through never fails the codec.
 */
const order = (item: string) => `{"customerId":"CUST-00042","items":[{"productId":"SKU-1001",${item}}]}`;
export const TIER1_TEXT_CORPUS: readonly { name: string; text: string; gateway: boolean; codec: boolean | null }[] = [
  { name: 'quantity written 1.0', text: order('"quantity":1.0'), gateway: false, codec: true },
  { name: 'quantity written 1e0', text: order('"quantity":1e0'), gateway: false, codec: true },
  { name: 'quantity written 2E+0', text: order('"quantity":2E+0'), gateway: false, codec: true },
  { name: 'quantity written 9999.0000000000000001', text: order('"quantity":9999.0000000000000001'), gateway: false, codec: true },
  { name: 'unitPrice written 1.10', text: order('"quantity":1,"unitPrice":1.10'), gateway: true, codec: true },
  { name: 'unitPrice written 1E-2', text: order('"quantity":1,"unitPrice":1E-2'), gateway: true, codec: true },
  { name: 'unitPrice written 1999e-2', text: order('"quantity":1,"unitPrice":1999e-2'), gateway: true, codec: true },
  { name: 'unitPrice written -0.0', text: order('"quantity":1,"unitPrice":-0.0'), gateway: true, codec: true },
  {
    name: 'unitPrice written 19.9900000000000001',
    text: order('"quantity":1,"unitPrice":19.9900000000000001'),
    gateway: false,
    codec: true,
  },
  { name: 'unitPrice written 1e400', text: order('"quantity":1,"unitPrice":1e400'), gateway: false, codec: false },
  { name: 'a 400-digit quantity', text: order(`"quantity":${'9'.repeat(400)}`), gateway: false, codec: false },
  {
    name: 'an escaped lone surrogate',
    text: '{"customerId":"\\ud800","items":[{"productId":"P","quantity":1}]}',
    gateway: false,
    codec: false,
  },
  {
    name: 'an escaped surrogate pair',
    text: '{"customerId":"\\ud83d\\ude00","items":[{"productId":"P","quantity":1}]}',
    gateway: true,
    codec: true,
  },
  { name: 'an escaped NUL', text: '{"customerId":"C\\u0000","items":[{"productId":"P","quantity":1}]}', gateway: true, codec: true },
  {
    name: 'duplicate keys (the last one counts)',
    text: '{"customerId":42,"customerId":"CUST-00042","items":[{"productId":"P","quantity":1}]}',
    gateway: true,
    codec: true,
  },
  {
    name: 'duplicate keys, the last one invalid',
    text: '{"customerId":"CUST-00042","items":[{"productId":"P","quantity":1}],"items":[]}',
    gateway: false,
    codec: false,
  },
  {
    name: 'a __proto__ key',
    text: '{"customerId":"C","items":[{"productId":"P","quantity":1}],"__proto__":{"x":1}}',
    gateway: false,
    codec: false,
  },
  { name: 'whitespace around the body', text: ` \n\t${JSON.stringify(validOrder)}\r\n `, gateway: true, codec: true },
  { name: 'a BOM before the body', text: `\uFEFF${JSON.stringify(validOrder)}`, gateway: false, codec: null },
  // Deeper than JSON.stringify's recursion allows (a message that names the value must not throw), and under 32 KiB.
  {
    name: 'an item nested 10000 arrays deep',
    text: order('"quantity":1').replace('[{', `[${'['.repeat(10_000)}${']'.repeat(10_000)},{`),
    gateway: false,
    codec: false,
  },
  {
    name: 'an item nested 100000 arrays deep',
    text: order('"quantity":1').replace('[{', `[${'['.repeat(100_000)}${']'.repeat(100_000)},{`),
    gateway: false,
    codec: false,
  },
  { name: 'a trailing comma', text: '{"customerId":"C","items":[{"productId":"P","quantity":1}],}', gateway: false, codec: null },
  { name: 'single quotes', text: "{'customerId':'C','items':[]}", gateway: false, codec: null },
  { name: 'a comment', text: '{"customerId":"C", /* x */ "items":[{"productId":"P","quantity":1}]}', gateway: false, codec: null },
  { name: 'NaN', text: order('"quantity":NaN'), gateway: false, codec: null },
  { name: 'a leading zero', text: order('"quantity":01'), gateway: false, codec: null },
  { name: 'a plus sign', text: order('"quantity":+1'), gateway: false, codec: null },
  {
    name: 'a raw newline in a string',
    text: '{"customerId":"C\nD","items":[{"productId":"P","quantity":1}]}',
    gateway: false,
    codec: null,
  },
  { name: 'an invalid escape', text: '{"customerId":"C\\x41","items":[{"productId":"P","quantity":1}]}', gateway: false, codec: null },
  { name: 'truncated JSON', text: '{"customerId": "C", ', gateway: false, codec: null },
  { name: 'two JSON values', text: `${JSON.stringify(validOrder)}${JSON.stringify(validOrder)}`, gateway: false, codec: null },
  { name: 'an empty body', text: '', gateway: false, codec: null },
];
