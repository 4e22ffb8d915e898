import type * as t from 'io-ts';
import { isLeft } from 'fp-ts/Either';
import { SCHEMA_HINT } from './codecs';
import { type ProblemDetail, deadlineExceededError, invalidInputError } from './errors';

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
export const HTTP_ERRORS: Record<string, { status: number; code: string; message?: string; retryAfter?: string }> = {
  InvalidInputError: { status: 400, code: 'VALIDATION_ERROR' },
  OrderNotFoundError: { status: 404, code: 'ORDER_NOT_FOUND' },
  IdempotencyConflictError: { status: 409, code: 'IDEMPOTENCY_CONFLICT' },
  TransientError: { status: 503, code: 'SERVICE_UNAVAILABLE', message: 'The order service is busy; try again shortly.', retryAfter: '1' },
  DeadlineExceededError: {
    status: 504,
    code: 'GATEWAY_TIMEOUT',
    message: 'The order service did not answer in time; the order may have been accepted: send it again with the same Idempotency-Key.',
  },
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
  // A fixed message where the error's own would speak of the inside (a throttled table, an injected fault).
  const res = errorResponse(mapped.status, mapped.code, mapped.message ?? e.message, e.details);
  return mapped.retryAfter ? { ...res, headers: { ...res.headers, 'Retry-After': mapped.retryAfter } } : res;
};

/**
 * `work`'s response, or the response for a {@link deadlineExceededError} if `work` has not finished `ms` from
 * now. A Lambda function cut off by its timeout fails the invocation, and API Gateway answers a function
 * error with its own 502 `{"message": "Internal server error"}`
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html); answering just before the
 * timeout gives the client the contract's 504 instead. `work` is left to run.
 */
export const answerWithin = async (
  ms: number,
  work: Promise<HttpResponse>,
  onDeadline: () => void = () => undefined,
): Promise<HttpResponse> => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<HttpResponse>((resolve) => {
    timer = setTimeout(
      () => {
        onDeadline();
        resolve(responseForError(deadlineExceededError(`no answer within ${ms} ms`)));
      },
      Math.max(0, ms),
    );
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
};

const show = (v: unknown): string => {
  if (v === undefined) return 'nothing';
  let s: string;
  try {
    s = JSON.stringify(v);
  } catch {
    // Nested deeper than JSON.stringify's recursion allows: still a 400, not a 500.
    return Array.isArray(v) ? 'a deeply nested array' : 'a deeply nested value';
  }
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
