import type { AslObject, AslValue } from './asl';
import { type RefFn, Intrinsic, PathRef, ref } from './paths';

/** Renders a template value: `PathRef`s and `Intrinsic`s become `"<key>.$"` fields. */
export const renderTemplate = (value: unknown): AslValue => {
  if (value instanceof PathRef || value instanceof Intrinsic) {
    throw new Error('a path reference must be the value of an object field');
  }
  if (Array.isArray(value)) return value.map(renderTemplate);
  if (isPlainObject(value)) {
    const out: AslObject = {};
    for (const [key, v] of Object.entries(value)) Object.assign(out, templateField(key, v));
    return out;
  }
  return value as AslValue;
};

/** One field of a template: `{ key: value }` or `{ "key.$": path }`. */
export const templateField = (key: string, value: unknown): AslObject => {
  if (value instanceof PathRef) return { [`${key}.$`]: value.path };
  if (value instanceof Intrinsic) return { [`${key}.$`]: value.expression };
  return { [key]: renderTemplate(value) };
};

/** Only literal objects are templates; pulumi Outputs and class instances are values. */
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

/** Evaluates a template function against a fresh typed reference maker. */
export const evaluateTemplate = <I, T>(template: ($: RefFn<I>) => T): AslValue => renderTemplate(template(ref<I>()));
