// One Lambda "sandbox": a worker thread that loads a generated bundle and runs the invocations the host
// sends it, as the nodejs22.x runtime would (local/lambdaRuntime.js follows aws-lambda-ric). Plain
// JavaScript: it runs the bundle, not our TypeScript.
const { randomBytes } = require('crypto');
const { parentPort, workerData } = require('worker_threads');
const { invocationError, loadHandler, patchConsole, runtimeError, serializeResponse, toRapidResponse } = require('./lambdaRuntime');

// With --quiet, log lines are dropped here rather than carried to the host thread to be thrown away.
if (!workerData.logs)
  process.stdout.write = (_chunk, _encoding, callback) => {
    if (typeof _encoding === 'function') _encoding();
    else if (typeof callback === 'function') callback();
    return true;
  };

// A back-end sandbox yields the cores to the request path (the host decides which is which).
if (workerData.background) require('./priority').lowerThisThreadPriority();

// The console as the runtime patches it before loading the handler, in the function's log format and
// level. A line names the current invocation, the one that started last (src/LogPatch.js keeps one
// current request id; exact on Lambda, which runs one invocation at a time, while a sandbox here runs
// several: tracking each through its async context would put a promise hook on every await, on the
// request path too). The runtime's own 'Invoke Error' line names its invocation exactly.
let currentRequestId;
const logError = patchConsole(
  process.env,
  () => currentRequestId,
  (line) => process.stdout.write(line),
);

// The runtime's process-level handlers (aws-lambda-ric v3.3.0 src/index.mjs, src/Runtime.js
// `_setErrorCallbacks`): an uncaught exception, or a rejection nobody handles, is logged, posted as the
// current invocation's error (a rejection as Runtime.UnhandledPromiseRejection, its message the reason),
// and the runtime exits (129 / 128), so Lambda resets the environment. The host answers that invocation
// with the error and retires this worker as it does after a timeout; the others in it finish.
// Before any invocation the runtime posts it as the init error (src/index.mjs `postInitError`), which
// every invocation is then answered with.
let initError;
const crash = (label, error) => {
  logError(label, error);
  if (currentRequestId === undefined) {
    initError = invocationError(error);
    return parentPort.postMessage({ type: 'init-error', error: initError });
  }
  parentPort.postMessage({ type: 'crash', requestId: currentRequestId, error: JSON.stringify(invocationError(error)) });
};
process.on('uncaughtException', (error) => crash('Uncaught Exception', error));
process.on('unhandledRejection', (reason) => crash('Unhandled Promise Rejection', runtimeError('UnhandledPromiseRejection', reason)));

// Init: the runtime loads the handler once; a failure is posted as the init error (src/RAPIDClient.js
// `postInitError`, the body formed by `toRapidResponse`), and Lambda answers invocations with it.
let handler;
try {
  handler = loadHandler(workerData.bundleDir, workerData.handler);
} catch (e) {
  initError = toRapidResponse(e);
  parentPort.postMessage({ type: 'init-error', error: initError });
}
// Init is over (as Lambda's init phase): the host may now hand this sandbox invocations.
parentPort.postMessage({ type: 'ready' });

/**
 * The context object (src/InvokeContext.js `attachEnvironmentData`): the function's settings from the
 * environment, the request's from the invoke, and the callback context's flags.
 */
const contextFor = (requestId, deadline) => ({
  callbackWaitsForEmptyEventLoop: true,
  functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
  logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
  logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
  invokedFunctionArn: workerData.functionArn,
  awsRequestId: requestId,
  getRemainingTimeInMillis: () => deadline - Date.now(),
});

/**
 * One invocation, as src/Runtime.js `handleOnceNonStreaming` runs it: the handler gets the event, the
 * context and a callback; a returned promise settles it, or the callback does, whichever comes first
 * (src/CallbackContext.js). The outcome is posted once: the serialized result, or the error body.
 * (Unlike Lambda, a sandbox here runs several invocations at once; see LocalFunction.)
 */
parentPort.on('message', ({ id, payload, requestId, deadline }) => {
  let posted = false;
  const post = (message) => {
    if (posted) return;
    posted = true;
    parentPort.postMessage({ type: 'result', id, ...message });
  };
  // src/CallbackContext.js `postError`: the runtime logs the error ('Invoke Error'), then posts it.
  const fail = (thrown) => {
    if (posted) return;
    currentRequestId = requestId;
    logError('Invoke Error', thrown === undefined || thrown === null ? 'handled' : thrown);
    post({ error: JSON.stringify(invocationError(thrown)) });
  };
  const succeed = (result) => {
    let body;
    try {
      body = serializeResponse(result);
    } catch (e) {
      return fail(e);
    }
    post({ result: body });
  };
  if (initError) return post({ error: JSON.stringify(initError) });
  const context = contextFor(requestId, deadline);
  const callback = (err, result) => (err !== undefined && err !== null ? fail(err) : succeed(result));
  currentRequestId = requestId; // src/InvokeContext.js `updateLoggingContext`
  // Lambda sets the X-Ray header for each invocation (configuration-envvars.html, "_X_AMZN_TRACE_ID ... changes with
  // each invocation"; aws-lambda-ric src/InvokeContext.js from Lambda-Runtime-Trace-Id). A trace id is
  // 1-<epoch seconds, 8 hex>-<24 hex> (https://docs.aws.amazon.com/xray/latest/devguide/xray-api-sendingdata.html).
  // Handlers read it as they start, before anything awaits: the next invocation here may set it again.
  process.env._X_AMZN_TRACE_ID = `Root=1-${Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, '0')}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=1`;
  try {
    const returned = handler(JSON.parse(payload), context, callback);
    if (returned && typeof returned.then === 'function') returned.then(succeed, fail);
  } catch (e) {
    fail(e);
  }
});
