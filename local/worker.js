// One Lambda "sandbox": a worker thread that loads a generated __index.js, exactly as the nodejs22.x
// runtime would, and runs invocations sent by the host. Plain JavaScript: it runs the bundle, not our TS.
const path = require('path');
const { parentPort, workerData } = require('worker_threads');

// With --quiet, log lines are dropped here rather than carried to the host thread to be thrown away.
if (!workerData.logs)
  process.stdout.write = (_chunk, _encoding, callback) => {
    if (typeof _encoding === 'function') _encoding();
    else if (typeof callback === 'function') callback();
    return true;
  };

// A back-end sandbox yields the cores to the request path (the host decides which is which).
if (workerData.background) require('./priority').lowerThisThreadPriority();

let handler;
try {
  ({ handler } = require(path.join(workerData.bundleDir, '__index.js')));
} catch (e) {
  parentPort.postMessage({ type: 'init-error', error: { name: e && e.name, message: e && e.message } });
}
// Init is over (as Lambda's init phase): the host may now hand this sandbox invocations.
parentPort.postMessage({ type: 'ready' });

parentPort.on('message', async ({ id, payload, requestId, deadline }) => {
  const context = {
    awsRequestId: requestId,
    functionName: workerData.functionName,
    memoryLimitInMB: String(workerData.memorySize),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    if (!handler) throw Object.assign(new Error('the function failed to initialise'), { name: 'Runtime.InitError' });
    const result = await handler(JSON.parse(payload), context);
    parentPort.postMessage({ type: 'result', id, result: JSON.stringify(result === undefined ? null : result) });
  } catch (e) {
    parentPort.postMessage({
      type: 'result',
      id,
      error: { name: (e && e.name) || 'Error', message: (e && e.message) || String(e) },
    });
  }
});
