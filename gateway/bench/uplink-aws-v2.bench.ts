/**
 * Points/s one AWS IoT Core connection carries with payload v1 and v2, measured through the uplink's
 * own limiter with the aws-iot defaults (90 publishes/s, 480 KiB/s, telemetry window 2; v2 deflated),
 * over the aws-iot transport (aws-iot-device-sdk-v2's MQTT5 client, mutual TLS) to a private Mosquitto.
 * The test acker stands in for the cloud on the broker's plain listener, in its own process (the cloud's
 * decoding is not the gateway's CPU): it announces payload versions 1 and 2 (or only 1 for the v1 run),
 * decodes and validates every batch with the contract's schemas, stores by id and acks the highest
 * contiguous seq.
 *
 *   node --import tsx gateway/bench/uplink-aws-v2.bench.ts [seconds=15] [backlog=1000000] [rounds=1]
 *
 * Each run journals `backlog` readings (polls of 1,000 points, two-decimal values with noise, unit ppm,
 * 1 % bad with a reason) so the link, not the producer, is the limit, then counts what the acker stored
 * and acknowledged in a `seconds` window after a 2 s warm-up. historicalAfterSec is raised so the backlog
 * is sent as live data (the byte cost of a live plant, not of a replay). Variants alternate v1, v2, ….
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@safeloop/contract';
import type { Reading } from '@safeloop/contract';
import { Journal, JournalConfigSchema } from '../src/journal/index.ts';
import { UplinkConfigSchema, Uplink } from '../src/uplink/index.ts';
import { TestAcker } from '@safeloop/test-rigs/mosquitto/test-acker';
import { collectNativeHandles, makeTestCerts, startTestMosquitto } from '@safeloop/test-rigs/mosquitto/test-mosquitto';

/** Child mode: the acker, printing what it acknowledged every 200 ms. */
if (process.argv[2] === '--acker') {
  const [url, gw, versions] = process.argv.slice(3) as [string, string, string];
  const acker = new TestAcker({ url, gatewayId: gw });
  await acker.start();
  await acker.announce(versions.split(',').map(Number), `cloud-${gw}`);
  setInterval(() => {
    const s = { acked: acker.contiguous.telemetry, bytes: acker.wireBytes.telemetry, invalid: acker.invalidBatches, conflicts: acker.conflicts };
    process.stdout.write(`${JSON.stringify(s)}\n`);
  }, 200);
  process.once('SIGTERM', () => void acker.stop().then(() => process.exit(0)));
  await new Promise(() => undefined);
}

/** The acker process as the parent sees it: its latest figures. */
async function startAcker(url: string, gw: string, versions: number[]): Promise<{ last: { acked: number; bytes: number; invalid: number; conflicts: number }; stop(): void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--acker', url, gw, versions.join(',')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const state = { last: { acked: 0, bytes: 0, invalid: 0, conflicts: 0 }, stop: () => void child.kill('SIGTERM') };
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (l) => {
      state.last = JSON.parse(l) as typeof state.last;
      resolve();
    });
    child.once('exit', (code) => reject(new Error(`acker exited (${code})`)));
  });
  return state;
}

const seconds = Number(process.argv[2] ?? 15);
const backlog = Number(process.argv[3] ?? 1_000_000);
const rounds = Number(process.argv[4] ?? 1);
const POLL = 1000;
const variants = ['v1', 'v2'] as const;

const gwIds = Array.from({ length: rounds }, (_, r) => variants.map((v) => `aws${v}r${r}`)).flat();
const certs = makeTestCerts(gwIds);
const broker = await startTestMosquitto({ certs });
const dir = mkdtempSync(join(tmpdir(), 'safeloop-awsv2-'));

