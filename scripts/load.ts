/**
 * `npm run load -- --orders 2000 --concurrency 16`: starts the local cloud in its own process, drives its
 * API, and prints accepted orders/s, POST latency, end-to-end orders/s, the terminal mix, peak RSS and
 * loss. A benchmark, not a test: it prints figures and checks them against the targets.
 *
 * `--warmup N` first posts N orders at the same concurrency and leaves them out of the POST figures, so
 * that these describe the warm system; by default (0) they include the fresh start's JIT warm-up.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { startCloud } from '../tests/support/localCloud';
import { failWith, parseFlags } from './cli';

const TARGETS = { acceptedPerSecond: 100, p99Ms: 100, endToEndPerSecond: 50, peakRssMb: 600 };

const fail = failWith('load');
const flags = parseFlags(
  'load',
  {
    orders: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '16' },
    warmup: { type: 'string', default: '0' },
    stack: { type: 'string', default: 'dev' },
  },
  '--orders N --concurrency N --warmup N --stack NAME',
);
const whole = (name: string, text: string, min: number, max: number) => {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) fail(`--${name} '${text}' is not allowed: expected a whole number from ${min} to ${max}`);
  return n;
};
const ORDERS = whole('orders', flags.orders, 1, 100000);
const CONCURRENCY = whole('concurrency', flags.concurrency, 1, 256);
const WARMUP = whole('warmup', flags.warmup, 0, 100000);

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
/**
 * POSTs JSON over a keep-alive connection pool and resolves status and body. Plain node:http rather than
 * fetch: the client shares the two cores with the system it measures, and this costs it about a third of
 * fetch's CPU per request.
 */
const makeClient = (base: string, sockets: number) => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  return (path: string, body: unknown) =>
    new Promise<{ status: number; body: { orderId?: string } }>((resolve, reject) => {
      const data = JSON.stringify(body);
      const req = http.request(
        `${base}${path}`,
        { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            try {
              resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as { orderId?: string } });
            } catch {
              resolve({ status: res.statusCode ?? 0, body: {} });
            }
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(data);
    });
};

/**
 * This machine's speed now: sha-256 rounds per millisecond on one core, over 300 ms. Shared machines vary
 * (twofold here within minutes), so the figures are printed with the speed they were measured at.
 */
const hostSpeed = (): number => {
  const start = performance.now();
  let rounds = 0;
  let x = 'dofs';
  while (performance.now() - start < 300) {
    for (let i = 0; i < 100; i++) x = createHash('sha256').update(x).digest('hex');
    rounds += 100;
  }
  return rounds / (performance.now() - start);
};

const rssOf = (pid: number, field: 'VmHWM' | 'VmRSS') => {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};

