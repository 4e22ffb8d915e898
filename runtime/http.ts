import type * as t from 'io-ts';
import { isLeft } from 'fp-ts/Either';
import { SCHEMA_HINT } from './codecs';
import { type ProblemDetail, invalidInputError } from './errors';

/** One problem of a request, as the error body lists it. */
export type Problem = ProblemDetail;

/** The error body of CONTRACT.md. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details?: readonly Problem[] };
}

/** An HTTP response as API Gateway's proxy integration expects it. */
export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * The one table from runtime error names to HTTP statuses and codes. Anything not listed is a 500
 * whose body says nothing about the cause.
 */
export const HTTP_ERRORS: Record<string, { status: number; code: string }> = {
  InvalidInputError: { status: 400, code: 'VALIDATION_ERROR' },
  OrderNotFoundError: { status: 404, code: 'ORDER_NOT_FOUND' },
  IdempotencyConflictError: { status: 409, code: 'IDEMPOTENCY_CONFLICT' },
  TransientError: { status: 503, code: 'SERVICE_UNAVAILABLE' },
};

export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse => ({
  statusCode,
  headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

export const errorResponse = (status: number, code: string, message: string, details?: readonly Problem[]): HttpResponse =>
  json(status, { error: details && details.length > 0 ? { code, message, details } : { code, message } } satisfies ErrorBody);

/** Maps a thrown value to a response through {@link HTTP_ERRORS}; never leaks an internal message. */
export const responseForError = (err: unknown): HttpResponse => {
  const name = (err as { name?: string } | null)?.name ?? '';
  const mapped = HTTP_ERRORS[name];
  if (!mapped) return errorResponse(500, 'INTERNAL_ERROR', 'The order service failed unexpectedly; try again later.');
  const e = err as Error & { details?: readonly Problem[] };
  const message = mapped.status === 503 ? 'The order service is busy; try again shortly.' : e.message;
  const res = errorResponse(mapped.status, mapped.code, message, e.details);
  return mapped.status === 503 ? { ...res, headers: { ...res.headers, 'Retry-After': '1' } } : res;
};

const show = (v: unknown): string => {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
};

/** Intersections (and strict objects, which wrap one) add index keys that are not part of a field path. */
const isIntersection = (type: t.Decoder<unknown, unknown>): boolean => {
  const tagged = type as unknown as { _tag?: string } & Record<string, { object?: unknown } | undefined>;
  return tagged._tag === 'IntersectionType' || tagged[SCHEMA_HINT]?.object !== undefined;
};

/** io-ts errors as problems with dotted paths (`items.0.quantity`), each naming the value and what is allowed. */
export const problemsOf = (errors: t.Errors): Problem[] => {
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const e of errors) {
    const path = e.context
      .filter((c, i) => c.key !== '' && (i === 0 || !isIntersection(e.context[i - 1].type)))
      .map((c) => c.key)
      .join('.');
    const expected = e.context[e.context.length - 1].type.name;
    const message =
      e.message ??
      (e.value === undefined
        ? `${path || 'body'} is required: expected ${expected}`
        : `${path || 'body'} is ${show(e.value)}: expected ${expected}`);
    const key = `${path}|${message}`;
    if (!seen.has(key)) {
      seen.add(key);
      problems.push({ path: path || '(body)', message });
    }
  }
  return problems;
};

/** Decodes `input` or throws an {@link invalidInputError} that lists every problem. */
export const decodeOrThrow = <A>(codec: t.Decoder<unknown, A>, input: unknown, what: string): A => {
  const decoded = codec.decode(input);
  if (isLeft(decoded)) {
    const problems = problemsOf(decoded.left);
    throw invalidInputError(`${what}: ${problems.map((p) => p.message).join('; ')}`, problems);
  }
  return decoded.right;
};
