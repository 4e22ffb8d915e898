// What the Lambda Node.js runtime does inside an execution environment, as aws-lambda-ric implements it,
// for the local sandboxes (local/worker.js) and the serialization tests (tests/serialization/invoke.js).
//
// Its JavaScript cannot be run from npm here: 3.x publishes one esbuild bundle that exports only `run()`
// and needs the native RAPID client (C++ built at install), and 4.x (a TypeScript rewrite for nodejs24.x
// and Lambda Managed Instances) starts the runtime when imported. So each behaviour below is written anew
// from aws-lambda-ric v3.3.0 (github.com/aws/aws-lambda-nodejs-runtime-interface-client, tag v3.3.0,
// commit a5ae1c2) and names the upstream file and function it follows; where 4.0.2 differs, it says so.
'use strict';

const fs = require('fs');
const path = require('path');
const util = require('util');

// src/Errors.js `_isError`: an object the runtime treats as an Error without it being a native one.
const isErrorLike = (value) =>
  Boolean(value && value.name && value.message && value.stack) &&
  typeof value.name === 'string' &&
  typeof value.message === 'string' &&
  typeof value.stack === 'string';

/**
 * The error body the runtime posts for a failed invocation (src/Errors.js `toRapidResponse`; 4.x calls it
 * `formatError` and tests `instanceof Error` instead). `errorType` is what Lambda reports as the function
 * error's type and what Step Functions matches in `ErrorEquals`: a native Error's `name`, or else
 * `typeof` the thrown value ("object" for a plain object, whose message is then "[object Object]").
 */
const toRapidResponse = (error) => {
  try {
    if (util.types.isNativeError(error) || isErrorLike(error)) {
      return {
        errorType: error.name?.replaceAll('\x7F', '%7F'),
        errorMessage: error.message?.replaceAll('\x7F', '%7F'),
        trace: error.stack.replaceAll('\x7F', '%7F').split('\n'),
      };
    }
    return { errorType: typeof error, errorMessage: error.toString(), trace: [] };
  } catch {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
    };
  }
};

/**
 * What a rejected handler promise reports: src/CallbackContext.js `fail` turns a rejection with
 * `undefined` or `null` into the string 'handled' before it is formatted.
 */
const invocationError = (thrown) => toRapidResponse(thrown === undefined || thrown === null ? 'handled' : thrown);

/**
 * The response body the runtime posts for a successful invocation (src/RAPIDClient.js
 * `_trySerializeResponse`): `undefined` becomes `null`; a value JSON cannot hold fails the invocation
 * with an Error 'Unable to stringify response body' (src/CallbackContext.js: the throw lands in `fail`).
 */
const serializeResponse = (result) => {
  try {
    return JSON.stringify(result === undefined ? null : result);
  } catch {
    throw new Error('Unable to stringify response body');
  }
};

// src/Errors.js: the runtime's own errors are named `Runtime.<class>`.
const runtimeError = (kind, message) => Object.assign(new Error(message), { name: `Runtime.${kind}` });

/**
 * The handler a handler string names, loaded as src/UserFunction.js `load` does for a CommonJS module:
 * '<moduleRoot/>module.path.to.fn' resolved against the task root, '..' refused, the module required as
 * written or with '.js', then '.cjs'; a SyntaxError becomes Runtime.UserCodeSyntaxError, a missing module
 * Runtime.ImportModuleError, a missing or non-function export Runtime.HandlerNotFound. (ES modules, which
 * the runtime imports, are not needed here: Pulumi's bundles are CommonJS.)
 */
