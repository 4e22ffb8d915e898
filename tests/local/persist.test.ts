/** `--persist`: DynamoDB data outlives a restart, and only with the flag; Ctrl-C stops cleanly (over HTTP only). */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { validOrder } from '../runtime/tier1Corpus';
import { http, postOrder, startCloud, waitTerminal } from '../support/localCloud';

let dataRoot: string;
beforeAll(() => {
  // A directory of the test's own, so that a developer's persisted .dofs/dev data is not touched.
  dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'dofs-persist-'));
  process.env.DOFS_DATA_DIR = dataRoot;
});
afterAll(() => {
  delete process.env.DOFS_DATA_DIR;
  fs.rmSync(dataRoot, { recursive: true, force: true });
});

it('keeps orders across a restart with --persist, under DOFS_DATA_DIR, and starts empty without it; Ctrl-C exits 0', async () => {
  const first = await startCloud(['--persist']);
  let orderId: string;
  let status: string;
  try {
    const res = await postOrder(first.url, validOrder, { 'Idempotency-Key': 'persist-1' });
    expect(res.status).toBe(202);
    orderId = res.body.orderId;
    status = (await waitTerminal(first.url, orderId)).status;
  } finally {
    // Ctrl-C: exit code 0, and the run's function bundles are removed.
    expect(await first.stop()).toBe(0);
  }
  expect(fs.existsSync(path.join(__dirname, '..', '..', '.dofs', 'run', `dev-${first.child.pid}`))).toBe(false);
  expect(fs.existsSync(path.join(dataRoot, 'dev', 'dynamodb'))).toBe(true);

  const second = await startCloud(['--persist']);
  try {
    const got = await http(`${second.url}/orders/${orderId}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ orderId, status });
    // The stack's order-id key is kept too, as `pulumi up` keeps it in the state: a replay finds its order.
    const replay = await postOrder(second.url, validOrder, { 'Idempotency-Key': 'persist-1' });
    expect(replay.body).toEqual({ orderId, status: 'ACCEPTED' });
  } finally {
    await second.stop();
  }

  const ephemeral = await startCloud([]);
  try {
    expect((await http(`${ephemeral.url}/orders/${orderId}`)).status).toBe(404);
    // A new stack, a new key: the same Idempotency-Key makes another order id.
    const fresh = await postOrder(ephemeral.url, validOrder, { 'Idempotency-Key': 'persist-1' });
    expect(fresh.status).toBe(202);
    expect(fresh.body.orderId).not.toBe(orderId);
  } finally {
    await ephemeral.stop();
  }
});
