/**
 * What a newcomer's `npm ci` checks. npm runs on the system Node (20 here and in CI) and checks every
 * installed package's `engines` against that Node (`process.version`; npm lib/npm.js), while the npm
 * scripts run on the Node 22 that the install links into node_modules/.bin. So the root tree must install
 * cleanly on the oldest Node `devEngines` admits, and what needs Node 22 to install lives in
 * local/package.json, installed by the postinstall under Node 22 (docs/architecture.md, "Node 22").
 */
import * as fs from 'fs';
import * as path from 'path';
import * as semver from 'semver';

const ROOT = path.join(__dirname, '..', '..');
const read = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8'));

describe('npm ci on the system Node', () => {
  const pkg = read('package.json');
  const oldest = semver.minVersion(pkg.devEngines.runtime.version)!.version;

  it('declares the Node that runs npm in devEngines, and the Node the code runs on in engines and .nvmrc', () => {
    expect(pkg.devEngines.runtime).toMatchObject({ name: 'node', onFail: 'error' });
    expect(semver.satisfies(oldest, pkg.engines.node)).toBe(false); // they differ: that is the point
    const nvmrc = fs.readFileSync(path.join(ROOT, '.nvmrc'), 'utf8').trim();
    expect(semver.satisfies(nvmrc, pkg.engines.node)).toBe(true);
    for (const dep of Object.keys(pkg.optionalDependencies)) expect([dep, pkg.optionalDependencies[dep]]).toEqual([dep, nvmrc]);
  });

  it(`installs no root package whose engines exclude the oldest Node devEngines admits (npm would warn EBADENGINE)`, () => {
    const lock = read('package-lock.json');
    const refused = Object.entries(lock.packages as Record<string, { optional?: boolean; engines?: { node?: string } }>)
      .filter(([where, p]) => where !== '' && !p.optional && p.engines?.node && !semver.satisfies(oldest, p.engines.node))
      .map(([where, p]) => `${where} needs node ${p.engines!.node}`);
    expect(refused).toEqual([]);
  });

  it('installs the emulators that need Node 22 from local/, under the Node 22 the root links', () => {
    const local = read('local/package.json');
    expect(Object.keys(local.dependencies).sort()).toEqual(['aws-local-stepfunctions', 'fauxqs']);
    expect(pkg.scripts.postinstall).toBe('node scripts/installLocal.js');
    const rootLock = read('package-lock.json');
    expect(Object.keys(rootLock.packages).filter((k) => /node_modules\/(aws-local-stepfunctions|fauxqs)$/.test(k))).toEqual([]);
  });
});
