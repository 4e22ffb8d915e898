// Loads a generated __index.js in a fresh process, as the Lambda runtime would, and invokes its handler
// with the event read from stdin. Prints {"result": ...} or {"error": {name, message}} on the last line.
const path = require('path');
const bundle = process.argv[2];
let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', async () => {
  // The function's time left, as Lambda counts it down (DOFS_TEST_REMAINING_MS: a shorter timeout for a test).
  const deadline = Date.now() + Number(process.env.DOFS_TEST_REMAINING_MS ?? 10000);
  const context = {
    awsRequestId: 'req-serialization',
    functionName: path.basename(bundle),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    const { handler } = require(path.join(bundle, '__index.js'));
    const result = await handler(JSON.parse(input), context);
    process.stdout.write('\n' + JSON.stringify({ result }) + '\n');
  } catch (e) {
    process.stdout.write('\n' + JSON.stringify({ error: { name: e && e.name, message: e && e.message } }) + '\n');
  }
});
