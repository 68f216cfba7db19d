/**
 * Throughput of the Modbus TCP simulator with a 100-device fleet, so the driver benchmark knows the
 * rig is not its bottleneck. The load generator is a separate process, so this process's CPU time is
 * the simulator's own: `requestsPerCpuSecond` is what one free core sustains, whatever else the
 * (shared) machine is doing; `requestsPerSec` is what it achieved here and now.
 *
 *   node --import tsx test-rigs/bench/modbus-tcp-sim.bench.ts [seconds per scenario, default 5]
 *   (SCENARIO=A|B|C runs one scenario)
 *
 * Scenarios: (A) 100 × generic-catalytic-lel (24 registers, changing gas value), saturated;
 * (B) 100 × a generated 1,000-point profile (2,000 input registers, every value on a sine curve),
 * 125-register reads, saturated; (C) the fleet pattern — 100 devices × 1,000 points polled
 * every second = 1,600 reads of 125 registers per second — paced, to show the rig's CPU at that load.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { DeviceProfileSchema, type DeviceProfile } from '@safeloop/device-profiles';
import { startModbusTcpSimulator, type SimDevice } from '../src/modbus/index.ts';
import type { Curve } from '../src/scenario/curve.ts';
import type { LoadResult, LoadSpec } from './modbus-load-worker.ts';

const seconds = Number(process.argv[2] ?? 5);

function thousandPointProfile(): DeviceProfile {
  const name = { zh: '基准点', en: 'bench point' };
  return DeviceProfileSchema.parse({
    id: 'bench-1000-points',
    name: { zh: '基准设备', en: 'bench device' },
    sector: 'general',
    protocol: 'modbus',
    points: Array.from({ length: 1000 }, (_, i) => ({ id: `p${i}`, name, table: 'input', address: i * 2, type: 'float32', unit: '%', range: { min: 0, max: 100 } })),
  });
}

async function load(spec: LoadSpec): Promise<LoadResult> {
  const file = fileURLToPath(new URL('./modbus-load-worker.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', file, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (s: string) => {
    out += s;
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  const parsed = JSON.parse(out.trim().split('\n').pop() ?? '{}') as LoadResult | { error: string };
  if (code !== 0 || 'error' in parsed) throw new Error(`load generator failed (${code}): ${out}`);
  return parsed;
}

async function scenario(label: string, devices: SimDevice[], spec: Omit<LoadSpec, 'port' | 'durationMs'>): Promise<void> {
  const sim = await startModbusTcpSimulator({ devices });
  try {
    const elu0 = performance.eventLoopUtilization();
    const cpu0 = process.cpuUsage();
    const result = await load({ ...spec, port: sim.port, durationMs: seconds * 1000 });
    const elu = performance.eventLoopUtilization(elu0);
    const cpu = process.cpuUsage(cpu0);
    const rps = result.replies / (result.elapsedMs / 1000);
    const line = {
      scenario: label,
      requestsPerSec: Math.round(rps),
      exceptions: result.exceptions,
      simCpuPercentOfOneCore: Number((((cpu.user + cpu.system) / 1000 / result.elapsedMs) * 100).toFixed(1)),
      requestsPerCpuSecond: Math.round(result.replies / Math.max((cpu.user + cpu.system) / 1e6, 1e-3)),
      simEventLoopUtilisation: Number(elu.utilization.toFixed(3)),
      p99LatencyMs: Number(result.p99LatencyMs.toFixed(2)),
      maxLatencyMs: Number(result.maxLatencyMs.toFixed(2)),
      rssMB: Math.round(process.memoryUsage().rss / 1e6),
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  } finally {
    await sim.stop();
  }
}

const units = Array.from({ length: 100 }, (_, i) => i + 1);
const gasCurve: Curve = { kind: 'sine', mean: 10, amplitude: 5, periodSec: 30, noise: 0.5 };
const gasFleet: SimDevice[] = units.map((unitId) => ({ unitId, profileId: 'generic-catalytic-lel', points: { gas: gasCurve } }));
const big = thousandPointProfile();
const bigCurves: Record<string, Curve> = Object.fromEntries(
  Array.from({ length: 1000 }, (_, i) => [`p${i}`, { kind: 'sine', mean: 50, amplitude: 20, periodSec: 60, phaseSec: i } satisfies Curve]),
);
const bigFleet: SimDevice[] = units.map((unitId) => ({ unitId, profileId: big.id, profile: big, points: bigCurves }));
const bigBlocks: [number, number, number][] = Array.from({ length: 16 }, (_, i) => [4, i * 125, Math.min(125, 2000 - i * 125)]);

process.stdout.write(`# Modbus TCP simulator, 100 devices, ${seconds} s per scenario, node ${process.version}\n`);
const only = process.env['SCENARIO'];
const want = (id: string): boolean => only === undefined || only === id;
if (want('A')) await scenario('A: 100 x gas detector, FC3 24 regs, 4 conns x 16 in flight', gasFleet, { connections: 4, depth: 16, units, blocks: [[3, 0, 24]], ratePerSec: 0 });
if (want('B')) await scenario('B: 100 x 1000-point device, FC4 125 regs, 4 conns x 16 in flight', bigFleet, { connections: 4, depth: 16, units, blocks: bigBlocks, ratePerSec: 0 });
if (want('C')) await scenario('C: 100 x 1000 points at 1 Hz = 1600 req/s of 125 regs, paced', bigFleet, { connections: 100, depth: 1, units, blocks: bigBlocks, ratePerSec: 1600 });
