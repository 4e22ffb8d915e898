/**
 * API Gateway's body model (JSON schema draft 4, generated from the codec) and the api-handler's codec
 * must give the same verdict on every body: checked on the tier-1 corpus and on generated bodies. The
 * model is judged as API Gateway judges it (local/modelValidator.ts: decimal `multipleOf`, draft 4's
 * `integer`), on the text JSON.stringify writes.
 */
import Ajv from 'ajv-draft-04';
import fc from 'fast-check';
import { isRight } from 'fp-ts/Either';
import { ModelValidator } from '../../local/modelValidator';
import { makeCodecs } from '../../runtime/codecs';
import { orderRequestSchema } from '../../runtime/schema';
import { TIER1_CORPUS, TIER1_TEXT_CORPUS } from './tier1Corpus';

const codecs = makeCodecs();
const schema = orderRequestSchema(codecs);
const model = new ModelValidator().compile(schema);
const modelValid = (body: unknown) => model(JSON.stringify(body)).valid;
const codecValid = (body: unknown) => isRight(codecs.OrderRequest.decode(body));

describe('the API Gateway model and the OrderRequest codec', () => {
  it('bound every number and string: the schema says so in one place, generated from the codec', () => {
    const item = (schema.properties as any).items.items.properties;
    expect(item.quantity).toEqual({ type: 'integer', minimum: 1, maximum: 9_999 });
    expect(item.unitPrice).toEqual({ type: 'number', minimum: 0, maximum: 1_000_000, multipleOf: 0.01 });
    expect(item.productId).toMatchObject({ minLength: 1, maxLength: 64, pattern: expect.any(String) });
    expect((schema.properties as any).customerId).toEqual(item.productId);
  });

  it('has more than 100 hostile and ordinary bodies in its corpus', () => {
    expect(TIER1_CORPUS.length + TIER1_TEXT_CORPUS.length).toBeGreaterThanOrEqual(100);
  });

  it.each(TIER1_CORPUS)('agree on $name', ({ body, valid }) => {
    expect({ model: modelValid(body), codec: codecValid(body) }).toEqual({ model: valid, codec: valid });
  });

  it.each(TIER1_TEXT_CORPUS)(
    'judge the text of $name as API Gateway does; the codec never refuses what the gateway passes',
    ({ text, gateway, codec }) => {
      let value: unknown;
      let json = true;
      try {
        value = JSON.parse(text);
      } catch {
        json = false;
      }
      expect({ gateway: model(text).valid, codec: json ? codecValid(value) : null }).toEqual({ gateway, codec });
      expect(!gateway || codec === true).toBe(true);
    },
  );

  it("needs the decimal emulation: Ajv's own float multipleOf refuses 19.99 and 2.34", () => {
    const floatAjv = new Ajv({ strict: false }).compile(schema);
    const price = (p: number) => ({ customerId: 'C', items: [{ productId: 'P', quantity: 1, unitPrice: p }] });
    expect([floatAjv(price(19.99)), floatAjv(price(2.34))]).toEqual([false, false]);
    expect([modelValid(price(19.99)), modelValid(price(2.34))]).toEqual([true, true]);
  });

  it('agree on 5000 generated bodies near the boundaries', () => {
    const str = fc.oneof(
      fc.string({ minLength: 0, maxLength: 3 }),
      fc.string({ minLength: 63, maxLength: 66 }),
      // Any UTF-16 code units: lone surrogates, pairs, NUL.
      fc.string({ unit: 'binary', minLength: 0, maxLength: 4 }),
      fc.string({ unit: fc.constantFrom('\uD83D', '\uDE00', 'a', '\u0000'), minLength: 1, maxLength: 6 }),
    );
    const num = fc.oneof(
      fc.integer({ min: -2, max: 3 }),
      fc.double({ min: -2, max: 3, noNaN: true }),
      fc.constant(1.5),
      fc.integer({ min: 9_990, max: 10_010 }),
      fc.integer({ min: 0, max: 100_000_005 }).map((cents) => cents / 100),
      fc.integer({ min: 0, max: 100_000_005 }).map((mills) => mills / 1000),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.constantFrom(1e21, 1e300, 1e-200, 9007199254740994, Number.MIN_VALUE, 0.1 + 0.2),
    );
    const value = fc.oneof(str, num, fc.constant(null), fc.boolean());
    const goodItem = fc.record(
      {
        productId: fc.string({ minLength: 1, maxLength: 64 }),
        quantity: fc.integer({ min: 1, max: 9 }),
        unitPrice: fc.oneof(
          fc.double({ min: 0, max: 99, noNaN: true }),
          fc.integer({ min: 0, max: 9_999 }).map((c) => c / 100),
        ),
      },
      { requiredKeys: ['productId', 'quantity'] },
    );
    const anyItem = fc.record(
      { productId: fc.oneof(str, value), quantity: fc.oneof(num, value), unitPrice: fc.oneof(num, value), extra: value },
      { requiredKeys: [] },
    );
    const item = fc.oneof({ arbitrary: goodItem, weight: 6 }, { arbitrary: anyItem, weight: 1 });
    const items = fc.oneof(
      { arbitrary: fc.array(item, { minLength: 0, maxLength: 3 }), weight: 4 },
      { arbitrary: fc.array(item, { minLength: 49, maxLength: 52 }), weight: 1 },
      { arbitrary: value, weight: 1 },
    );
    const customerId = fc.oneof(
      { arbitrary: fc.string({ minLength: 1, maxLength: 64 }), weight: 4 },
      { arbitrary: str, weight: 1 },
      { arbitrary: value, weight: 1 },
    );
    const body = fc.oneof(
      { arbitrary: fc.record({ customerId, items }), weight: 6 },
      { arbitrary: fc.record({ customerId, items, extra: value }, { requiredKeys: [] }), weight: 2 },
      { arbitrary: value, weight: 1 },
      { arbitrary: fc.array(value), weight: 1 },
    );
    let validSeen = 0;
    fc.assert(
      fc.property(body, (b) => {
        const verdict = modelValid(b);
        if (verdict) validSeen++;
        return verdict === codecValid(b);
      }),
      { numRuns: 5000, seed: 42 },
    );
    // The generator must reach both verdicts, or the agreement says nothing.
    expect(validSeen).toBeGreaterThan(50);
  });
});
