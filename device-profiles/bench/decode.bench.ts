/**
 * Device-profile decode cost: how much of the gateway's CPU budget the transform pipeline takes.
 * Run: node --import tsx device-profiles/bench/decode.bench.ts
 * Prints figures for a synthetic 1,000-point Modbus device (mixed int16 ×0.1 with limits, float32
 * CDAB, uint32, bit points, one status register per 8 points), for the shape of the gateway bench
 * profile test-rigs/bench/profiles/bench-holding-1000.yaml (1,000 uint16 holding registers with unit
 * and range, no limits, no status, read as 8 blocks of 125) and for the 8-channel gas controller.
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { getProfile } from '../src/library.ts';
import { decodeModbusPoints, type ModbusBlockData } from '../src/modbus-decode.ts';
import { encodeModbusPoint } from '../src/modbus-encode.ts';
import { planModbusReads } from '../src/modbus-plan.ts';
import { DeviceProfileSchema, type DeviceProfile, type ModbusPointInput, type StatusRegisterInput } from '../src/schema.ts';

function syntheticProfile(n: number): DeviceProfile {
  const points: ModbusPointInput[] = [];
  const status: StatusRegisterInput[] = [];
  let address = 0;
  for (let i = 0; i < n; i++) {
    const id = `p${i}`;
    const name = { zh: id, en: id };
    switch (i % 4) {
      case 0:
        points.push({ id, name, table: 'holding', address, type: 'int16', scale: 0.1, unit: '%LEL', range: { min: 0, max: 100 }, limits: [{ level: 'GAS_1', direction: 'high', value: 25 }, { level: 'GAS_2', direction: 'high', value: 50 }] });
        address += 1;
        break;
      case 1:
        points.push({ id, name, table: 'holding', address, type: 'float32', order: 'CDAB', unit: 'm', range: { min: 0, max: 20 } });
        address += 2;
        break;
      case 2:
        points.push({ id, name, table: 'holding', address, type: 'uint32', scale: 0.01, unit: 'mm', range: { min: 0, max: 1e6 } });
        address += 2;
        break;
      default:
        points.push({ id, name, table: 'holding', address, type: 'bit', bit: 0 });
        address += 1;
    }
    if (i % 8 === 7) {
      status.push({ id: `s${i}`, table: 'holding', address, codes: [{ value: 0, state: 'normal' }, { value: 3, state: 'fault' }], appliesTo: points.slice(-8).map((p) => p.id) });
      address += 1;
    }
  }
  return DeviceProfileSchema.parse({ id: 'bench-1000', name: { zh: 'b', en: 'b' }, sector: 'general', protocol: 'modbus', points, status });
}

/** The shape of test-rigs/bench/profiles/bench-holding-1000.yaml, built here (no cross-package file read). */
function holdingProfile(n: number): DeviceProfile {
  const points: ModbusPointInput[] = Array.from({ length: n }, (_, i) => ({
    id: `r${i}`, name: { zh: `寄存器${i}`, en: `register ${i}` }, table: 'holding', address: i, type: 'uint16', unit: '%', range: { min: 0, max: 65535 },
  }));
  return DeviceProfileSchema.parse({ id: 'bench-holding-1000', name: { zh: 'b', en: 'b' }, sector: 'hazchem', protocol: 'modbus', points });
}

/** Registers 0..n-1 as the gateway reads them: blocks of 125 (the FC3 limit), words spread over 0..65535. */
function holdingBlocks(n: number): ModbusBlockData[] {
  const blocks: ModbusBlockData[] = [];
  for (let start = 0; start < n; start += 125) {
    blocks.push({ table: 'holding', start, values: Array.from({ length: Math.min(125, n - start) }, (_, i) => ((start + i) * 7919) % 65536) });
  }
  return blocks;
}

function blocksFor(profile: DeviceProfile): ModbusBlockData[] {
  return planModbusReads(profile).map((b) => ({ table: b.table, start: b.start, values: Array.from({ length: b.count }, (_, i) => (b.start + i) % 400) }));
}

/**
 * CPU time (user + system) per call, not wall time: the machine is shared, and CPU time is what the
 * gateway's budget (≤ 25 % of one core) is about. Wall time is printed beside it.
 */
function time(label: string, iterations: number, fn: () => void): number {
  for (let i = 0; i < Math.min(50, iterations); i++) fn();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  const wallMs = (performance.now() - t0) / iterations;
  const c = process.cpuUsage(c0);
  const cpuMs = (c.user + c.system) / 1000 / iterations;
  process.stdout.write(`${label.padEnd(58)} ${(cpuMs * 1000).toFixed(1).padStart(9)} µs CPU/call  (${(wallMs * 1000).toFixed(1)} µs wall)\n`);
  return cpuMs;
}

const t0 = performance.now();
const big = syntheticProfile(1000);
process.stdout.write(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, node ${process.version}, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
process.stdout.write(`${'parse + validate a 1,000-point profile'.padEnd(58)} ${((performance.now() - t0) * 1000).toFixed(1).padStart(10)} µs (once, cold)\n`);
time('parse + validate a 1,000-point profile (warm)', 10, () => DeviceProfileSchema.parse(big));
const plan = planModbusReads(big);
process.stdout.write(`plan: ${plan.length} reads for ${big.points.length} points (${plan.reduce((s, b) => s + b.count, 0)} registers)\n`);
time('planModbusReads, 1,000 points', 200, () => planModbusReads(big));
const data = blocksFor(big);
const decodeMs = time('decodeModbusPoints, 1,000 points', 1000, () => decodeModbusPoints(big, data));
process.stdout.write(`  → ${Math.round(1000 / decodeMs).toLocaleString('en')} points/ms; 100 devices × 1,000 points per second = ${(decodeMs * 100 / 10).toFixed(2)} % of one core\n`);
const holding = holdingProfile(1000);
const holdingData = holdingBlocks(1000);
time('decodeModbusPoints, bench-holding-1000 (uint16, 8 × 125)', 3000, () => decodeModbusPoints(holding, holdingData));
const ctrl = getProfile('generic-gas-controller-8ch');
const ctrlData = blocksFor(ctrl);
time('decodeModbusPoints, gas controller (9 points, 9 status)', 5000, () => decodeModbusPoints(ctrl, ctrlData));
time('encodeModbusPoint, float32 CDAB', 20000, () => encodeModbusPoint(big, 'p1', 12.5));
