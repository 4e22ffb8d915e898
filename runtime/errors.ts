/**
 * The runtime's error classes. Their `name`s are declared once, here, and are what Lambda reports as the
 * error type: the workflow's `Retry`/`Catch` rules name them (see `components/workflow/errors.ts`) and the
 * HTTP edge maps them to statuses in one table (`runtime/http.ts`).
 *
 * `name` is assigned explicitly rather than taken from `constructor.name`, because function
 * serialization and bundlers may rename classes.
 */

/** Every error name the runtime throws on purpose. */
export const RUNTIME_ERROR_NAMES = [
  'TransientError',
  'InvalidInputError',
  'OrderNotFoundError',
  'IdempotencyConflictError',
  'ConfigError',
  'DeadlineExceededError',
] as const;
export type RuntimeErrorName = (typeof RUNTIME_ERROR_NAMES)[number];

/**
 * Base class: a stable name and optional structured details (never a stack in responses).
 *
 * Every class has an explicit constructor and no class fields: Pulumi's function serialization
 * re-creates a derived class's implicit constructor as `super()` with no arguments and drops field
 * initializers, which would lose the message and the name inside a Lambda (the serialization tests
 * caught exactly that).
 */
export class DofsError extends Error {
  declare readonly name: RuntimeErrorName;
  declare readonly details: ReadonlyArray<{ path: string; message: string }>;
  constructor(name: RuntimeErrorName, message: string, details: ReadonlyArray<{ path: string; message: string }> = []) {
    super(message);
    // Serialized, this class becomes a plain function calling `Error.call(this, message)`, which does
    // not set the message on `this`: set both explicitly.
    Object.defineProperty(this, 'message', { value: message, enumerable: false, writable: true, configurable: true });
    Object.defineProperty(this, 'name', { value: name, enumerable: false, writable: true, configurable: true });
    this.details = details;
  }
}

/** A failure worth retrying: throttling, a timeout, a network blip, or an injected fault. */
export class TransientError extends DofsError {
  constructor(message: string) {
    super('TransientError', message);
  }
}

/** Input that does not decode. Retrying cannot help. */
export class InvalidInputError extends DofsError {
  constructor(message: string, details: ReadonlyArray<{ path: string; message: string }> = []) {
    super('InvalidInputError', message, details);
  }
}

/** An order id that no order has. */
export class OrderNotFoundError extends DofsError {
  constructor(message: string) {
    super('OrderNotFoundError', message);
  }
}

/** The same Idempotency-Key was sent with a different body. */
export class IdempotencyConflictError extends DofsError {
  constructor(message: string) {
    super('IdempotencyConflictError', message);
  }
}

/** A function's environment does not decode: a deployment mistake, never retried. */
export class ConfigError extends DofsError {
  constructor(message: string) {
    super('ConfigError', message);
  }
}

/**
 * The work did not finish before the function's own deadline, set just short of its timeout: the function
 * answers this rather than being cut off, which would leave API Gateway only its own 502 to send.
 */
export class DeadlineExceededError extends DofsError {
  constructor(message: string) {
    super('DeadlineExceededError', message);
  }
}

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
 * network failures become {@link TransientError}, anything else is re-thrown unchanged.
 */
export const classifyAwsError = (err: unknown): unknown => {
  if (err instanceof DofsError) return err;
  const name = (err as { name?: unknown } | null)?.name;
  const code = (err as { code?: unknown } | null)?.code;
  if (
    (typeof name === 'string' && TRANSIENT_AWS_ERRORS.includes(name)) ||
    (typeof code === 'string' && TRANSIENT_AWS_ERRORS.includes(code))
  ) {
    return new TransientError(`${String(name ?? code)}: ${(err as Error).message ?? 'AWS call failed'}`);
  }
  return err;
};
