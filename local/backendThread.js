// Entry of the local cloud's back-end thread (local/backend.ts). The host runs under ts-node; a worker
// has its hook only if the host was started with `-r ts-node/register`, so it is registered where missing.
const path = require('path');
if (!require.extensions['.ts']) {
  require('ts-node').register({ transpileOnly: true, project: path.join(__dirname, '..', 'tsconfig.json') });
}
require('./backend').serve(require('./priority').lowerThisThreadPriority);
