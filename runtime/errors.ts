/**
 * The runtime's errors. Their `name`s are declared once, here, and are what Lambda reports as the error
 * type: the workflow's `Retry`/`Catch` rules name them (see `components/workflow/errors.ts`) and the HTTP
 * edge maps them to statuses in one table (`runtime/http.ts`).
 *
 * Each is a native `Error` with its `name` set, made by a plain function, never an instance of a class of
 * ours. The code reaches Lambda through Pulumi's function serializer, which turns a class into a function
 * and drops the link from its `prototype` to `Error.prototype` (for a class without methods it keeps only
 * the constructor's own prototype chain): an instance of `class TransientError extends Error` came out of
 * the bundle as a plain object with no stack, `instanceof Error` false. The Node.js runtime reports such a
 * value as `errorType: "object"`, `errorMessage: "[object Object]"` (aws-lambda-ric v3.3.0,
 * src/Errors.js `toRapidResponse`), so no Retry on `TransientError` ever matched on AWS. A native
 * `Error` created at run time is what the runtime expects whatever the serializer does to our code; the
 * serialization tests load each generated bundle and check exactly that.
 */

/** Every error name the runtime throws on purpose. */
export const RUNTIME_ERROR_NAMES = [
  'TransientError',
  'InvalidInputError',
  'OrderNotFoundError',
  'IdempotencyConflictError',
  'ConfigError',
  'DeadlineExceededError',
  'FullBatchFailureError',
] as const;
export type RuntimeErrorName = (typeof RUNTIME_ERROR_NAMES)[number];

/** One problem of an input, as an error body lists it (`items.0.quantity`, and what is wrong there). */
export interface ProblemDetail {
  readonly path: string;
  readonly message: string;
}

/** One of the runtime's errors: a native `Error` with a stable name and optional details (never a stack in responses). */
export interface DofsError<N extends RuntimeErrorName = RuntimeErrorName> extends Error {
  readonly name: N;
  readonly details: readonly ProblemDetail[];
}

/**
 * A native `Error` named `name`. The name is set before anything reads `stack`, so V8, which formats the
 * stack on first read, heads it `TransientError: ...` rather than `Error: ...`.
 */
const dofsError = <N extends RuntimeErrorName>(name: N, message: string, details: readonly ProblemDetail[] = []): DofsError<N> => {
  const error = new Error(message);
  Object.defineProperty(error, 'name', { value: name, enumerable: false, writable: true, configurable: true });
  Object.defineProperty(error, 'details', { value: details, enumerable: false, writable: true, configurable: true });
  return error as DofsError<N>;
};

/** A failure worth retrying: throttling, a timeout, a network blip, or an injected fault. */
export const transientError = (message: string): DofsError<'TransientError'> => dofsError('TransientError', message);

/** Input that does not decode. Retrying cannot help. */
export const invalidInputError = (message: string, details: readonly ProblemDetail[] = []): DofsError<'InvalidInputError'> =>
  dofsError('InvalidInputError', message, details);

/** An order id that no order has. */
export const orderNotFoundError = (message: string): DofsError<'OrderNotFoundError'> => dofsError('OrderNotFoundError', message);

/** The same Idempotency-Key was sent with a different body. */
export const idempotencyConflictError = (message: string): DofsError<'IdempotencyConflictError'> =>
  dofsError('IdempotencyConflictError', message);

/** A function's environment does not decode: a deployment mistake, never retried. */
export const configError = (message: string): DofsError<'ConfigError'> => dofsError('ConfigError', message);

/**
 * The work did not finish before the function's own deadline, set just short of its timeout: the function
 * answers this rather than being cut off, which would leave API Gateway only its own 502 to send.
 */
export const deadlineExceededError = (message: string): DofsError<'DeadlineExceededError'> => dofsError('DeadlineExceededError', message);

/**
 * Every record of a queue batch failed. Thrown rather than returned as `batchItemFailures` listing them all,
 * which SQS treats the same (every message returns to the queue), so that Lambda counts the invocation in
 * its Errors metric and the function's Errors alarm can fire: a consumer that reports every failure per
 * record never errors. Powertools' batch processor throws its FullBatchFailureError for the same reason
 * (https://docs.powertools.aws.dev/lambda/typescript/latest/features/batch/).
 */
export const fullBatchFailureError = (message: string): DofsError<'FullBatchFailureError'> => dofsError('FullBatchFailureError', message);

/**
 * Whether `err` is one of the runtime's errors (named `name`, when given). Decided by the name, as Lambda
 * and Step Functions decide it: there is no class to test `instanceof` against.
 */
export const isDofsError = <N extends RuntimeErrorName = RuntimeErrorName>(err: unknown, name?: N): err is DofsError<N> =>
  err instanceof Error && (name === undefined ? (RUNTIME_ERROR_NAMES as readonly string[]).includes(err.name) : err.name === name);

/** AWS SDK error names that mean "try again later". */
const TRANSIENT_AWS_ERRORS: readonly string[] = [
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'ECONNRESET',
  'ETIMEDOUT',
  'TransactionConflictException',
];

/**
 * Maps an unknown thrown value to the runtime's vocabulary: our own errors pass through, throttling and
 * network failures become a {@link transientError}, anything else is re-thrown unchanged.
 */
export const classifyAwsError = (err: unknown): unknown => {
  if (isDofsError(err)) return err;
  const name = (err as { name?: unknown } | null)?.name;
  const code = (err as { code?: unknown } | null)?.code;
  if (
    (typeof name === 'string' && TRANSIENT_AWS_ERRORS.includes(name)) ||
    (typeof code === 'string' && TRANSIENT_AWS_ERRORS.includes(code))
  ) {
    return transientError(`${String(name ?? code)}: ${(err as Error).message ?? 'AWS call failed'}`);
  }
  return err;
};
