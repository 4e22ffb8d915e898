// What the Lambda Node.js runtime does inside an execution environment, as aws-lambda-ric implements it,
// for the local sandboxes (local/worker.js) and the serialization tests (tests/serialization/invoke.js).
//
// Its JavaScript cannot be run from npm here: 3.x publishes one esbuild bundle that exports only `run()`
// and needs the native RAPID client (C++ built at install), and 4.x (a TypeScript rewrite for nodejs24.x
// and Lambda Managed Instances) starts the runtime when imported. So each behaviour below is written anew
// from aws-lambda-ric v3.3.0 (github.com/aws/aws-lambda-nodejs-runtime-interface-client, tag v3.3.0,
// commit a5ae1c2) and names the upstream file and function it follows; where 4.0.2 differs, it says so.
'use strict';

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

module.exports = { toRapidResponse, invocationError };
