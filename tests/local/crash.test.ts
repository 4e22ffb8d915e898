/**
 * A crash with orders in flight: `kill -9` of the local cloud while 200 orders arrive, then a restart with
 * `--persist`. Nothing ran those orders' executions or messages any more; the reconciler's start-up pass
 * re-drives every order left ACCEPTED or PENDING (runtime/reconciler.ts), so each accepted order ends terminal.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { validOrder } from '../runtime/tier1Corpus';
import { http, postOrder, startCloud, waitUntil } from '../support/localCloud';

let dataRoot: string;
beforeAll(() => {
  dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'dofs-crash-'));
  process.env.DOFS_DATA_DIR = dataRoot;
});
afterAll(() => {
  delete process.env.DOFS_DATA_DIR;
  fs.rmSync(dataRoot, { recursive: true, force: true });
});

const TERMINAL = ['REJECTED', 'FULFILLED', 'FAILED'];

it('after kill -9 with orders in flight, a restart with --persist finishes every accepted order', async () => {
  const first = await startCloud(['--persist']);
  const accepted: string[] = [];
  const posts = Array.from({ length: 200 }, (_, i) =>
    postOrder(first.url, { ...validOrder, customerId: `CUST-${String(1000 + i)}` })
      .then((r) => {
        if (r.status === 202) accepted.push(r.body.orderId as string);
      })
      .catch(() => undefined),
  );
  // Kill once half are accepted: the rest of the 200 are refused or cut off, and those accepted are mid-flight.
  await waitUntil('100 orders accepted', () => accepted.length >= 100);
  first.child.kill('SIGKILL');
  await Promise.allSettled(posts);
  const atKill = [...accepted];

  const second = await startCloud(['--persist']);
  const restarted = Date.now();
  try {
    const statusOf = async (id: string) => ((await http(`${second.url}/orders/${id}`)).body as { status?: string }).status;
    const inFlight = (await Promise.all(atKill.map(statusOf))).filter((s) => !TERMINAL.includes(s ?? '')).length;
    let pending = atKill;
    await waitUntil(
      () => `every accepted order terminal (${pending.length} of ${atKill.length} not yet)`,
      async () => {
        const statuses = await Promise.all(pending.map(statusOf));
        pending = pending.filter((_, i) => !TERMINAL.includes(statuses[i] ?? ''));
        return pending.length === 0;
      },
      500,
    );
    const final = await Promise.all(atKill.map(statusOf));
    const counts = Object.fromEntries(TERMINAL.map((t) => [t, final.filter((s) => s === t).length]));
    const startup = second.output.find((l) => l.includes('reconciler:')) ?? '(no start-up line)';
    console.log(
      `crash: ${atKill.length} accepted at the kill, ${inFlight} in flight after the restart, all terminal ` +
        `${((Date.now() - restarted) / 1000).toFixed(1)} s after it: ${JSON.stringify(counts)}; ${startup.trim()}`,
    );
    expect(startup).toMatch(/reconciler: found \d+ orders in flight from the last run; re-drove \d+/);
    expect(final.every((s) => TERMINAL.includes(s ?? ''))).toBe(true);
    expect(inFlight).toBeGreaterThan(0); // the kill did leave orders in flight: the test tested something
  } finally {
    await second.stop();
  }
});
