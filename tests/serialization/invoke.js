// Loads a generated __index.js in a fresh process, as the Lambda runtime would, and invokes its handler
// with the event read from stdin. Prints {"result": ...} on the last line, or, when the handler throws,
// {"error": <the error body the Node.js runtime would post>, "thrown": <what was thrown>}: the body is
// formed by the same code the local sandboxes use (local/lambdaRuntime.js, after aws-lambda-ric).
const path = require('path');
const { invocationError } = require('../../local/lambdaRuntime');

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
    const thrown = { instanceOfError: e instanceof Error, stack: e && e.stack, name: e && e.name };
    process.stdout.write('\n' + JSON.stringify({ error: invocationError(e), thrown }) + '\n');
  }
});