function fill(journal: Journal): void {
  const t = Date.now();
  for (let k = 0; k * POLL < backlog; k++) {
    const dev = k % 100;
    journal.appendTelemetry(
      Array.from({ length: POLL }, (_, i): Reading =>
        i % 100 === 99
          ? { point: `plant7/d${dev}/r${i}`, value: null, quality: 'bad', reason: 'out_of_range', sourceTime: t, gatewayTime: t }
          : { point: `plant7/d${dev}/r${i}`, value: Math.round((20 + ((i * 7 + k) % 50) / 10 + Math.random()) * 100) / 100, unit: 'ppm', quality: 'good', sourceTime: t, gatewayTime: t },
      ),
    );
  }
}

async function run(variant: (typeof variants)[number], gw: string): Promise<string> {
  const journal = Journal.open({ config: JournalConfigSchema.parse({ path: join(dir, `${gw}.db`), diskBudgetBytes: 8_000_000_000 }), logger: silentLogger });
  let acker: Awaited<ReturnType<typeof startAcker>> | undefined;
  try {
    fill(journal);
    acker = await startAcker(broker.url, gw, variant === 'v2' ? [1, 2] : [1]);
    const a = acker;
    const wait = async (pred: () => boolean, ms: number): Promise<void> => {
      for (const end = Date.now() + ms; !pred(); ) {
        if (Date.now() > end) throw new Error('timed out waiting for the first ack');
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const uplink = new Uplink({
      config: UplinkConfigSchema.parse({
        transport: 'aws-iot',
        endpoint: 'localhost',
        port: broker.tlsPort,
        tls: { ca: certs.ca, ...certs.client(gw) },
        delivery: { historicalAfterSec: 3600 },
      }),
      gatewayId: gw,
      siteId: 'plant7',
      journal,
      logger: silentLogger,
    });
    await uplink.start();
    await wait(() => a.last.acked > 0, 20_000);
    await new Promise((r) => setTimeout(r, 2000));
    const m0 = { acked: a.last.acked, bytes: a.last.bytes, batches: uplink.metrics().batches, events: uplink.metrics().events, t: performance.now(), cpu: process.cpuUsage() };
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const m1 = { acked: a.last.acked, bytes: a.last.bytes, batches: uplink.metrics().batches, events: uplink.metrics().events, t: performance.now(), cpu: process.cpuUsage(m0.cpu) };
    const used = uplink.metrics().payloadVersion;
    await uplink.stop();
    const s = (m1.t - m0.t) / 1000;
    const points = m1.acked - m0.acked;
    const bytes = m1.bytes - m0.bytes; // as received by the acker: B/point is per acknowledged point
    const pubs = m1.batches - m0.batches;
    if (points <= 0 || pubs <= 0) return `${variant}: nothing delivered in the window (backlog too small?)`;
    const cpu = ((m1.cpu.user + m1.cpu.system) / 1e6 / s) * 100;
    return (
      `${variant} (payload v${used}${used === 2 ? ', deflated' : ''}): ${Math.round(points / s).toLocaleString('en-US')} points/s acked; ` +
      `${(pubs / s).toFixed(1)} publishes/s, ${(bytes / s / 1024).toFixed(0)} KiB/s, ${(bytes / points).toFixed(1)} B/point, ${Math.round((m1.events - m0.events) / pubs)} points/publish; ` +
      `invalid ${a.last.invalid}, conflicts ${a.last.conflicts}; gateway process CPU ${cpu.toFixed(0)} % of one core`
    );
  } finally {
    acker?.stop();
    journal.close();
  }
}

async function main(): Promise<void> {
  process.stdout.write(`window ${seconds} s after 2 s warm-up; backlog ${backlog.toLocaleString('en-US')} readings per run; limits 90 publishes/s, 480 KiB/s (aws-iot defaults)\n`);
  for (let r = 0; r < rounds; r++) {
    for (const v of variants) process.stdout.write(`${await run(v, `aws${v}r${r}`)}\n`);
  }
}

try {
  await main();
} finally {
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(certs.dir, { recursive: true, force: true });
  setTimeout(collectNativeHandles, 100).unref();
}
