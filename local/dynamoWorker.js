// dynalite (the DynamoDB API on LevelDB) in its own worker thread, so that the database has a core of
// its own instead of sharing the main thread with the gateway, the pollers and the state machine. IAM's
// gate (local/iamGate.ts, loaded through sucrase as in the back-end thread) stands in front of it: a call
// signed by a declared role is evaluated against the role's policies before dynalite sees it.
const { parentPort, workerData } = require('worker_threads');
require('sucrase/register/ts');
const dynalite = require('dynalite');
const { Gate, guardServer } = require('./iamGate');

const gate = new Gate('dynamodb');
const server = dynalite({ createTableMs: 0, ...(workerData.path ? { path: workerData.path } : {}) });
guardServer(server, gate);
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ type: 'listening', port: server.address().port }));
parentPort.on('message', (m) => {
  if (m.type === 'iam') {
    gate.use(m.setup);
    parentPort.postMessage({ type: 'iam-ready' });
  } else if (m.type === 'stop') {
    server.close(() => parentPort.postMessage({ type: 'stopped' }));
  }
});
