import { validateOrder } from '../../runtime/validateOrder';
import type { WorkflowInput } from '../../runtime/codecs';

const order = (over: Partial<WorkflowInput> = {}): WorkflowInput => ({
  orderId: 'o-1',
  customerId: 'CUST-00042',
  items: [{ productId: 'SKU-1', quantity: 2 }],
  acceptedAt: 'now',
  ...over,
});

describe('tier-2 business rules (ValidateOrder)', () => {
  it('accepts a valid order', () => {
    expect(validateOrder(order())).toEqual({ valid: true, reasons: [], summary: 'order is valid' });
  });

  it.each([
    ['CUST-123', false],
    ['CUST-1234', true],
    ['CUST-1234567890', true],
    ['CUST-12345678901', false],
    ['cust-1234', false],
    ['CUST-12a4', false],
    [' CUST-1234', false],
  ])('customerId %p valid: %p', (customerId, valid) => {
    const r = validateOrder(order({ customerId }));
    expect(r.reasons.some((x) => x.code === 'INVALID_CUSTOMER_ID')).toBe(!valid);
  });

  it('allows a total quantity of exactly 100 and rejects 101', () => {
    const items = (n: number) => [
      { productId: 'A', quantity: 50 },
      { productId: 'B', quantity: n },
    ];
    expect(validateOrder(order({ items: items(50) })).valid).toBe(true);
    const r = validateOrder(order({ items: items(51) }));
    expect(r.reasons).toEqual([{ code: 'QUANTITY_LIMIT', message: 'the total quantity 101 is over the limit of 100' }]);
  });

  it('rejects a product listed twice, naming it', () => {
    const r = validateOrder(
      order({
        items: [
          { productId: 'A', quantity: 1 },
          { productId: 'B', quantity: 1 },
          { productId: 'A', quantity: 1 },
        ],
      }),
    );
    expect(r.reasons).toEqual([{ code: 'DUPLICATE_PRODUCT', message: "productId 'A' appears more than once; list each product once" }]);
  });

  it('reports every broken rule at once, and the summary names them all', () => {
    const r = validateOrder(
      order({
        customerId: 'x',
        items: [
          { productId: 'A', quantity: 60 },
          { productId: 'A', quantity: 60 },
        ],
      }),
    );
    expect(r.valid).toBe(false);
    expect(r.reasons.map((x) => x.code)).toEqual(['INVALID_CUSTOMER_ID', 'QUANTITY_LIMIT', 'DUPLICATE_PRODUCT']);
    expect(r.summary).toBe(r.reasons.map((x) => `${x.code}: ${x.message}`).join('; '));
  });
});
