/**
 * Runs the Pulumi program under the mock monitor in a child process, writes every function's code
 * archive to disk, and sends back a plain description of the resources. The local cloud's own process
 * thus never loads @pulumi/* (hundreds of MB of heap); this process exits when it is done.
 * (Not a worker thread: Pulumi's function serialization needs `trace_events`, which workers lack.)
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { writeArchive, type CodeArchive } from './bundles';
import { type RandomBytesSource, type Recorded, synth } from './mockProgram';

/**
 * Random bytes kept in `dir`, one file per resource, made on first use: as `pulumi up` keeps a
 * RandomBytes in the stack's state, so that a `--persist` restart keeps the order-id key and a replayed
 * Idempotency-Key still finds its order. Without `dir` (in-memory data), fresh bytes every run.
 */
const keptRandomBytes =
  (dir: string | undefined): RandomBytesSource =>
  (name, length) => {
    if (dir === undefined) return randomBytes(length);
    const file = path.join(dir, `${name}.base64`);
    if (!fs.existsSync(file)) {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(file, randomBytes(length).toString('base64'), { mode: 0o600, flag: 'wx' });
    }
    return Buffer.from(fs.readFileSync(file, 'utf8'), 'base64');
  };

const main = async () => {
  const { stack, raw, bundlesDir, randomDir, accountRole, names } = JSON.parse(process.argv[2]) as {
    stack: string;
    raw: Record<string, string>;
    bundlesDir: string;
    randomDir?: string;
    /** The API Gateway account's CloudWatch role as the program reads it (tests: '' for a fresh account). */
    accountRole?: string;
    /** How resources are named: as on AWS (index.ts) or as in the local cloud (default). */
    names?: 'local' | 'aws';
  };
  const s = await synth(stack, raw, keptRandomBytes(randomDir), accountRole, names);
  const resources = [];
  for (const r of s.resources) {
    const inputs = { ...r.inputs };
    if (r.type === 'aws:lambda/function:Function') {
      const dir = path.join(bundlesDir, r.name);
      await writeArchive(inputs.code as CodeArchive, dir, { link: true });
      inputs.code = { bundleDir: dir };
    }
    resources.push({ ...r, inputs: JSON.parse(JSON.stringify(inputs)) as Recorded['inputs'] });
  }
  return { resources, config: s.config, outputs: s.outputs };
};

main().then(
  (result) => process.send!({ result }, () => process.exit(0)),
  (e: unknown) => {
    const err = e instanceof Error ? e : new Error(String(e));
    process.send!({ error: { name: err.name, message: err.message, stack: err.stack } }, () => process.exit(1));
  },
);