const main = async () => {
  const speedBefore = hostSpeed();
  const cloud = await startCloud(['--stack', flags.stack]);
  const post = makeClient(cloud.url, CONCURRENCY);
  const pid = cloud.child.pid!;
  console.log(
    `local cloud ready on ${cloud.url} (pid ${pid}); posting ${WARMUP > 0 ? `${WARMUP} warm-up orders, then ` : ''}${ORDERS} orders, ${CONCURRENCY} at a time`,
  );
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: cloud.dynamoEndpoint, region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
  );
  const accepted: string[] = [];
  let errors = 0;
  /** Posts `count` orders numbered from `first`, CONCURRENCY at a time; latencies also by second of the run. */
  const drive = async (first: number, count: number) => {
    const latencies: number[] = [];
    const bySecond: number[][] = [];
    let next = first;
    const began = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < first + count) {
          const i = next++;
          const body =
            i % 10 === 0
              ? { customerId: `bad-${i}`, items: [{ productId: 'A', quantity: 1 }] }
              : { customerId: `CUST-${100000 + i}`, items: [{ productId: `SKU-${i % 97}`, quantity: 1 + (i % 4), unitPrice: 9.99 }] };
          const t0 = performance.now();
          const res = await post('/orders', body);
          const latency = performance.now() - t0;
          latencies.push(latency);
          (bySecond[Math.floor((t0 - began) / 1000)] ??= []).push(latency);
          if (res.status === 202 && res.body.orderId) accepted.push(res.body.orderId);
          else errors++;
        }
      }),
    );
    return { latencies, bySecond, seconds: (performance.now() - began) / 1000 };
  };
  const start = performance.now();
  if (WARMUP > 0) {
    const warm = await drive(0, WARMUP);
    const sortedWarm = [...warm.latencies].sort((a, b) => a - b);
    console.log(
      `warm-up: ${WARMUP} orders in ${warm.seconds.toFixed(1)} s, p99 ${percentile(sortedWarm, 99).toFixed(1)} ms (left out of the POST figures below)`,
    );
  }
  const acceptedBefore = accepted.length;
  /** Latencies by the second of the run their request started in: the JIT warm-up shows as a ramp. */
  const { latencies, bySecond, seconds: postSeconds } = await drive(WARMUP, ORDERS);

  const terminal = new Map<string, number>();
  let lastCount = -1;
  let stableSince = performance.now();
  for (;;) {
    const items: { orderId: string; status: string; failureReason?: string }[] = [];
    let key: Record<string, unknown> | undefined;
    do {
      const page = await db.send(
        new ScanCommand({
          TableName: 'dofs-orders',
          ExclusiveStartKey: key,
          ProjectionExpression: 'orderId, #s, failureReason',
          ExpressionAttributeNames: { '#s': 'status' },
        }),
      );
      items.push(...((page.Items ?? []) as typeof items));
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
  const speedAfter = hostSpeed();

  const sorted = [...latencies].sort((a, b) => a - b);
  const done = [...terminal.values()].reduce((a, b) => a + b, 0);
  const figures = {
    acceptedPerSecond: (accepted.length - acceptedBefore) / postSeconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    endToEndPerSecond: done / endSeconds,
    peakRssMb: peakRss,
    lost: accepted.length - done,
  };
  const line = (label: string, value: string, ok?: boolean) =>
    console.log(`${label.padEnd(28)} ${value.padStart(12)}${ok === undefined ? '' : ok ? '   ok' : '   MISSED'}`);
  console.log('');
  line('orders posted / accepted', `${WARMUP + ORDERS} / ${accepted.length}`, errors === 0);
  line('accepted orders/s', figures.acceptedPerSecond.toFixed(1), figures.acceptedPerSecond >= TARGETS.acceptedPerSecond);
  line('POST latency p50 (ms)', figures.p50Ms.toFixed(1));
  line('POST latency p99 (ms)', figures.p99Ms.toFixed(1), figures.p99Ms <= TARGETS.p99Ms);
  line('end-to-end orders/s', figures.endToEndPerSecond.toFixed(1), figures.endToEndPerSecond >= TARGETS.endToEndPerSecond);
  line('all terminal after (s)', endSeconds.toFixed(1));
  line('peak RSS of the cloud (MB)', figures.peakRssMb.toFixed(0), figures.peakRssMb <= TARGETS.peakRssMb);
  line('lost (accepted, not terminal)', String(figures.lost), figures.lost === 0);
  const seconds = bySecond.map((l, s) => {
    const sortedSecond = [...l].sort((a, b) => a - b);
    return `${s}s ${l.length}/s p99 ${percentile(sortedSecond, 99).toFixed(0)}`;
  });
  console.log(`POSTs by second started (count, p99 ms): ${seconds.join(' | ')}`);
  console.log(
    `terminal mix: ${[...terminal]
      .sort()
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  console.log(
    `host speed: ${speedBefore.toFixed(0)} sha-256 rounds/ms before, ${speedAfter.toFixed(0)} after (one core; lower means a busier host)`,
  );
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
