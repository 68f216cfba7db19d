/**
 * The gateway's full path on the peers load (issue 20): D devices × 1,000 holding registers (profile
 * bench-holding-1000) polled every second, edge rules, SQLite journal (synchronous=FULL), MQTT uplink
 * with application acks — the real `safeloop gateway` process, measured from /proc.
 *
 *   node --import tsx gateway/bench/full-path.bench.ts [seconds=25] [devices=100] [payloads=v1,v2] [rounds=1] [prof]
 *
 * Three other processes, not counted: the Modbus TCP simulators (test-rigs), a private Mosquitto, and a
 * minimal cloud stand-in that acks every batch (highest seq, no storage, no validation — like the peers
 * harness's sidecar) and announces payload versions [1] (`v1`) or [1, 2] (`v2`) in the retained cloud
 * status. Runs alternate the payloads; `prof` adds `--cpu-prof` (profiles in the printed folder).
 * Warm-up: until the first ack, then 8 s. Prints per run: journaled and acked readings/s, gateway CPU % of one core, RSS average / peak, load.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { isDeflated, topics } from '@safeloop/contract';
import { loadProfileFile } from '@safeloop/device-profiles';
import { loadAverage, procCpuMs } from '@safeloop/test-rigs/bench/proc-stats';
import { startTestMosquitto } from '@safeloop/test-rigs/mosquitto/test-mosquitto';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** The checkout whose gateway runs (default this one): set SAFELOOP_GATEWAY_DIR to compare another build in the same session. */
const gatewayDir = process.env['SAFELOOP_GATEWAY_DIR'] ?? root;
const self = fileURLToPath(import.meta.url);
const PROFILE_DIR = join(root, 'test-rigs/bench/profiles');
const GW = 'gw-bench';

async function runSimulators(count: number): Promise<void> {
  const { startModbusTcpSimulator } = await import('@safeloop/test-rigs');
  const profile = loadProfileFile(join(PROFILE_DIR, 'bench-holding-1000.yaml'));
  const sims = [];
  for (let i = 0; i < count; i++) sims.push(await startModbusTcpSimulator({ port: 0, devices: [{ unitId: 1, profileId: profile.id, profile }], refreshMs: 1000 }));
  process.stdout.write(`${JSON.stringify({ ports: sims.map((s) => s.port) })}\n`);
  await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  for (const s of sims) await s.stop();
  process.exit(0);
}

/** The cloud stand-in: acks the last seq of every batch (v1 events or the v2 header). */
async function runAcker(url: string, versions: number[]): Promise<void> {
  const c = await mqtt.connectAsync(url, { clientId: `bench-acker-${process.pid}` });
  await c.publishAsync(topics.cloudStatus(), JSON.stringify({ v: 1, state: 'online', instanceId: `acker-${process.pid}`, since: Date.now(), payloadVersions: versions }), { qos: 1, retain: true });
  c.on('message', (topic, payload) => {
    const stream = topic.endsWith('/telemetry') ? 'telemetry' : topic.endsWith('/alarm') ? 'alarm' : undefined;
    if (!stream) return;
    const b = JSON.parse((isDeflated(payload) ? inflateSync(payload) : payload).toString()) as { v: number; lastSeq?: number; events?: { seq: number }[] };
    const last = b.v === 2 ? b.lastSeq : b.events?.at(-1)?.seq;
    if (last !== undefined) c.publish(topics.down(GW, 'ack'), JSON.stringify({ v: 1, gatewayId: GW, stream, ackSeq: last }), { qos: 1 });
  });
  await c.subscribeAsync(`safeloop/v1/${GW}/up/#`, { qos: 1 });
  process.stdout.write('ready\n');
}

function firstLine(child: ChildProcess, pred: (l: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (l) => pred(l) && resolve(l));
    child.once('exit', (code) => reject(new Error(`child exited (${code})`)));
  });
}

