// Entry of the local cloud's back-end thread (local/backend.ts). Its TypeScript is loaded through sucrase,
// which strips types file by file, as in the host thread; ts-node would load the TypeScript compiler
// into this thread too (about 25 MB of heap). Types are checked by `npm run typecheck`.
require('sucrase/register/ts');
require('./backend').serve(require('./priority').lowerThisThreadPriority);
