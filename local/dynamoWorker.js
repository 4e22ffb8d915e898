// dynalite (the DynamoDB API on LevelDB) in its own worker thread, so that the database has a core of
// its own instead of sharing the main thread with the gateway, the pollers and the state machine.
const { parentPort, workerData } = require('worker_threads');
const dynalite = require('dynalite');

const server = dynalite({ createTableMs: 0, ...(workerData.path ? { path: workerData.path } : {}) });
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (m) => {
  if (m === 'stop') server.close(() => parentPort.postMessage({ stopped: true }));
});