function rssKiB(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function run(payload: string, ports: number[], seconds: number, prof: string | undefined): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'safeloop-full-'));
  const broker = await startTestMosquitto();
  const acker = spawn(process.execPath, ['--import', 'tsx', self, '--acker', broker.url, payload === 'v2' ? '1,2' : '1'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await firstLine(acker, (l) => l === 'ready');
  const cfg = join(dir, 'gateway.yaml');
  const lines = [
    `gateway: { id: ${GW}, siteId: bench, statusIntervalSec: 15 }`,
    `journal: { path: ${join(dir, 'journal.db')}, diskBudgetBytes: 8589934592 }`,
    `uplink: { transport: mqtt, url: "${broker.url}", protocolVersion: 4, allowInsecure: true, keepaliveSec: 15 }`,
    `profileDirs: ["${PROFILE_DIR}"]`,
    'devices:',
    ...ports.map((port, i) => `  - { id: d${i}, name: d${i}, profile: bench-holding-1000, transport: { kind: modbus-tcp, host: 127.0.0.1, port: ${port}, unitId: 1, timeoutMs: 1000 }, pollIntervalMs: 1000 }`),
    'bridges: []',
  ];
  writeFileSync(cfg, `${lines.join('\n')}\n`);
  const profArgs = prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [];
  // SAFELOOP_GATEWAY_RUN=bundle runs the precompiled program (npm run build:gateway) instead of the TypeScript through tsx.
  const program = process.env['SAFELOOP_GATEWAY_RUN'] === 'bundle' ? [join(gatewayDir, 'dist/cli/safeloop.js')] : ['--import', 'tsx', join(gatewayDir, 'cli/src/main.ts')];
  const gw = spawn(process.execPath, [...profArgs, ...program, 'gateway', '--config', cfg, '--log-level', 'warn'], { cwd: gatewayDir, stdio: ['ignore', 'inherit', 'inherit'] });
  const pid = gw.pid!;
  const journal = (): { journaled: number; acked: number } => {
    try {
      const db = new Database(join(dir, 'journal.db'), { readonly: true, fileMustExist: true });
      const r = db.prepare<[], { next_seq: number; acked_seq: number }>("SELECT next_seq, acked_seq FROM stream_state WHERE stream = 'telemetry'").get();
      db.close();
      return { journaled: (r?.next_seq ?? 1) - 1, acked: r?.acked_seq ?? 0 };
    } catch {
      return { journaled: 0, acked: 0 };
    }
  };
  try {
    // warm-up: until the first acknowledgement (start-up is slow on a busy box), then 8 s more
    for (let i = 0; i < 120 && journal().acked === 0; i++) await sleep(500);
    await sleep(8000);
    const j0 = journal();
    const cpu0 = procCpuMs(pid);
    const t0 = performance.now();
    const rss: number[] = [];
    for (let s = 0; s < seconds; s++) {
      await sleep(1000);
      rss.push(rssKiB(pid));
    }
    const wall = performance.now() - t0;
    const cpu = procCpuMs(pid) - cpu0;
    const j1 = journal();
    return {
      gateway: gatewayDir === root ? 'this checkout' : gatewayDir,
      payload,
      devices: ports.length,
      seconds,
      journaledPerSec: Math.round(((j1.journaled - j0.journaled) * 1000) / wall),
      ackedPerSec: Math.round(((j1.acked - j0.acked) * 1000) / wall),
      backlogAtEnd: j1.journaled - j1.acked,
      cpuPctOfOneCore: +((100 * cpu) / wall).toFixed(1),
      rssAvgMiB: +(rss.reduce((a, b) => a + b, 0) / rss.length / 1024).toFixed(0),
      rssPeakMiB: +(Math.max(...rss) / 1024).toFixed(0),
      loadAverage: loadAverage(),
      at: new Date().toISOString(),
    };
  } finally {
    gw.kill('SIGTERM');
    await new Promise((r) => gw.once('exit', r));
    acker.kill('SIGTERM');
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 25);
  const devices = Number(process.argv[3] ?? 100);
  const payloads = (process.argv[4] ?? 'v1,v2').split(',');
  const rounds = Number(process.argv[5] ?? 1);
  const prof = process.argv[6] === 'prof' ? mkdtempSync(join(tmpdir(), 'safeloop-prof-')) : undefined;
  const sim = spawn(process.execPath, ['--import', 'tsx', self, '--sim', String(devices)], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const ports = (JSON.parse(await firstLine(sim, (l) => l.startsWith('{'))) as { ports: number[] }).ports;
    for (let r = 0; r < rounds; r++) for (const p of payloads) process.stdout.write(`${JSON.stringify(await run(p, ports, seconds, prof))}\n`);
    if (prof) process.stdout.write(`cpu profiles in ${prof}\n`);
  } finally {
    sim.kill('SIGTERM');
  }
}

if (process.argv[2] === '--sim') await runSimulators(Number(process.argv[3] ?? 100));
else if (process.argv[2] === '--acker') await runAcker(process.argv[3]!, process.argv[4]!.split(',').map(Number));
else await main();
