/**
 * Decoding one namespace of a stack's raw config, key by key, with messages that name the key, the value
 * and what is allowed. Shared by the stack config (config.ts) and the delivery program's config
 * (deployments/config.ts); it imports no Pulumi package, so the delivery program's pre-run tools load fast.
 */
import type * as t from 'io-ts';
import { isLeft } from 'fp-ts/Either';

export const show = (v: unknown) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));

/** What {@link decodeKeys} makes of one namespace of a stack's raw config. */
export interface DecodedKeys {
  /** The decoded value of every key that was given and is valid. */
  readonly values: Record<string, unknown>;
  /** The given value of every known key, as parsed from its text (JSON where it parses, else the text). */
  readonly given: Record<string, unknown>;
  /** One line per unknown key or bad value, naming the key, the value and what is allowed. */
  readonly problems: string[];
}

/**
 * Decodes the keys of one namespace of a raw stack config (`namespace:key` → text, as
 * `pulumi.runtime.allConfig()` gives it) with one codec per key; keys of other namespaces are ignored.
 * A value is first decoded as the text itself (strings), then as the JSON it holds (numbers, booleans, objects).
 */
export const decodeKeys = (
  raw: Readonly<Record<string, string>>,
  namespace: string,
  fields: Readonly<Record<string, t.Mixed>>,
): DecodedKeys => {
  const values: Record<string, unknown> = {};
  const given: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [fullKey, text] of Object.entries(raw)) {
    const [ns, key] = fullKey.split(':', 2);
    if (ns !== namespace) continue;
    const codec = fields[key];
    if (codec === undefined) {
      problems.push(`${fullKey} is not a known key; known keys: ${Object.keys(fields).join(', ')}`);
      continue;
    }
    let value: unknown = text;
    let decoded = codec.decode(text);
    if (isLeft(decoded)) {
      try {
        value = JSON.parse(text);
        decoded = codec.decode(value);
      } catch {
        // not JSON: the text is the value, and it did not decode
      }
    }
    given[key] = value;
    if (isLeft(decoded)) {
      const detail = decoded.left
        .map((e) => {
          const path = e.context
            .map((c) => c.key)
            .filter((k) => k !== '')
            .join('.');
          return path ? `${path} = ${show(e.value)} (expected ${e.context[e.context.length - 1].type.name})` : '';
        })
        .filter((s) => s !== '');
      problems.push(
        `${fullKey} = ${show(value)} is not allowed: expected ${codec.name}${detail.length > 0 ? ` (${detail.join('; ')})` : ''}`,
      );
      continue;
    }
    values[key] = decoded.right;
  }
  return { values, given, problems };
};
