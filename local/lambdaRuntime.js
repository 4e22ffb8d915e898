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

module.exports = { toRapidResponse, invocationError, serializeResponse, loadHandler };