const loadHandler = (taskRoot, fullHandlerString) => {
  if (fullHandlerString.includes('..')) {
    throw runtimeError(
      'MalformedHandlerName',
      `'${fullHandlerString}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  const moduleAndHandler = path.basename(fullHandlerString);
  const moduleRoot = fullHandlerString.substring(0, fullHandlerString.indexOf(moduleAndHandler));
  const match = /^([^.]*)\.(.*)$/.exec(moduleAndHandler);
  if (!match) throw runtimeError('MalformedHandlerName', 'Bad handler');
  const [, moduleName, handlerPath] = match;
  const file = path.resolve(taskRoot, moduleRoot, moduleName);
  let app;
  try {
    const found = [file, `${file}.js`, `${file}.cjs`].find((f) => fs.existsSync(f) && fs.statSync(f).isFile());
    app = found ? require(found) : require(require.resolve(moduleName, { paths: [taskRoot, moduleRoot] }));
  } catch (e) {
    if (e instanceof SyntaxError) throw runtimeError('UserCodeSyntaxError', String(e));
    if (e && e.code === 'MODULE_NOT_FOUND') throw runtimeError('ImportModuleError', String(e));
    throw e;
  }
  const handler = handlerPath.split('.').reduce((nested, key) => nested && nested[key], app);
  if (!handler) throw runtimeError('HandlerNotFound', `${fullHandlerString} is undefined or not exported`);
  if (typeof handler !== 'function') throw runtimeError('HandlerNotFound', `${fullHandlerString} is not a function`);
  return handler;
};

// src/LogPatch.js `_patchConsoleWith`: the levels, most detailed first.
const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];

// src/LogPatch.js `jsonErrorReplacer`: an Error inside a JSON log line, by its constructor's name.
const jsonErrorReplacer = (_key, value) =>
  value instanceof Error
    ? Object.assign(
        {
          errorType: value?.constructor?.name ?? 'UnknownError',
          errorMessage: value.message,
          stackTrace: typeof value.stack === 'string' ? value.stack.split('\n') : value.stack,
        },
        value,
      )
    : value;

// src/LogPatch.js `formatJsonMessage`.
const formatJsonMessage = (requestId, timestamp, level, params) => {
  const result = { timestamp, level, requestId };
  if (params.length === 1) {
    result.message = params[0];
    try {
      return JSON.stringify(result, jsonErrorReplacer);
    } catch {
      result.message = util.format(result.message);
      return JSON.stringify(result);
    }
  }
  result.message = util.format(...params);
  const error = params.find((p) => p instanceof Error);
  if (error) {
    result.errorType = error?.constructor?.name ?? 'UnknownError';
    result.errorMessage = error.message;
    result.stackTrace = typeof error.stack === 'string' ? error.stack.split('\n') : [];
  }
  return JSON.stringify(result);
};

// src/Errors.js `toFormatted` and `_withEnumerableProperties`, for the TEXT format's error lines.
const toFormatted = (error) => {
  const withEnumerable = (_key, v) =>
    v instanceof Error
      ? Object.assign(
          { errorType: v.name, errorMessage: v.message, code: v.code },
          v,
          typeof v.stack === 'string' ? { stack: v.stack.split('\n') } : {},
        )
      : v;
  try {
    return '\t' + JSON.stringify(error, withEnumerable);
  } catch {
    return '\t' + JSON.stringify(toRapidResponse(error));
  }
};

// src/Errors.js `intoError`.
const intoError = (err) => (err instanceof Error ? err : new Error(err));

/**
 * Replaces the console as the runtime does at start (src/LogPatch.js `patchConsole`): with
 * AWS_LAMBDA_LOG_FORMAT=JSON each line is `{timestamp, level, requestId, message}`, otherwise
 * `<time>\t<requestId>\t<LEVEL>\t<message>`; newlines inside a line become '\r'; `console.log` is
 * `console.info`; a method below AWS_LAMBDA_LOG_LEVEL (default TRACE) writes nothing, and
 * `console.fatal` always writes. `requestId()` names the invocation a line belongs to (the runtime's
 * current request id).
 * Returns `logError(label, error)`, the runtime's `structuredConsole.logError`.
 */
const patchConsole = (env, requestId, write) => {
  const json = env.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === 'JSON';
  const threshold = Math.max(0, LEVELS.indexOf(env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase()));
  const log = (level, params) => {
    const time = new Date().toISOString();
    const line = json
      ? formatJsonMessage(requestId(), time, level, params)
      : `${time}\t${requestId()}\t${level}\t${util.format(...params)}`;
    write(line.replace(/\n/g, '\r') + '\n');
  };
  const method = (level) => (LEVELS.indexOf(level) >= threshold ? (...params) => log(level, params) : () => {});
  console.trace = method('TRACE');
  console.debug = method('DEBUG');
  console.info = method('INFO');
  console.log = console.info;
  console.warn = method('WARN');
  console.error = method('ERROR');
  console.fatal = (...params) => log('FATAL', params);
  return json ? (_label, err) => console.error(intoError(err)) : (label, err) => console.error(label, toFormatted(intoError(err)));
};

module.exports = { toRapidResponse, invocationError, serializeResponse, loadHandler, patchConsole, runtimeError, LEVELS };
