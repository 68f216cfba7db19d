/**
 * Modbus RTU line efficiency (issue 3): achieved reads/s through the gateway's bus core and RTU
 * master, as a percentage of the line limit computed from baud rate, frame sizes and the two
 * 3.5-character gaps per transaction. The slave is the test-rigs simulator in lineTiming mode on a
 * socat pty pair, so the line behaves as a real one would (a bare pty has no baud-rate timing).
 * The simulator runs in a child process (this file with `--sim PATH BAUD`) so that its pacing and
 * the gateway do not share one event loop.
 *
 *   node --import tsx gateway/bench/field-rtu-efficiency.bench.ts [seconds per baud rate=10]
 *   RTU_BAUDS=115200 node --import tsx gateway/bench/field-rtu-efficiency.bench.ts 10   (one rate)
 *
 * 30 slaves × one 10-register read each, polled every 100 ms: demand (300 reads/s) exceeds every
 * line limit tested, so the bus is never idle and the achieved rate is the master's best.
 * Goal: ≥ 95 % at ≤ 19200 baud, ≥ 90 % at 115200.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '@safeloop/contract';
import { DeviceProfileSchema, type DeviceProfile } from '@safeloop/device-profiles';
import { createPtyPair, lineLimitPerSec, startModbusRtuSimulator } from '@safeloop/test-rigs';
import { loadAverage } from '@safeloop/test-rigs/bench/proc-stats';
import { createFieldSources, createModbusRtuDriver, DeviceInstanceSchema, type ModbusBus } from '../src/field/index.ts';

const REGISTERS = 10;
const SLAVES = 30;

function tenRegisterProfile(): DeviceProfile {
  const name = { zh: '基准点', en: 'bench point' };
  return DeviceProfileSchema.parse({
    id: 'bench-rtu-10',
    name: { zh: '基准设备', en: 'bench device' },
    sector: 'general',
    protocol: 'modbus',
    points: Array.from({ length: REGISTERS }, (_, i) => ({ id: `r${i}`, name, table: 'holding', address: i, type: 'uint16', unit: '%', range: { min: 0, max: 65535 } })),
  });
}

async function runSimulator(path: string, baudRate: number): Promise<void> {
  const profile = tenRegisterProfile();
  const sim = await startModbusRtuSimulator({
    path,
    baudRate,
    parity: 'even',
    lineTiming: true,
    devices: Array.from({ length: SLAVES }, (_, i) => ({ unitId: i + 1, profileId: profile.id, profile })),
    refreshMs: 60_000,
  });
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  process.stdout.write(`${JSON.stringify(sim.lineStats())}\n`);
  await sim.stop();
  process.exit(0);
}

async function measure(baudRate: number, seconds: number): Promise<Record<string, unknown>> {
  const profile = tenRegisterProfile();
  const pty = await createPtyPair();
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--sim', pty.b, String(baudRate)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const simOut: string[] = [];
  await new Promise<void>((resolve, reject) => {
    lines.on('line', (l) => {
      if (l === 'ready') resolve();
      else simOut.push(l);
    });
    child.once('exit', (code) => reject(new Error(`simulator exited (${code})`)));
  });
  let good = 0;
  let bad = 0;
  const [src] = createFieldSources({
    devices: Array.from({ length: SLAVES }, (_, i) =>
      DeviceInstanceSchema.parse({
        id: `s${i + 1}`,
        profile: profile.id,
        pollIntervalMs: 100,
        transport: { kind: 'modbus-rtu', path: pty.a, baudRate, parity: 'even', unitId: i + 1, timeoutMs: 500 },
      }),
    ),
    defaultSite: 'bench',
    logger: silentLogger,
    resolveProfile: (id) => (id === profile.id ? profile : undefined),
    sink: (rs) => {
      for (const r of rs) {
        if (r.quality === 'good') good += 1;
        else bad += 1;
      }
    },
  });
  if (!src) throw new Error('no source');
  const bus = src as ModbusBus;
  await src.start();
  await new Promise((r) => setTimeout(r, 5000)); // warm-up: JIT and the simulator process settle
  const okCycles = (): number => bus.stats().devices.reduce((n, d) => n + d.okCycles, 0);
  const c0 = okCycles();
  const bad0 = bad;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const reads = okCycles() - c0;
  const driver = bus.stats().driver;
  await src.stop();
  // Load-independent figure: the fastest single transactions of the bare master on the same line.
  const bare = createModbusRtuDriver({ path: pty.a, baudRate, parity: 'even', dataBits: 8, stopBits: 1, logger: silentLogger });
  await bare.open({ timeoutMs: 1000 });
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    await bare.readBlock(1 + (i % SLAVES), { table: 'holding', start: 0, count: REGISTERS }, { timeoutMs: 500 });
    times.push(performance.now() - t);
  }
  await bare.close();
  times.sort((a, b) => a - b);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  const lineStats = JSON.parse(simOut.find((l) => l.startsWith('{')) ?? '{}') as { gapViolations?: number; crcErrors?: number };
  await pty.stop();
  const achieved = (reads * 1000) / wallMs;
  const limit = lineLimitPerSec(8, 5 + 2 * REGISTERS, baudRate);
  return {
    baudRate,
    registersPerRead: REGISTERS,
    lineLimitPerSec: +limit.toFixed(1),
    achievedPerSec: +achieved.toFixed(1),
    efficiencyPct: +((100 * achieved) / limit).toFixed(1),
    idealTransactionMs: +(1000 / limit).toFixed(2),
    bareMinTransactionMs: +(times[0] ?? 0).toFixed(2),
    bareMedianTransactionMs: +(times[100] ?? 0).toFixed(2),
    bestCaseEfficiencyPct: +((100 * (1000 / limit)) / (times[0] ?? 1)).toFixed(1),
    badReadings: bad - bad0,
    goodReadings: good,
    timeouts: driver.timeouts,
    lateFrames: driver.lateFrames,
    simGapViolations: lineStats.gapViolations,
    simCrcErrors: lineStats.crcErrors,
    gatewayCpuPctOfOneCore: +((100 * (cpu.user + cpu.system)) / 1000 / wallMs).toFixed(1),
    loadAverage: loadAverage(),
  };
}

if (process.argv[2] === '--sim') {
  await runSimulator(process.argv[3] ?? '', Number(process.argv[4]));
} else {
  const seconds = Number(process.argv[2] ?? 10);
  const bauds = (process.env.RTU_BAUDS ?? '9600,19200,115200').split(',').map(Number);
  for (const baud of bauds) {
    process.stdout.write(`${JSON.stringify(await measure(baud, seconds))}\n`);
  }
}
