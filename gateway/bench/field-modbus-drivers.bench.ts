/**
 * Our Modbus masters against a `modbus-serial`-based driver (modbus-serial-driver.ts), both under the
 * same bus core (modbus-bus.ts: deadlines, one request at a time, timeouts, retries, quality), in one
 * run (issue 13, docs/BENCHMARKS.md "Gateway field I/O").
 *
 *   node --import tsx gateway/bench/field-modbus-drivers.bench.ts [seconds per window=10] [rounds=3] [tcp devices=50] [--faults-only]
 *
 * 1. Faults (driver-faults.ts): each driver, on TCP and on a socat RTU line, reads one block from a
 *    scripted slave per personality (scripted-slaves.ts) and the outcome is judged: the right values
 *    or the right reason, never another request's values, never a hang.
 * 2. Load, interleaved: a TCP fleet (N simulators in a child process, 1,000 float32 points each = 16
 *    reads of 125 registers, polled every second) and an RTU line (10 slaves × 10 registers at 19200
 *    baud, the test-rigs simulator with line timing in a child process, polled every 100 ms: twice what
 *    the line carries, so it is always busy). Windows alternate driver by driver (ABBA order per
 *    round) on the same simulators, so a shared machine's load falls on both. Per window: reads
 *    answered, reads/s, gateway CPU-seconds per 1,000 reads, bad readings.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { silentLogger, type Reading } from '@safeloop/contract';
import type { DeviceProfile } from '@safeloop/device-profiles';
import { createPtyPair, startModbusRtuSimulator, startModbusTcpSimulator } from '@safeloop/test-rigs';
import { loadAverage, procCpuMs } from '@safeloop/test-rigs/bench/proc-stats';
import { DeviceInstanceSchema, type DeviceInstance } from '../src/field/config.ts';
import { createModbusBus, type ModbusBus } from '../src/field/modbus-bus.ts';
import { planModbusDevice } from '../src/field/modbus-device.ts';
import { DRIVERS, RTU_BAUD, RTU_PROFILE, TCP_PROFILE, driverFor, faults, sleep, type DriverName } from './driver-faults.ts';

const RTU_SLAVES = 10;

// ── load, interleaved ──────────────────────────────────────────────────────────────────────

async function childSims(args: string[]): Promise<{ child: ChildProcess; info: Record<string, unknown> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const info = await new Promise<Record<string, unknown>>((resolve, reject) => {
    lines.on('line', (l) => {
      if (l.startsWith('{')) resolve(JSON.parse(l) as Record<string, unknown>);
    });
    child.once('exit', (code) => reject(new Error(`simulator process exited (${code})`)));
  });
  return { child, info };
}

async function window(driver: DriverName, devices: DeviceInstance[], seconds: number, simPid: number | undefined): Promise<Record<string, number>> {
  let readings = 0;
  let bad = 0;
  const sink = (rs: readonly Reading[]): void => {
    readings += rs.length;
    for (const r of rs) if (r.quality !== 'good') bad += 1;
  };
  const byBus = new Map<string, DeviceInstance[]>();
  for (const d of devices) {
    const t = d.transport;
    const key = t.kind === 'modbus-tcp' ? `${t.host}:${t.port}` : t.kind === 'modbus-rtu' ? t.path : '';
    byBus.set(key, [...(byBus.get(key) ?? []), d]);
  }
  const resolve = (id: string): DeviceProfile | undefined => [TCP_PROFILE, RTU_PROFILE].find((p) => p.id === id);
  const buses: ModbusBus[] = [...byBus.entries()].map(([key, list]) =>
    createModbusBus({ id: key, driver: driverFor(driver, list[0]!), devices: list.map((d) => planModbusDevice(d, 'bench', resolve)), sink, logger: silentLogger }),
  );
  for (const b of buses) await b.start();
  await sleep(2000); // connect and settle; not counted
  const replies = (): number => buses.reduce((n, b) => n + b.stats().driver.replies, 0);
  const timeouts = (): number => buses.reduce((n, b) => n + b.stats().driver.timeouts, 0);
  const [r0, t0, g0, b0, s0] = [replies(), timeouts(), readings, bad, procCpuMs(simPid)];
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  await sleep(seconds * 1000);
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - wall0;
  const [reads, to, gs, bs, sim] = [replies() - r0, timeouts() - t0, readings - g0, bad - b0, procCpuMs(simPid) - s0];
  for (const b of buses) await b.stop();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return { seconds: +(wallMs / 1000).toFixed(1), reads, readsPerSec: +((reads * 1000) / wallMs).toFixed(1), cpuSecondsPer1000Reads: +(cpuMs / Math.max(1, reads)).toFixed(4), cpuPctOfOneCore: +((100 * cpuMs) / wallMs).toFixed(1), readings: gs, badReadings: bs, timeouts: to, simCpuPct: +((100 * sim) / wallMs).toFixed(1) };
}

async function load(seconds: number, rounds: number, tcpDevices: number): Promise<Record<string, unknown>[]> {
  const tcp = await childSims(['--sim-tcp', String(tcpDevices)]);
  const pty = await createPtyPair();
  const rtu = await childSims(['--sim-rtu', pty.b]).catch(async (err: unknown) => {
    tcp.child.kill('SIGTERM');
    await pty.stop();
    throw err;
  });
  const tcpFleet = (tcp.info.ports as number[]).map((port, i) =>
    DeviceInstanceSchema.parse({ id: `dev${i}`, profile: TCP_PROFILE.id, pollIntervalMs: 1000, transport: { kind: 'modbus-tcp', host: '127.0.0.1', port, unitId: 1, timeoutMs: 1000 } }),
  );
  const rtuLine = Array.from({ length: RTU_SLAVES }, (_, i) =>
    DeviceInstanceSchema.parse({ id: `s${i + 1}`, profile: RTU_PROFILE.id, pollIntervalMs: 100, transport: { kind: 'modbus-rtu', path: pty.a, baudRate: RTU_BAUD, unitId: i + 1, timeoutMs: 300 } }),
  );
  const rows: Record<string, unknown>[] = [];
  try {
    // One unmeasured window per part and driver first: connections, JIT and the simulators settle.
    for (const driver of DRIVERS) {
      await window(driver, tcpFleet, 3, undefined);
      await window(driver, rtuLine, 3, undefined);
    }
    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 === 1 ? DRIVERS : [...DRIVERS].reverse();
      for (const [part, devices, sim] of [['tcp fleet', tcpFleet, tcp.child.pid], ['rtu line', rtuLine, rtu.child.pid]] as const) {
        for (const driver of order) {
          const r = { part, round, driver, ...(await window(driver, devices, seconds, sim)), loadAverage: loadAverage() };
          process.stderr.write(`${JSON.stringify(r)}\n`);
          rows.push(r);
        }
      }
    }
  } finally {
    tcp.child.kill('SIGTERM');
    rtu.child.kill('SIGTERM');
    await sleep(500);
    await pty.stop();
  }
  return rows;
}

function summary(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const part of ['tcp fleet', 'rtu line']) {
    for (const driver of DRIVERS) {
      const mine = rows.filter((r) => r.part === part && r.driver === driver) as unknown as Record<string, number>[];
      const sum = (k: string): number => mine.reduce((n, r) => n + (r[k] ?? 0), 0);
      const cpus = mine.map((r) => r.cpuSecondsPer1000Reads ?? 0).sort((a, b) => a - b);
      out.push({
        part,
        driver,
        windows: mine.length,
        reads: sum('reads'),
        readsPerSec: +(sum('reads') / sum('seconds')).toFixed(1),
        cpuSecondsPer1000ReadsMedian: cpus[Math.floor(cpus.length / 2)],
        cpuSecondsPer1000ReadsRange: [cpus[0], cpus[cpus.length - 1]],
        badReadings: sum('badReadings'),
        timeouts: sum('timeouts'),
      });
    }
  }
  return out;
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 10);
  const rounds = Number(process.argv[3] ?? 3);
  const tcpDevices = Number(process.argv[4] ?? 50);
  const started = { date: new Date().toISOString(), loadAverageAtStart: loadAverage(), node: process.version };
  const faultRows = await faults();
  const loadRows = process.argv.includes('--faults-only') ? [] : await load(seconds, rounds, tcpDevices);
  process.stdout.write(`${JSON.stringify({ ...started, seconds, rounds, tcpDevices, rtu: { baud: RTU_BAUD, slaves: RTU_SLAVES, registers: 10 }, faults: faultRows, summary: summary(loadRows), loadAverageAtEnd: loadAverage() }, null, 1)}\n`);
}

if (process.argv[2] === '--sim-tcp') {
  const sims = [];
  for (let i = 0; i < Number(process.argv[3]); i++) sims.push(await startModbusTcpSimulator({ port: 0, devices: [{ unitId: 1, profileId: TCP_PROFILE.id, profile: TCP_PROFILE }], refreshMs: 60_000 }));
  process.stdout.write(`${JSON.stringify({ ports: sims.map((s) => s.port) })}\n`);
  await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  for (const s of sims) await s.stop();
  process.exit(0);
} else if (process.argv[2] === '--sim-rtu') {
  const sim = await startModbusRtuSimulator({
    path: process.argv[3] ?? '',
    baudRate: RTU_BAUD,
    lineTiming: true,
    devices: Array.from({ length: RTU_SLAVES }, (_, i) => ({ unitId: i + 1, profileId: RTU_PROFILE.id, profile: RTU_PROFILE })),
    refreshMs: 60_000,
  });
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  process.stderr.write(`rtu simulator line stats: ${JSON.stringify(sim.lineStats())}\n`);
  await sim.stop();
  process.exit(0);
} else {
  await main();
}
