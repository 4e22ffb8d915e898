// `npm run test:stress -- --runs 3 --hogs 2`: runs `npm test` N times in a row beside K CPU hogs (each a
// `node -e 'for(;;){}'`), as on a shared, noisy machine. Prints each run's time and result and exits 1 if
// any run failed. Each run's output is kept in .dofs/stress/run-<n>.log.
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

const USAGE = 'usage: npm run test:stress -- [--runs N (1-100, default 3)] [--hogs K (0-64, default 2)]';

const parseFlags = (argv) => {
  const flags = { runs: 3, hogs: 2 };
  const limits = { runs: [1, 100], hogs: [0, 64] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [name, inline] = arg.startsWith('--') ? arg.slice(2).split('=', 2) : [undefined, undefined];
    if (name === 'help') return { help: true };
    if (!name || !(name in limits)) throw new Error(`unknown argument '${arg}': expected --runs or --hogs`);
    const text = inline ?? argv[++i];
    const [min, max] = limits[name];
    if (text === undefined || !/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
      throw new Error(`--${name} '${text ?? ''}' is not allowed: expected a whole number from ${min} to ${max}`);
    }
    flags[name] = Number(text);
  }
  return flags;
};

let flags;
try {
  flags = parseFlags(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`test:stress: ${e.message}\n${USAGE}\n`);
  process.exit(2);
}
if (flags.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const root = path.join(__dirname, '..');
const logDir = path.join(root, '.dofs', 'stress');
fs.mkdirSync(logDir, { recursive: true });

const hogs = Array.from({ length: flags.hogs }, () => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
let current;
// npm test runs in a process group of its own (POSIX), so that stopping it also stops the jest workers
// and local clouds it started; on Windows only npm itself is signalled.
const stopAll = () => {
  for (const h of hogs) h.kill('SIGKILL');
  if (current && current.exitCode === null) {
    try {
      if (process.platform === 'win32') current.kill('SIGTERM');
      else process.kill(-current.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
};
process.on('exit', stopAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopAll();
    process.exit(130);
  });
}

const npm = process.env.npm_execpath;
const runOnce = (n) =>
  new Promise((resolve) => {
    const log = fs.createWriteStream(path.join(logDir, `run-${n}.log`));
    const started = Date.now();
    const options = { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' };
    current = npm ? spawn(process.execPath, [npm, 'test'], options) : spawn('npm', ['test'], { ...options, shell: true });
    current.stdout.pipe(log, { end: false });
    current.stderr.pipe(log, { end: false });
    let summary = '';
    current.stderr.on('data', (d) => {
      const m = /Tests:\s+.*total/.exec(String(d));
      if (m) summary = summary ? `${summary}; ${m[0]}` : m[0];
    });
    current.once('exit', (code) => {
      log.end();
      resolve({ code, seconds: (Date.now() - started) / 1000, summary });
    });
  });

(async () => {
  process.stdout.write(
    `test:stress: ${flags.runs} run(s) of npm test beside ${flags.hogs} busy loop(s); logs in ${path.relative(root, logDir)}/\n`,
  );
  const results = [];
  for (let n = 1; n <= flags.runs; n++) {
    const r = await runOnce(n);
    results.push(r);
    const verdict = r.code === 0 ? 'passed' : `FAILED (exit ${r.code}; see .dofs/stress/run-${n}.log)`;
    process.stdout.write(`run ${n}: ${verdict} in ${r.seconds.toFixed(0)} s${r.summary ? ` (${r.summary.replace(/\s+/g, ' ')})` : ''}\n`);
  }
  const failed = results.filter((r) => r.code !== 0).length;
  process.stdout.write(`test:stress: ${results.length - failed} of ${results.length} passed beside ${flags.hogs} busy loop(s)\n`);
  process.exit(failed === 0 ? 0 : 1);
})();
