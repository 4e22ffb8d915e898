import Ajv from 'ajv-draft-04';
import type { ErrorObject, SchemaValidateFunction } from 'ajv';

/**
 * API Gateway's request validator for a JSON body model, emulated on the body's text.
 *
 * API Gateway models are JSON Schema draft 4
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/models-mappings-models.html). The texts of
 * its validation errors (`object has missing required properties`, `instance type (string) does not match
 * any allowed primitive type`) are those of java-json-tools/json-schema-validator, a Java validator that reads
 * JSON numbers as decimals; so this emulation follows that validator's rules where they differ from Ajv's:
 * - `multipleOf` is exact decimal arithmetic (DivisorValidator.java: `BigDecimal.remainder`): 19.99 is a
 *   multiple of 0.01, which Ajv's float division denies (19.99 / 0.01 = 1998.9999999999998), and 1e-200
 *   is not, which a float tolerance would allow;
 * - `integer` is draft 4's: a number written without a fraction or an exponent (NumericValidator.java: the
 *   node must be of Jackson's INTEGER type), so `1.0` and `1e0` are not integers;
 * - string lengths count code points (MaxLengthValidator.java: `codePointCount`), as Ajv does by default.
 * Both number rules need the number as written, which `JSON.parse` passes its reviver (`context.source`).
 * `minimum`/`maximum` still compare doubles: they differ from a decimal comparison only for texts of more
 * than 17 significant digits, and every number in the DOFS model also has `integer` or `multipleOf`.
 */
export type ModelVerdict = { readonly valid: true } | { readonly valid: false; readonly validationErrorString: string };

/** A JSON number literal as `±digits × 10^exponent`, `digits` without leading or trailing zeros ('' for zero). */
const decimal = (literal: string): { digits: string; exponent: bigint } | undefined => {
  const m = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(literal);
  if (!m) return undefined;
  const fraction = m[2] ?? '';
  let digits = (m[1] + fraction).replace(/^0+/, '');
  let exponent = BigInt(m[3] ?? '0') - BigInt(fraction.length);
  const trimmed = digits.replace(/0+$/, '');
  exponent += BigInt(digits.length - trimmed.length);
  digits = trimmed;
  return { digits, exponent };
};

const modPow = (base: bigint, exponent: bigint, modulus: bigint): bigint => {
  let result = 1n % modulus;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
};

/** A decimal string's digits modulo `modulus`, 15 digits at a time (a 10 MB body may hold a 10 MB number). */
const digitsMod = (digits: string, modulus: bigint): bigint => {
  let r = 0n;
  for (let i = 0; i < digits.length; i += 15) {
    const chunk = digits.slice(i, i + 15);
    r = (r * 10n ** BigInt(chunk.length) + BigInt(chunk)) % modulus;
  }
  return r;
};

/** Whether the number written `literal` is an exact multiple of `divisor`, in decimal arithmetic. */
export const isDecimalMultiple = (literal: string, divisor: number): boolean => {
  const v = decimal(literal);
  const d = decimal(String(divisor));
  if (!v || !d || d.digits === '') return false;
  if (v.digits === '') return true;
  // v / d = (V / D) × 10^k; with no trailing zeros in V, a negative k leaves a fraction.
  const k = v.exponent - d.exponent;
  if (k < 0n) return false;
  const D = BigInt(d.digits);
  return (digitsMod(v.digits, D) * modPow(10n, k, D)) % D === 0n;
};

/** Draft 4's integer: a number written without a fraction or an exponent. */
export const isIntegerLiteral = (literal: string): boolean => /^-?\d+$/.test(literal);

const INTEGER_LITERAL = 'dofsIntegerLiteral';

/** The schema with every `integer` type also requiring an integer literal (Ajv's `type` cannot be replaced). */
const withIntegerLiterals = (schema: unknown): unknown => {
  if (Array.isArray(schema)) return schema.map(withIntegerLiterals);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    // `enum` values and property names are data, not schemas.
    out[k] = k === 'enum' || k === 'required' ? v : withIntegerLiterals(v);
  }
  const type = (schema as { type?: unknown }).type;
  if (type === 'integer' || (Array.isArray(type) && type.includes('integer'))) out[INTEGER_LITERAL] = true;
  return out;
};

type Reviver = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown;

/** API Gateway's `validationErrorString`, approximately: Ajv's errors, with the offending names as sent. */
const errorString = (errors: readonly ErrorObject[]): string =>
  `[${errors
    .map(
      (e) =>
        `${e.instancePath || 'object'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`,
    )
    .join(', ')}]`;

/** Compiles body models; each compiled model validates a body's text. */
export class ModelValidator {
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  /** The source text of each number of the body being validated, by holder and key. */
  private sources = new WeakMap<object, Map<string, string>>();
  private rootSource: string | undefined;

  constructor() {
    // JSON.parse source text access (Node.js 21+): without it `1.0` would be checked as `1`.
    let sourceSeen = false;
    (JSON.parse as (text: string, reviver: Reviver) => unknown)('1', (_k, v, context) => ((sourceSeen = context?.source === '1'), v));
    if (!sourceSeen)
      throw new Error(`the local gateway needs JSON.parse source text access (Node.js 22); this is Node.js ${process.version}`);
    const sourceOf = (data: number, parent: unknown, key: unknown): string =>
      (parent !== null && typeof parent === 'object' ? this.sources.get(parent)?.get(String(key)) : this.rootSource) ?? String(data);
    const numberKeyword = (keyword: string, check: (source: string, value: unknown) => boolean, message: (value: unknown) => string) => {
      const validate: SchemaValidateFunction = (value, data, _parentSchema, cxt) => {
        const ok = check(sourceOf(data as number, cxt?.parentData, cxt?.parentDataProperty), value);
        validate.errors = ok ? undefined : [{ keyword, message: message(value), params: {} }];
        return ok;
      };
      return { keyword, type: 'number' as const, errors: true, validate };
    };
    this.ajv.removeKeyword('multipleOf');
    this.ajv.addKeyword(
      numberKeyword(
        'multipleOf',
        (source, divisor) => isDecimalMultiple(source, divisor as number),
        (divisor) => `must be multiple of ${String(divisor)}`,
      ),
    );
    this.ajv.addKeyword(numberKeyword(INTEGER_LITERAL, isIntegerLiteral, () => 'must be integer'));
  }

  /** A validator of body texts for `schema`. */
  compile(schema: object): (body: string) => ModelVerdict {
    const validate = this.ajv.compile(withIntegerLiterals(schema) as object);
    return (body) => {
      this.sources = new WeakMap();
      this.rootSource = undefined;
      const sources = this.sources;
      let parsed: unknown;
      try {
        const record: Reviver = function (key, value, context) {
          if (typeof value === 'number' && context?.source !== undefined) {
            const holder = this as object;
            let byKey = sources.get(holder);
            if (!byKey) sources.set(holder, (byKey = new Map<string, string>()));
            byKey.set(key, context.source);
          }
          return value;
        };
        parsed = (JSON.parse as (text: string, reviver: Reviver) => unknown)(body, record);
      } catch {
        return { valid: false, validationErrorString: '[Invalid request body]' };
      }
      // A number at the root has the reviver's own holder, which Ajv never sees.
      if (typeof parsed === 'number') this.rootSource = body.trim();
      return validate(parsed) ? { valid: true } : { valid: false, validationErrorString: errorString(validate.errors ?? []) };
    };
  }
}
