/**
 * Runs the Pulumi program under the mock monitor in a child process, writes every function's code
 * archive to disk, and sends back a plain description of the resources. The local cloud's own process
 * thus never loads @pulumi/* (hundreds of MB of heap); this process exits when it is done.
 * (Not a worker thread: Pulumi's function serialization needs `trace_events`, which workers lack.)
 */
import * as path from 'path';
import { writeArchive, type CodeArchive } from './bundles';
import { type Recorded, synth } from './mockProgram';

const main = async () => {
  const { stack, raw, bundlesDir } = JSON.parse(process.argv[2]) as { stack: string; raw: Record<string, string>; bundlesDir: string };
  const s = await synth(stack, raw);
  const resources = [];
  for (const r of s.resources) {
    const inputs = { ...r.inputs };
    if (r.type === 'aws:lambda/function:Function') {
      const dir = path.join(bundlesDir, r.name);
      await writeArchive(inputs.code as CodeArchive, dir, { link: true });
      inputs.code = { bundleDir: dir };
    }
    resources.push({ type: r.type, name: r.name, inputs: JSON.parse(JSON.stringify(inputs)) as Recorded['inputs'] });
  }
  return { resources, config: s.config };
};

main().then(
  (result) => process.send!({ result }, () => process.exit(0)),
  (e: unknown) => {
    const err = e instanceof Error ? e : new Error(String(e));
    process.send!({ error: { name: err.name, message: err.message, stack: err.stack } }, () => process.exit(1));
  },
);
