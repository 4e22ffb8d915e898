import { fork } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { RuleResource } from '../../policy/rules';
import { ROOT, type Recorded, stackConfig } from '../infra/harness';

/** A stack's resources as a policy sees them: the program run in a process of its own (mocks are process-wide). */
export const resourcesOf = (stack: string) =>
  new Promise<RuleResource[]>((resolve, reject) => {
    const bundlesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dofs-policy-'));
    const child = fork(path.join(ROOT, 'local', 'synthProcess.ts'), [JSON.stringify({ stack, raw: stackConfig(stack), bundlesDir })], {
      cwd: ROOT,
      execArgv: ['-r', 'ts-node/register/transpile-only'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    child.once('message', (m: { result?: { resources: Recorded[] }; error?: { message: string } }) => {
      fs.rmSync(bundlesDir, { recursive: true, force: true });
      if (m.error) return reject(new Error(m.error.message));
      resolve(
        m.result!.resources.map((r) => ({
          type: r.type,
          name: r.name,
          urn: `urn:pulumi:${stack}::dofs::${r.type}::${r.name}`,
          props: r.inputs,
        })),
      );
    });
    child.once('exit', (code) => reject(new Error(`the program run for ${stack} exited with ${code} before it reported`)));
  });
