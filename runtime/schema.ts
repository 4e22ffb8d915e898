import type * as t from 'io-ts';
import { SCHEMA_HINT, type SchemaHint } from './codecs';

/** A JSON Schema (draft 4, as API Gateway models use). */
export type JsonSchema = { [key: string]: unknown };

/**
 * Derives the JSON schema of a codec built from `makeCodecs()`'s combinators, so that API Gateway's
 * request model and the api-handler decode the same rules. Throws on a codec it cannot express rather
 * than producing a laxer schema.
 */
export const toJsonSchema = (codec: t.Any): JsonSchema => {
  const hint = (codec as unknown as Record<string, SchemaHint | undefined>)[SCHEMA_HINT];
  const tag = (codec as unknown as { _tag?: string })._tag;
  if (hint?.object) {
    const properties: Record<string, JsonSchema> = {};
    for (const [k, c] of Object.entries({ ...hint.object.required, ...hint.object.optional })) properties[k] = toJsonSchema(c);
    return { type: 'object', properties, required: Object.keys(hint.object.required), additionalProperties: false };
  }
  if (tag === 'RefinementType' && hint) {
    const base = toJsonSchema((codec as unknown as t.RefinementC<t.Any>).type);
    const schema: JsonSchema = { ...base };
    if (hint.integer) schema.type = 'integer';
    for (const k of ['minLength', 'maxLength', 'pattern', 'minimum', 'maximum', 'multipleOf', 'minItems', 'maxItems'] as const) {
      if (hint[k] !== undefined) schema[k] = hint[k];
    }
    return schema;
  }
  switch (tag ?? 'custom') {
    case 'StringType':
      return { type: 'string' };
    case 'NumberType':
      return { type: 'number' };
    case 'BooleanType':
      return { type: 'boolean' };
    case 'ArrayType':
      return { type: 'array', items: toJsonSchema((codec as unknown as t.ArrayC<t.Mixed>).type) };
    default:
      throw new Error(`toJsonSchema: codec '${codec.name}' (${tag ?? 'custom'}) has no JSON-schema form; add a hint`);
  }
};

/** The API Gateway model of `POST /orders`. */
export const orderRequestSchema = (codecs: { OrderRequest: t.Any }): JsonSchema => ({
  $schema: 'http://json-schema.org/draft-04/schema#',
  title: 'OrderRequest',
  ...toJsonSchema(codecs.OrderRequest),
});
