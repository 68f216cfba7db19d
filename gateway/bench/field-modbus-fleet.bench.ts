/**
 * Modbus TCP fleet benchmark (issue 3): 100 devices × 1,000 points polled every second.
 * The simulators run in a child process (this file started with `--sim N`), so only the gateway's
 * own CPU and memory are measured here.
 *
 *   node --import tsx gateway/bench/field-modbus-fleet.bench.ts [seconds=30] [devices=100]
 *
 * Each device: 1,000 float32 points in 2,000 input registers → 16 reads of 125 registers per cycle,
 * one TCP connection per device (one bus each), so 1,600 requests/s for the fleet.
 * Prints: cycles on time %, skipped deadlines, readings/s, gateway CPU % of one core, RSS.
 */
import { spawn } from 'node:child_process';
import { loadAverage, procCpuMs } from '@safeloop/test-rigs/bench/proc-stats';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { silentLogger, type Reading } from '@safeloop/contract';
import { DeviceProfileSchema, type DeviceProfile } from '@safeloop/device-profiles';
import { createFieldSources, DeviceInstanceSchema, type ModbusBus } from '../src/field/index.ts';

const PROFILE_ID = 'bench-fleet-1000';

function fleetProfile(): DeviceProfile {
  const name = { zh: '基准点', en: 'bench point' };
  return DeviceProfileSchema.parse({
    id: PROFILE_ID,
    name: { zh: '基准设备', en: 'bench device' },
    sector: 'general',
    protocol: 'modbus',
    points: Array.from({ length: 1000 }, (_, i) => ({ id: `p${i}`, name, table: 'input', address: i * 2, type: 'float32', unit: '%', range: { min: 0, max: 100 } })),
  });
}

async function runSimulators(count: number): Promise<void> {
  const { startModbusTcpSimulator } = await import('@safeloop/test-rigs');
  const profile = fleetProfile();
  const sims = [];
  for (let i = 0; i < count; i++) {
    sims.push(await startModbusTcpSimulator({ port: 0, devices: [{ unitId: 1, profileId: PROFILE_ID, profile }], refreshMs: 60_000 }));
  }
  process.stdout.write(`${JSON.stringify({ ports: sims.map((s) => s.port) })}\n`);
  await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  for (const s of sims) await s.stop();
  process.exit(0);
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 30);
  const count = Number(process.argv[3] ?? 100);
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--import', 'tsx', self, '--sim', String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const ports = await new Promise<number[]>((resolve, reject) => {
    lines.on('line', (l) => {
      if (l.startsWith('{')) resolve((JSON.parse(l) as { ports: number[] }).ports);
    });
    child.once('exit', (code) => reject(new Error(`simulator process exited (${code})`)));
  });
  const profile = fleetProfile();
  let readings = 0;
  let bad = 0;
  const reasons: Record<string, number> = {};
  const devices = ports.map((port, i) =>
    DeviceInstanceSchema.parse({ id: `dev${i}`, profile: PROFILE_ID, pollIntervalMs: 1000, transport: { kind: 'modbus-tcp', host: '127.0.0.1', port, unitId: 1, timeoutMs: 1000 } }),
  );
  const sources = createFieldSources({
    devices,
    defaultSite: 'bench',
    logger: silentLogger,
    resolveProfile: (id) => (id === PROFILE_ID ? profile : undefined),
    sink: (rs: readonly Reading[]) => {
      readings += rs.length;
      for (const r of rs) {
        if (r.quality === 'good') continue;
        bad += 1;
        const k = `${r.quality}/${r.reason ?? '-'}`;
        reasons[k] = (reasons[k] ?? 0) + 1;
      }
    },
  });
  for (const s of sources) await s.start();
  const warmupMs = 5000;
  await new Promise((r) => setTimeout(r, warmupMs));
  const totals = (): { cycles: number; overran: number; skipped: number; failed: number } => {
    const t = { cycles: 0, overran: 0, skipped: 0, failed: 0 };
    for (const s of sources) {
      for (const d of (s as ModbusBus).stats().devices) {
        t.cycles += d.cycles;
        t.overran += d.overran;
        t.skipped += d.skipped;
        t.failed += d.failedCycles;
      }
    }
    return t;
  };
  const t0 = totals();
  const r0 = readings;
  const bad0 = bad;
  const cpu0 = process.cpuUsage();
  const simCpu0 = procCpuMs(child.pid);
  const wall0 = performance.now();
  let maxRss = 0;
  const rssTimer = setInterval(() => {
    maxRss = Math.max(maxRss, process.memoryUsage().rss);
  }, 250);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  clearInterval(rssTimer);
  const wallMs = performance.now() - wall0;
  const cpu = process.cpuUsage(cpu0);
  const simCpuMs = procCpuMs(child.pid) - simCpu0;
  const t1 = totals();
  const cycles = t1.cycles - t0.cycles;
  const late = t1.overran - t0.overran;
  const skipped = t1.skipped - t0.skipped;
  const result = {
    devices: count,
    pointsPerDevice: 1000,
    seconds,
    cycles,
    expectedCycles: Math.round((count * wallMs) / 1000),
    onTimePct: +((100 * (cycles - late)) / Math.max(1, cycles + skipped)).toFixed(2),
    skippedDeadlines: skipped,
    failedCycles: t1.failed - t0.failed,
    readingsPerSec: Math.round(((readings - r0) * 1000) / wallMs),
    badReadings: bad - bad0,
    badReasons: reasons,
    cpuPctOfOneCore: +((100 * (cpu.user + cpu.system)) / 1000 / wallMs).toFixed(1),
    rssMB: +(maxRss / 1024 / 1024).toFixed(1),
    heapUsedMB: +(process.memoryUsage().heapUsed / 1024 / 1024).toFixed(1),
    simulatorCpuPctOfOneCore: +((100 * simCpuMs) / wallMs).toFixed(1),
    loadAverage: loadAverage(),
  };
  for (const s of sources) await s.stop();
  child.kill('SIGTERM');
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (process.argv[2] === '--sim') await runSimulators(Number(process.argv[3] ?? 100));
else await main();
