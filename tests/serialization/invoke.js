// Loads a generated __index.js in a fresh process, as the Lambda runtime would, and invokes its handler
// with the event read from stdin. Prints {"result": ...} or {"error": {name, message}} on the last line.
const path = require('path');
const bundle = process.argv[2];
let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', async () => {
  const context = { awsRequestId: 'req-serialization', functionName: path.basename(bundle), getRemainingTimeInMillis: () => 10000 };
  try {
    const { handler } = require(path.join(bundle, '__index.js'));
    const result = await handler(JSON.parse(input), context);
    process.stdout.write('\n' + JSON.stringify({ result }) + '\n');
  } catch (e) {
    process.stdout.write('\n' + JSON.stringify({ error: { name: e && e.name, message: e && e.message } }) + '\n');
  }
});
