/**
 * The pre-run script of every deployment (deployments/preRun.ts), with a faked Deployments workspace: the
 * token Pulumi Cloud mints, the files, the commands and the Pulumi Cloud REST API.
 */
import { type PreRunDeps, type PreRunEnv, PreRunError, awsConfigText, preRun, subjectOf } from '../../deployments/preRun';
import { subject } from '../../deployments/policies';

const GOOD = 'a'.repeat(40);
const OTHER = 'b'.repeat(40);
const tokenFor = (stack: string, operation: string) =>
  [
    'e30',
    Buffer.from(JSON.stringify({ sub: subject('acme', stack, operation as 'update'), aud: 'acme' })).toString('base64url'),
    'sig',
  ].join('.');

const ROLES: PreRunEnv = {
  DOFS_DEPLOY_ROLE_ARN: 'arn:aws:iam::123456789012:role/dofs-delivery/deploy-prod',
  DOFS_PREVIEW_ROLE_ARN: 'arn:aws:iam::123456789012:role/dofs-delivery/preview-prod',
  AWS_CONFIG_FILE: '/tmp/dofs-aws/config',
  PULUMI_ACCESS_TOKEN: 'deployment-token',
};

/** A workspace with `token` in Deployments' token file; `succeeded` is what the previous stack's history holds. */
const workspace = (token: string, opts: { testsExit?: number; head?: string; succeeded?: string[] } = {}) => {
  const files = new Map<string, string>([['/mnt/pulumi/pulumi.oidc', token]]);
  const commands: string[] = [];
  const requests: string[] = [];
  const deps: PreRunDeps = {
    readFile: (f) => files.get(f),
    writeFile: (f, t) => void files.set(f, t),
    run: (c, args) => {
      commands.push([c, ...args].join(' '));
      return opts.testsExit ?? 0;
    },
    gitHead: () => opts.head ?? GOOD,
    fetch: async (url) => {
      requests.push(url);
      const updates = (opts.succeeded ?? []).map((c, i) => ({
        info: { kind: 'update', result: 'succeeded', version: 10 - i, environment: { 'git.head': c, 'git.dirty': 'false' } },
      }));
      const body = url.includes('/schedules') ? { schedules: [] } : { updates, total: updates.length };
      return { ok: true, status: 200, json: async () => body, text: async () => JSON.stringify(body) };
    },
    log: () => undefined,
    home: '/home/deploy',
  };
  return { files, commands, requests, deps };
};

