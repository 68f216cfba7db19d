/**
 * The driver comparison's shared parts: the two drivers behind one switch, the bench profiles, and the
 * fault section — each driver, on TCP and on a socat RTU line, reads one block from a scripted slave
 * per personality (scripted-slaves.ts) and the outcome is judged. Used by field-modbus-drivers.bench.ts
 * and by gateway/test/field/driver-faults.test.ts (which holds our own drivers to "right" on every row).
 */
import { silentLogger } from '@safeloop/contract';
import { DeviceProfileSchema, type DeviceProfile } from '@safeloop/device-profiles';
import { createPtyPair } from '@safeloop/test-rigs';
import { DeviceInstanceSchema, type DeviceInstance } from '../src/field/config.ts';
import type { ModbusDriver } from '../src/field/modbus-driver.ts';
import { createModbusRtuDriver } from '../src/field/modbus-rtu-driver.ts';
import { createModbusTcpDriver } from '../src/field/modbus-tcp-driver.ts';
import { FieldRequestError } from '../src/field/errors.ts';
import { createModbusSerialDriver } from './modbus-serial-driver.ts';
import { PERSONALITIES, startRtuSlave, startTcpSlave, type Personality } from './scripted-slaves.ts';

export type DriverName = 'ours' | 'modbus-serial';
export const DRIVERS: readonly DriverName[] = ['ours', 'modbus-serial'];
export const RTU_BAUD = 19200;
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function benchProfile(id: string, points: number, table: 'input' | 'holding', type: 'float32' | 'uint16'): DeviceProfile {
  const name = { zh: '基准点', en: 'bench point' };
  const width = type === 'float32' ? 2 : 1;
  return DeviceProfileSchema.parse({
    id,
    name: { zh: '基准设备', en: 'bench device' },
    sector: 'general',
    protocol: 'modbus',
    points: Array.from({ length: points }, (_, i) => ({ id: `p${i}`, name, table, address: i * width, type, unit: '%', range: { min: 0, max: 65535 } })),
  });
}
export const TCP_PROFILE = benchProfile('bench-fleet-1000', 1000, 'input', 'float32');
export const RTU_PROFILE = benchProfile('bench-rtu-10', 10, 'holding', 'uint16');

export function driverFor(name: DriverName, d: DeviceInstance): ModbusDriver {
  const t = d.transport;
  if (t.kind === 'modbus-tcp') return name === 'ours' ? createModbusTcpDriver({ host: t.host, port: t.port, logger: silentLogger }) : createModbusSerialDriver({ kind: 'tcp', host: t.host, port: t.port });
  if (t.kind === 'modbus-rtu') {
    const line = { path: t.path, baudRate: t.baudRate, parity: t.parity, dataBits: t.dataBits, stopBits: t.stopBits };
    return name === 'ours' ? createModbusRtuDriver({ ...line, logger: silentLogger }) : createModbusSerialDriver({ kind: 'rtu', ...line });
  }
  throw new Error('not Modbus');
}

/**
 * Verdicts: `right` — the right values or the reason the readings should carry; `other reason` — the
 * readings go bad, as they should, but with a less precise reason; `WRONG` — values that are not the
 * request's (another request's, or a frame that should have been refused), or a hang.
 */
const EXPECTED: Record<Personality, string> = {
  correct: 'ok 0,1',
  silent: 'timeout',
  exception: 'exception',
  short: 'short_frame',
  garbled: 'comm_lost|crc_error',
  wrongUnit: 'timeout',
  // The next request gets its own values, or fails without values: our RTU master does not ask a unit
  // that timed out again until its late reply was seen or a window passed (RTU has no transaction id).
  late: 'timeout; then ok 100,101|timeout; then timeout',
};

export function verdict(p: Personality, outcome: string): string {
  if (EXPECTED[p].split('|').includes(outcome)) return 'right';
  const last = outcome.split('; then ').at(-1) ?? outcome;
  if (outcome === 'HANG' || (last.startsWith('ok') && last !== (p === 'late' ? 'ok 100,101' : 'ok 0,1')) || (p !== 'correct' && p !== 'late' && last.startsWith('ok'))) return 'WRONG';
  return 'other reason';
}

export async function faultCase(driver: DriverName, kind: 'tcp' | 'rtu', p: Personality): Promise<string> {
  const pty = kind === 'rtu' ? await createPtyPair() : undefined;
  const tcp = kind === 'tcp' ? await startTcpSlave(p) : undefined;
  const rtu = pty ? await startRtuSlave(pty.b, RTU_BAUD, p) : undefined;
  const instance = DeviceInstanceSchema.parse({
    id: 'd',
    profile: RTU_PROFILE.id,
    transport: pty ? { kind: 'modbus-rtu', path: pty.a, baudRate: RTU_BAUD, unitId: 1 } : { kind: 'modbus-tcp', host: '127.0.0.1', port: tcp?.port ?? 0, unitId: 1 },
  });
  const d = driverFor(driver, instance);
  const read = (start: number): Promise<string> =>
    Promise.race([
      d.readBlock(1, { table: 'holding', start, count: 2 }, { timeoutMs: 200 }).then(
        (v) => `ok ${v.join(',')}`,
        (err: unknown) => (err instanceof FieldRequestError ? err.reason : `threw ${String(err)}`),
      ),
      sleep(3000).then(() => 'HANG'),
    ]);
  try {
    await d.open({ timeoutMs: 1000 });
    if (p !== 'late') return await read(0);
    // The next request goes out at once, as the bus core sends it; the stale reply arrives while it waits.
    const first = await read(0);
    if (!d.isOpen()) await d.open({ timeoutMs: 1000 });
    return `${first}; then ${await read(100)}`;
  } finally {
    await Promise.race([d.close(), sleep(1000)]);
    await tcp?.stop();
    await rtu?.stop();
    await pty?.stop();
  }
}

export async function faults(): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (const kind of ['tcp', 'rtu'] as const) {
    for (const p of PERSONALITIES) {
      const row: Record<string, unknown> = { transport: kind, personality: p };
      for (const driver of DRIVERS) {
        const outcome = await faultCase(driver, kind, p);
        row[driver] = `${verdict(p, outcome)}: ${outcome}`;
      }
      process.stderr.write(`${JSON.stringify(row)}\n`);
      rows.push(row);
    }
  }
  return rows;
}
