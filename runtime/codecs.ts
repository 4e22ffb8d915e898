import * as t from 'io-ts';

/**
 * One io-ts codec per message: the single source of truth for the HTTP body (and the API Gateway model
 * generated from it), the workflow's payloads and the queue messages.
 *
 * The codecs are built by a factory, `makeCodecs()`, because Lambda code is serialized from closures: a
 * codec instance captured from module scope serializes into code that throws at run time, while a
 * function that builds the codecs serializes cleanly. Handlers call `makeCodecs()` once in their factory;
 * deploy-time code uses `codecs` below.
 */

/** JSON-schema facts a codec carries so that the API Gateway model can be generated from it. */
export interface SchemaHint {
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly multipleOf?: number;
  readonly integer?: boolean;
  readonly minItems?: number;
  readonly maxItems?: number;
  /** A strict object: its required and optional fields, and no others. */
  readonly object?: { readonly required: t.Props; readonly optional: t.Props };
}

/** Where a codec keeps its {@link SchemaHint}. */
export const SCHEMA_HINT = 'dofsSchema';

export const makeCodecs = () => {
  const hinted = <C extends t.Any>(codec: C, hint: SchemaHint): C => Object.assign(codec, { [SCHEMA_HINT]: hint });

  /**
   * 1-n characters of valid Unicode. Characters are code points, as JSON Schema counts them (and API
   * Gateway's validator: java-json-tools MaxLengthValidator counts `codePointCount`): an emoji is one.
   */
  const boundedString = (name: string, min: number, max: number) => {
    // Valid Unicode: no lone UTF-16 surrogate. As a JSON-schema `pattern` this gives the same verdict whether
    // the engine matches UTF-16 code units (ECMAScript without the `u` flag, as Rhino) or code points (the `u`
    // flag, as Ajv; java.util.regex): a surrogate pair is either the second alternative or one code point.
    const wellFormed = '^(?:[^\\uD800-\\uDFFF]|[\\uD800-\\uDBFF][\\uDC00-\\uDFFF])*$';
    const isWellFormed = new RegExp(wellFormed);
    const pairs = /[\uD800-\uDBFF][\uDC00-\uDFFF]/g;
    const codePoints = (s: string) => s.length - (s.match(pairs)?.length ?? 0);
    return hinted(
      t.refinement(
        t.string,
        (s) => isWellFormed.test(s) && codePoints(s) >= min && codePoints(s) <= max,
        `${name} (${min}-${max} characters of valid Unicode)`,
      ),
      { minLength: min, maxLength: max, pattern: wellFormed },
    );
  };
  /** An integer from `min` to `max`: both bounds keep it a safe integer and a DynamoDB number. */
  const boundedInt = (min: number, max: number) =>
    hinted(
      t.refinement(t.number, (n) => Number.isInteger(n) && n >= min && n <= max, `integer from ${min} to ${max}`),
      { integer: true, minimum: min, maximum: max },
    );
  /**
   * A number from `min` to `max` with at most `places` decimal places. The schema says `multipleOf 10^-places`;
   * the check here accepts exactly the doubles that are the nearest double of such a decimal (what `JSON.parse`
   * makes of its text), so a body written by `JSON.stringify` gets the same verdict from both.
   */
  const boundedDecimal = (min: number, max: number, places: number) => {
    const scale = 10 ** places;
    return hinted(
      t.refinement(
        t.number,
        (n) => Number.isFinite(n) && n >= min && n <= max && Math.round(n * scale) / scale === n,
        `number from ${min} to ${max} with at most ${places} decimal places`,
      ),
      { minimum: min, maximum: max, multipleOf: 1 / scale },
    );
  };
  const boundedArray = <C extends t.Mixed>(item: C, min: number, max: number) =>
    hinted(
      t.refinement(t.array(item), (a) => a.length >= min && a.length <= max, `array of ${min}-${max} ${item.name}`),
      { minItems: min, maxItems: max },
    );

  /** An object codec that rejects unknown fields (t.exact would silently strip them). */
  const strict = <P extends t.Props, O extends t.Props = Record<never, t.Mixed>>(name: string, required: P, optional?: O) => {
    const known = new Set([...Object.keys(required), ...Object.keys(optional ?? {})]);
    const base = t.exact(t.intersection([t.type(required), t.partial(optional ?? ({} as O))]));
    type A = t.TypeOf<typeof base>;
    const codec = new t.Type<A, A, unknown>(
      name,
      (u): u is A => base.is(u) && Object.keys(u as object).every((k) => known.has(k)),
      (u, c) => {
        if (typeof u === 'object' && u !== null && !Array.isArray(u)) {
          const extra = Object.keys(u).filter((k) => !known.has(k));
          if (extra.length > 0) {
            return t.failures(
              extra.map((k) => ({
                value: (u as Record<string, unknown>)[k],
                context: [...c, { key: '', type: base, actual: u }, { key: k, type: t.never, actual: (u as Record<string, unknown>)[k] }],
                message: `unknown field '${k}'; allowed fields: ${[...known].join(', ')}`,
              })),
            );
          }
        }
        return base.validate(u, c);
      },
      (a) => base.encode(a),
    );
    return hinted(codec, { object: { required, optional: optional ?? {} } });
  };

  const OrderItem = strict(
    'OrderItem',
    { productId: boundedString('productId', 1, 64), quantity: boundedInt(1, 9_999) },
    { unitPrice: boundedDecimal(0, 1_000_000, 2) },
  );
  /** Tier 1: the body of `POST /orders`. */
  const OrderRequest = strict('OrderRequest', {
    customerId: boundedString('customerId', 1, 64),
    items: boundedArray(OrderItem, 1, 50),
  });

  const OrderStatus = t.keyof({ ACCEPTED: null, REJECTED: null, PENDING: null, FULFILLED: null, FAILED: null });
  const RejectionCode = t.keyof({ INVALID_CUSTOMER_ID: null, QUANTITY_LIMIT: null, DUPLICATE_PRODUCT: null });
  const FailureReason = t.keyof({ OUT_OF_STOCK: null, PROCESSING_ERROR: null });
  const Item = t.intersection([t.type({ productId: t.string, quantity: t.number }), t.partial({ unitPrice: t.number })]);

  /** The workflow's execution input, written by the api-handler. */
  const WorkflowInput = t.type({
    orderId: t.string,
    customerId: t.string,
    items: t.array(Item),
    acceptedAt: t.string,
  });
  const RejectionReason = t.type({ code: RejectionCode, message: t.string });
  /** ValidateOrder's result. `summary` is the reasons as one sentence, for the Fail state's Cause. */
  const ValidationResult = t.type({ valid: t.boolean, reasons: t.array(RejectionReason), summary: t.string });
  /** StoreOrder's result: whether this run stored the order, found it stored, or found it finished. */
  const StorageResult = t.type({
    outcome: t.keyof({ STORED: null, ALREADY_STORED: null, ALREADY_TERMINAL: null }),
    status: OrderStatus,
    totalQuantity: t.number,
  });
  /** The message on the orders queue, decoded by the fulfillment function and the dlq-handler. */
  const FulfillmentMessage = t.type({ orderId: t.string, customerId: t.string, items: t.array(Item) });

  return {
    OrderItem,
    OrderRequest,
    OrderStatus,
    RejectionCode,
    FailureReason,
    WorkflowInput,
    RejectionReason,
    ValidationResult,
    StorageResult,
    FulfillmentMessage,
  };
};

/** Codecs for deploy-time code and tests. Never capture these inside a Lambda callback. */
export const codecs = makeCodecs();
type Codecs = typeof codecs;

export type OrderItem = t.TypeOf<Codecs['OrderItem']>;
export type OrderRequest = t.TypeOf<Codecs['OrderRequest']>;
export type OrderStatus = t.TypeOf<Codecs['OrderStatus']>;
export type RejectionCode = t.TypeOf<Codecs['RejectionCode']>;
export type FailureReason = t.TypeOf<Codecs['FailureReason']>;
export type WorkflowInput = t.TypeOf<Codecs['WorkflowInput']>;
export type RejectionReason = t.TypeOf<Codecs['RejectionReason']>;
export type ValidationResult = t.TypeOf<Codecs['ValidationResult']>;
export type StorageResult = t.TypeOf<Codecs['StorageResult']>;
export type FulfillmentMessage = t.TypeOf<Codecs['FulfillmentMessage']>;