describe('the pre-run script', () => {
  it('reads the stack and operation from the subject Pulumi Cloud wrote, and refuses a token that is not one', () => {
    expect(subjectOf(tokenFor('prod', 'update'))).toEqual({ organization: 'acme', project: 'dofs', stack: 'prod', operation: 'update' });
    expect(() => subjectOf('not-a-token')).toThrow(PreRunError);
    expect(() => subjectOf(['e30', Buffer.from('{"sub":"repo:acme/dofs:ref:main"}').toString('base64url'), 's'].join('.'))).toThrow(
      /is not a Pulumi Deployments subject/,
    );
  });

  it.each([
    ['preview', 'preview', 'ran'],
    ['update', 'deploy', 'ran'],
    ['destroy', 'deploy', 'skipped'],
    ['refresh', 'preview', 'skipped'],
    ['detect-drift', 'preview', 'skipped'],
  ])('for %s: assumes the %s role and tests are %s', async (operation, kind, tests) => {
    const ws = workspace(tokenFor('dev', operation));
    const outcome = await preRun(ROLES, ws.deps);
    const role = kind === 'deploy' ? ROLES.DOFS_DEPLOY_ROLE_ARN! : ROLES.DOFS_PREVIEW_ROLE_ARN!;
    expect(outcome).toMatchObject({ role, tests });
    expect(ws.files.get('/tmp/dofs-aws/config')).toBe(awsConfigText(role, '/mnt/pulumi/pulumi.oidc', `dofs-dev-${operation}`));
    expect(ws.commands).toEqual(tests === 'ran' ? ['npm test'] : []);
  });

  it('gives no role to an operation it does not know (drift remediation), nor runs beside other AWS credentials', async () => {
    await expect(preRun(ROLES, workspace(tokenFor('prod', 'remediate-drift')).deps)).rejects.toThrow(
      "no role for the operation 'remediate-drift': allowed are preview, refresh, detect-drift, update, destroy",
    );
    const ws = workspace(tokenFor('dev', 'update'));
    await expect(preRun({ ...ROLES, AWS_ACCESS_KEY_ID: 'AKIA…', AWS_PROFILE: 'admin' }, ws.deps)).rejects.toThrow(
      "AWS_ACCESS_KEY_ID, AWS_PROFILE set: the deployment must get no credentials but its role's",
    );
    expect(ws.files.has('/tmp/dofs-aws/config')).toBe(false);
  });

  it('stops a preview or an update on red tests', async () => {
    const ws = workspace(tokenFor('dev', 'update'), { testsExit: 1 });
    await expect(preRun(ROLES, ws.deps)).rejects.toThrow('npm test failed (exit 1): no update of dev on red tests');
  });

  it('lets a promoted stack deploy only a commit that succeeded on the stack before it, however the deployment started', async () => {
    const env = { ...ROLES, DOFS_PROMOTED_FROM: 'staging' };
    const ok = workspace(tokenFor('prod', 'update'), { head: GOOD, succeeded: [GOOD] });
    await expect(preRun(env, ok.deps)).resolves.toMatchObject({ gate: GOOD, tests: 'ran' });
    expect(ok.requests[0]).toMatch(/\/api\/stacks\/acme\/dofs\/staging\/updates\?/);
    // The console's Redeploy of main's HEAD, which never went through staging: refused before tests or Pulumi run.
    const head = workspace(tokenFor('prod', 'update'), { head: OTHER, succeeded: [GOOD] });
    await expect(preRun(env, head.deps)).rejects.toThrow(OTHER);
    expect(head.commands).toEqual([]);
    // A refresh or drift check of prod is not a deployment of a commit: no gate.
    const drift = workspace(tokenFor('prod', 'detect-drift'), { head: OTHER, succeeded: [] });
    await expect(preRun(env, drift.deps)).resolves.toMatchObject({ gate: undefined, tests: 'skipped' });
  });

  it("gives a review stack its TTL on update, and never the review template's neighbours", async () => {
    const ws = workspace(tokenFor('pr-pulumi-acme-dofs-42', 'update'));
    await preRun({ ...ROLES, DOFS_REVIEW_TTL_HOURS: '48' }, ws.deps);
    expect(ws.requests.some((u) => u.endsWith('/api/stacks/acme/dofs/pr-pulumi-acme-dofs-42/deployments/ttl/schedules'))).toBe(true);
  });

  it('uses the token from PULUMI_OIDC_TOKEN when the file is missing, and says what is wrong when there is none or no role', async () => {
    const ws = workspace('');
    ws.files.delete('/mnt/pulumi/pulumi.oidc');
    await preRun({ ...ROLES, PULUMI_OIDC_TOKEN: tokenFor('dev', 'preview') }, ws.deps);
    expect(ws.files.get('/home/deploy/.dofs/pulumi.oidc')).toBe(tokenFor('dev', 'preview'));
    expect(ws.files.get('/tmp/dofs-aws/config')).toContain('web_identity_token_file = /home/deploy/.dofs/pulumi.oidc');
    await expect(preRun(ROLES, workspace('').deps)).rejects.toThrow(/no deployment OIDC token/);
    await expect(preRun({}, workspace(tokenFor('dev', 'update')).deps)).rejects.toThrow(
      "DOFS_DEPLOY_ROLE_ARN is not set: the deployment settings of dev name no role for 'update'",
    );
  });
});
