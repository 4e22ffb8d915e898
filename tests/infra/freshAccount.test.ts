/**
 * A stack that relies on the account's API Gateway CloudWatch role (`dofs:apiGatewayAccount: existing`),
 * run against a fresh account that has none: AWS would refuse the stage ("CloudWatch Logs role ARN must be
 * set in account settings to enable logging"), so the program stops first, naming the key that fixes it.
 *
 * The check fails inside an apply, which ends a real `pulumi up` as an unhandled rejection; jest would
 * take that for its own failure, so the program runs in a process of its own (local/synthProcess.ts, as
 * the local cloud runs it).
 */
import { stackConfig } from './harness';
import { runProgram } from '../support/programProcess';

it('stops before creating the stage, naming dofs:apiGatewayAccount, when the account has no CloudWatch role', async () => {
  const raw = { ...stackConfig('staging'), 'dofs:apiGatewayAccount': 'existing' };
  const fresh = await runProgram('staging', raw, '');
  expect(fresh.code).toBe(1);
  expect(fresh.error?.message).toMatch(
    /^the API Gateway account in eu-west-1 has no CloudWatch Logs role, .*bootstrap deployments\/.*or set dofs:apiGatewayAccount to 'managed'/,
  );
  // The same program on an account that has the role runs to its end.
  const ready = await runProgram('staging', raw, 'arn:aws:iam::123456789012:role/apigateway-cloudwatch');
  expect(ready.error).toBeUndefined();
  expect(ready.code).toBe(0);
});

it("sets the account's role itself in `managed` mode (a person's own deploy, outside delivery)", async () => {
  // Outside delivery: no delivery boundary (the program refuses the two together).
  const raw = Object.fromEntries(
    Object.entries({ ...stackConfig('dev'), 'dofs:apiGatewayAccount': 'managed' }).filter(([k]) => k !== 'dofs:permissionsBoundary'),
  );
  const run = await runProgram('dev', raw, '');
  expect(run.code).toBe(0);
  const resources = run.result!.resources;
  const role = resources.find((r) => r.type === 'aws:iam/role:Role' && r.name === 'dofs-cloudwatch-role')!;
  expect(JSON.parse(role.inputs.assumeRolePolicy as string).Statement[0].Principal).toEqual({ Service: 'apigateway.amazonaws.com' });
  expect(role.inputs.permissionsBoundary).toBeUndefined();
  expect(resources.filter((r) => r.type === 'aws:iam/rolePolicyAttachment:RolePolicyAttachment').map((r) => r.inputs)).toEqual([
    { role: 'dofs-cloudwatch-role', policyArn: 'arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs' },
  ]);
  const account = resources.find((r) => r.type === 'aws:apigateway/account:Account')!;
  expect(account.inputs.cloudwatchRoleArn).toBe('arn:aws:iam::123456789012:role/dofs/dofs-cloudwatch-role');
});
