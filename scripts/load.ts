/**
 * `npm run load -- --orders 2000 --concurrency 16`: starts the local cloud in its own process, drives its
 * API, and prints accepted orders/s, POST latency, end-to-end orders/s, the terminal mix, peak RSS and
 * loss. A benchmark, not a test: it prints figures and checks them against the targets.
 */
import '../local/polyfills';
import * as fs from 'fs';
import { parseArgs } from 'util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { postOrder, startCloud } from '../tests/support/localCloud';

const TARGETS = { acceptedPerSecond: 100, p99Ms: 100, endToEndPerSecond: 50, peakRssMb: 600 };

const fail = (message: string): never => {
  process.stderr.write(`load: ${message}\n`);
  process.exit(1);
};

const flags = (() => {
  try {
    return parseArgs({
      args: process.argv.slice(2),
      options: { orders: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '16' }, stack: { type: 'string', default: 'dev' } },
      strict: true,
    }).values;
  } catch (e) {
    return fail(`${(e as Error).message}; flags: --orders N --concurrency N --stack NAME`);
  }
})();
const whole = (name: string, text: string, min: number, max: number) => {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) fail(`--${name} '${text}' is not allowed: expected a whole number from ${min} to ${max}`);
  return n;
};
const ORDERS = whole('orders', flags.orders!, 1, 100000);
const CONCURRENCY = whole('concurrency', flags.concurrency!, 1, 256);

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const rssOf = (pid: number, field: 'VmHWM' | 'VmRSS') => {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};

const main = async () => {
  const cloud = await startCloud(['--stack', flags.stack!]);
  const pid = cloud.child.pid!;
  console.log(`local cloud ready on ${cloud.url} (pid ${pid}); posting ${ORDERS} orders, ${CONCURRENCY} at a time`);
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: cloud.dynamoEndpoint, region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
  );
  const latencies: number[] = [];
  const accepted: string[] = [];
  let errors = 0;
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < ORDERS) {
        const i = next++;
        const body =
          i % 10 === 0
            ? { customerId: `bad-${i}`, items: [{ productId: 'A', quantity: 1 }] }
            : { customerId: `CUST-${100000 + i}`, items: [{ productId: `SKU-${i % 97}`, quantity: 1 + (i % 4), unitPrice: 9.99 }] };
        const t0 = performance.now();
        const res = await postOrder(cloud.url, body);
        latencies.push(performance.now() - t0);
        if (res.status === 202) accepted.push(res.body.orderId);
        else errors++;
      }
    }),
  );
  const postSeconds = (performance.now() - start) / 1000;

  const terminal = new Map<string, number>();
  let lastCount = -1;
  let stableSince = performance.now();
  for (;;) {
    const items: Record<string, any>[] = [];
    let key: Record<string, unknown> | undefined;
    do {
      const page = await db.send(new ScanCommand({ TableName: 'dofs-orders', ExclusiveStartKey: key, ProjectionExpression: 'orderId, #s, failureReason', ExpressionAttributeNames: { '#s': 'status' } }));
      items.push(...(page.Items ?? []));
      key = page.LastEvaluatedKey;
    } while (key);
    const done = items.filter((o) => ['REJECTED', 'FULFILLED', 'FAILED'].includes(o.status));
    terminal.clear();
    for (const o of done) {
      const k = o.status === 'FAILED' ? `FAILED/${o.failureReason}` : o.status;
      terminal.set(k, (terminal.get(k) ?? 0) + 1);
    }
    if (done.length >= accepted.length) break;
    if (done.length !== lastCount) {
      lastCount = done.length;
      stableSince = performance.now();
    } else if (performance.now() - stableSince > 30000) {
      break; // nothing moved for 30 s: report the loss
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const endSeconds = (performance.now() - start) / 1000;
  const peakRss = rssOf(pid, 'VmHWM');
  await cloud.stop();

  const sorted = [...latencies].sort((a, b) => a - b);
  const done = [...terminal.values()].reduce((a, b) => a + b, 0);
  const figures = {
    acceptedPerSecond: accepted.length / postSeconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    endToEndPerSecond: done / endSeconds,
    peakRssMb: peakRss,
    lost: accepted.length - done,
  };
  const line = (label: string, value: string, ok?: boolean) => console.log(`${label.padEnd(28)} ${value.padStart(12)}${ok === undefined ? '' : ok ? '   ok' : '   MISSED'}`);
  console.log('');
  line('orders posted / accepted', `${ORDERS} / ${accepted.length}`, errors === 0);
  line('accepted orders/s', figures.acceptedPerSecond.toFixed(1), figures.acceptedPerSecond >= TARGETS.acceptedPerSecond);
  line('POST latency p50 (ms)', figures.p50Ms.toFixed(1));
  line('POST latency p99 (ms)', figures.p99Ms.toFixed(1), figures.p99Ms <= TARGETS.p99Ms);
  line('end-to-end orders/s', figures.endToEndPerSecond.toFixed(1), figures.endToEndPerSecond >= TARGETS.endToEndPerSecond);
  line('all terminal after (s)', endSeconds.toFixed(1));
  line('peak RSS of the cloud (MB)', figures.peakRssMb.toFixed(0), figures.peakRssMb <= TARGETS.peakRssMb);
  line('lost (accepted, not terminal)', String(figures.lost), figures.lost === 0);
  console.log(`terminal mix: ${[...terminal].sort().map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const missed =
    errors > 0 ||
    figures.lost > 0 ||
    figures.acceptedPerSecond < TARGETS.acceptedPerSecond ||
    figures.p99Ms > TARGETS.p99Ms ||
    figures.endToEndPerSecond < TARGETS.endToEndPerSecond ||
    figures.peakRssMb > TARGETS.peakRssMb;
  process.exit(missed ? 2 : 0);
};

main().catch((e) => fail((e as Error).stack ?? String(e)));
