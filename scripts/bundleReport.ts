/**
 * `npm run bundle-report`: each function's zipped deployment package, computed from the archive the
 * program produces, against the 1.5 MB budget; and, for comparison, what a default CallbackFunction of
 * the same handler would ship if the runtime packages and the AWS SDK were ordinary dependencies.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as pulumi from '@pulumi/pulumi';
import { ROOT, synth } from '../local/mockProgram';
import { writeBundle, zippedSize } from '../local/bundles';

const BUDGET = 1.5 * 1024 * 1024;
const NAIVE_DEPENDENCIES = [
  'io-ts',
  'fp-ts',
  '@aws-sdk/client-dynamodb',
  '@aws-sdk/lib-dynamodb',
  '@aws-sdk/client-sfn',
  '@aws-sdk/client-sqs',
];

const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

const main = async () => {
  const s = await synth(process.env.STACK ?? 'dev');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dofs-bundle-report-'));
  const fns = {
    'api-handler': s.dofs.components.api.apiHandler.function,
    validator: s.dofs.components.orchestrator.validator.function,
    'store-order': s.dofs.components.orchestrator.storeOrder.function,
    fulfillment: s.dofs.components.queue.fulfillment.function,
    'dlq-handler': s.dofs.components.queue.dlqHandler.function,
  };
  // A default CallbackFunction ships every package in `dependencies` and what they depend on.
  process.chdir(ROOT);
  const naivePaths = await pulumi.runtime.computeCodePaths({ extraIncludePackages: NAIVE_DEPENDENCIES });
  const naiveDir = path.join(work, 'naive-node-modules');
  for (const p of naivePaths.keys()) {
    const src = path.join(ROOT, p);
    fs.cpSync(src, path.join(naiveDir, p), { recursive: true, dereference: true });
  }
  const naiveModules = zippedSize(naiveDir);

  let over = 0;
  console.log('function      files  zipped      budget 1.5 MB   default CallbackFunction (all deps)');
  for (const [name, fn] of Object.entries(fns)) {
    const dir = path.join(work, name);
    await writeBundle(fn, dir);
    const size = zippedSize(dir);
    const index = fs.statSync(path.join(dir, '__index.js')).size;
    if (size > BUDGET) over++;
    console.log(
      `${name.padEnd(13)} ${String(countFiles(dir)).padStart(5)}  ${kb(size).padStart(10)}  ${size <= BUDGET ? 'ok  ' : 'OVER'} ${(
        (100 * size) /
        BUDGET
      )
        .toFixed(0)
        .padStart(3)}%       ~${kb(naiveModules + index)}`,
    );
  }
  fs.rmSync(work, { recursive: true, force: true });
  if (over > 0) {
    console.error(`${over} bundle(s) over the 1.5 MB budget`);
    process.exit(1);
  }
};

const countFiles = (dir: string): number =>
  fs.readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? countFiles(path.join(dir, e.name)) : 1), 0);

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
