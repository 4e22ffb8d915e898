// The root package's postinstall: installs the local cloud's emulators (local/package.json) with the npm
// that runs this script, under the Node 22 that the root install put on npm scripts' PATH. They need
// Node 22 to install without an EBADENGINE warning (see docs/architecture.md, "Node 22").
// npm passes its own flags to scripts as npm_config_* variables, and a nested npm reads them: an
// install that writes only the lockfile, or only pretends, must not empty local/node_modules.
const { spawnSync } = require('child_process');
const path = require('path');

if (process.env.npm_config_package_lock_only === 'true' || process.env.npm_config_dry_run === 'true') process.exit(0);
const npm = process.env.npm_execpath;
const args = ['ci', '--prefix', path.join(__dirname, '..', 'local'), '--no-audit', '--no-fund'];
const r = npm
  ? spawnSync(process.execPath, [npm, ...args], { stdio: 'inherit' })
  : spawnSync('npm', args, { stdio: 'inherit', shell: true });
process.exit(r.status ?? 1);
