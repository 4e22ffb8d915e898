import { RUNTIME_ERROR_NAMES, type RuntimeErrorName } from '../../runtime/errors';

/** The predefined error names of the Amazon States Language. */
export const STATES_ERROR_NAMES = [
  'States.ALL',
  'States.TaskFailed',
  'States.Timeout',
  'States.HeartbeatTimeout',
  'States.Permissions',
  'States.Runtime',
  'States.DataLimitExceeded',
  'States.ResultPathMatchFailure',
  'States.ParameterPathFailure',
  'States.IntrinsicFailure',
  'States.NoChoiceMatched',
  'States.BranchFailed',
] as const;
export type StatesErrorName = (typeof STATES_ERROR_NAMES)[number];

/**
 * Errors raised by Step Functions' service integrations, and by Lambda for a function, that the workflow
 * handles by name. A function timeout reaches Step Functions as `Sandbox.Timedout`, the error type Lambda
 * gives it, or as `Lambda.Unknown` ("Unhandled errors in Lambda are reported as Lambda.Unknown ... These
 * include out-of-memory errors and function timeouts", and the Lambda service exceptions listed there:
 * https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html).
 */
export const SERVICE_ERROR_NAMES = [
  'Sandbox.Timedout',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.Unknown',
  'DynamoDB.ConditionalCheckFailedException',
  'DynamoDB.ProvisionedThroughputExceededException',
  'DynamoDB.ThrottlingException',
  'DynamoDB.InternalServerErrorException',
  'DynamoDB.AmazonDynamoDBException',
  'SQS.AmazonSQSException',
  'SQS.SdkClientException',
] as const;
export type ServiceErrorName = (typeof SERVICE_ERROR_NAMES)[number];

/** Every name a `Retry` or `Catch` rule may use: one shared list. */
export const ERROR_NAMES: readonly ErrorName[] = [...RUNTIME_ERROR_NAMES, ...STATES_ERROR_NAMES, ...SERVICE_ERROR_NAMES];
export type ErrorName = RuntimeErrorName | StatesErrorName | ServiceErrorName;

/**
 * The `ErrorEquals` of one rule: either `['States.ALL']` alone, or specific names. (That `States.ALL`
 * rules come last is checked by `validate()`, since it is about the order of rules, not of names.)
 */
export type ErrorList = readonly ['States.ALL'] | readonly Exclude<ErrorName, 'States.ALL'>[];

/**
 * What a Lambda task must retry (`validate()` checks every Lambda task that retries at all): a timeout,
 * the function's (Sandbox.Timedout, Lambda.Unknown) or the task's (States.Timeout), and the Lambda
 * service's own errors (bp-lambda-serviceexception.html, above).
 */
export const LAMBDA_TIMEOUT_AND_SERVICE_ERRORS = [
  'Sandbox.Timedout',
  'Lambda.Unknown',
  'States.Timeout',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
] as const satisfies ErrorList;

/** What a Lambda task retries by default: our transient errors, timeouts and the Lambda service's errors. */
export const TRANSIENT_LAMBDA_ERRORS = ['TransientError', ...LAMBDA_TIMEOUT_AND_SERVICE_ERRORS] as const satisfies ErrorList;

/** What a DynamoDB integration retries: throttling, server errors and a call past its timeout, never a failed condition. */
export const TRANSIENT_DYNAMODB_ERRORS = [
  'DynamoDB.ProvisionedThroughputExceededException',
  'DynamoDB.ThrottlingException',
  'DynamoDB.InternalServerErrorException',
  'States.Timeout',
] as const satisfies ErrorList;

/** What an SQS integration retries. */
export const TRANSIENT_SQS_ERRORS = ['SQS.SdkClientException', 'SQS.AmazonSQSException', 'States.Timeout'] as const satisfies ErrorList;
