/**
 * The Pulumi program under mocks in a process of its own (local/synthProcess.ts, as the local cloud runs
 * it): for tests that need several stacks in one file (mocks are process-wide) or a program run that ends
 * the way a real `pulumi up` ends, through an unhandled rejection.
 */
import { fork } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { RuleResource } from '../../policy/rules';
import { ROOT, type Recorded, stackConfig } from '../../local/mockProgram';

export interface ProgramRun {
  readonly result?: { resources: Recorded[] };
  readonly error?: { message: string };
  /** The process's exit code. */
  readonly code: number | null;
}

/**
 * Runs the program for `stack` with `raw` config; `accountRole` is the account's API Gateway CloudWatch role ('' for
 * none); `names` 'aws' names resources as `pulumi up` does (dofs-dev-orders), 'local' as the local cloud (dofs-orders).
 */
export const runProgram = (
  stack: string,
  raw: Record<string, string> = stackConfig(stack),
  accountRole?: string,
  names: 'local' | 'aws' = 'local',
) =>
  new Promise<ProgramRun>((resolve) => {
    const bundlesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dofs-program-'));
    const child = fork(path.join(ROOT, 'local', 'synthProcess.ts'), [JSON.stringify({ stack, raw, bundlesDir, accountRole, names })], {
      cwd: ROOT,
      execArgv: ['-r', 'ts-node/register/transpile-only'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let message: Omit<ProgramRun, 'code'> = {};
    child.on('message', (m) => (message = m as typeof message));
    child.on('exit', (code) => {
      fs.rmSync(bundlesDir, { recursive: true, force: true });
      resolve({ ...message, code });
    });
  });

/** A stack's resources as a policy sees them (named as in the local cloud, or as on AWS). */
export const resourcesOf = async (
  stack: string,
  names: 'local' | 'aws' = 'local',
  raw: Record<string, string> = stackConfig(stack),
): Promise<RuleResource[]> => {
  const run = await runProgram(stack, raw, undefined, names);
  if (!run.result) throw new Error(`the program run for ${stack} failed (exit ${run.code}): ${run.error?.message ?? 'no report'}`);
  return run.result.resources.map((r) => ({
    type: r.type,
    name: r.name,
    urn: `urn:pulumi:${stack}::dofs::${r.type}::${r.name}`,
    props: r.inputs,
  }));
};
