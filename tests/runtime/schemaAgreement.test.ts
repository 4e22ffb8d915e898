/**
 * API Gateway's body model (JSON schema draft 4, generated from the codec) and the api-handler's codec
 * must give the same verdict on every body: checked on the tier-1 corpus and on generated bodies.
 */
import Ajv from 'ajv-draft-04';
import fc from 'fast-check';
import { isRight } from 'fp-ts/Either';
import { makeCodecs } from '../../runtime/codecs';
import { orderRequestSchema } from '../../runtime/schema';
import { TIER1_CORPUS } from './tier1Corpus';

const codecs = makeCodecs();
const schema = orderRequestSchema(codecs);
const ajvValidate = new Ajv({ strict: false }).compile(schema);
const codecValid = (body: unknown) => isRight(codecs.OrderRequest.decode(body));

describe('the API Gateway model and the OrderRequest codec', () => {
  it.each(TIER1_CORPUS)('agree on $name', ({ body, valid }) => {
    expect({ model: ajvValidate(body), codec: codecValid(body) }).toEqual({ model: valid, codec: valid });
  });

  it('agree on 5000 generated bodies near the boundaries', () => {
    const str = fc.oneof(fc.string({ minLength: 0, maxLength: 3 }), fc.string({ minLength: 63, maxLength: 66 }));
    const num = fc.oneof(fc.integer({ min: -2, max: 3 }), fc.double({ min: -2, max: 3, noNaN: true }), fc.constant(1.5));
    const value = fc.oneof(str, num, fc.constant(null), fc.boolean());
    const goodItem = fc.record(
      {
        productId: fc.string({ minLength: 1, maxLength: 64 }),
        quantity: fc.integer({ min: 1, max: 9 }),
        unitPrice: fc.double({ min: 0, max: 99, noNaN: true }),
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
        const verdict = ajvValidate(b);
        if (verdict) validSeen++;
        return verdict === codecValid(b);
      }),
      { numRuns: 5000, seed: 42 },
    );
    // The generator must reach both verdicts, or the agreement says nothing.
    expect(validSeen).toBeGreaterThan(50);
  });
});
