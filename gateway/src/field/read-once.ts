/**
 * The technician's test-read (`safeloop read`): read every point of one device once and return the
 * decoded values with the raw registers they came from. Failures are rows with bad quality, not
 * exceptions, except when the device cannot be reached at all.
 */
import { silentLogger, type Logger } from '@safeloop/contract';
import type { DecodedPoint } from '@safeloop/device-profiles';
import type { Transport } from './config.ts';
import { toRequestError } from './errors.ts';
import { decodeDevicePoints, loadModbusProfile, planBlocks, type BlockResult, type ProfileResolver } from './modbus-device.ts';
import type { ModbusDriver } from './modbus-driver.ts';
import { createModbusRtuDriver } from './modbus-rtu-driver.ts';
import { createModbusTcpDriver } from './modbus-tcp-driver.ts';
import { decodeDataValue, loadOpcuaProfile, readValueIds, type OpcuaPointRef } from './opcua-points.ts';
import type { FieldRequestError } from './errors.ts';

export type ReadRow = DecodedPoint & { raw: number[] };

export interface ReadDeviceOnceOptions {
  profileId: string;
  transport: Transport;
  logger?: Logger;
  /** Per-request timeout; defaults to the transport's. */
  timeoutMs?: number;
  /** Profile lookup; default the library's getProfile. */
  resolveProfile?: ProfileResolver;
}

async function readModbusOnce(o: ReadDeviceOnceOptions, driver: ModbusDriver, unitId: number, timeoutMs: number, maxGap?: number, maxRegisters?: number): Promise<ReadRow[]> {
  const profile = loadModbusProfile(o.profileId, 'safeloop read', o.resolveProfile);
  const blocks = planBlocks(profile, { maxGap, maxRegisters });
  await driver.open({ timeoutMs });
  try {
    const results: (BlockResult | FieldRequestError)[] = [];
    for (const block of blocks) {
      try {
        results.push({ table: block.table, start: block.start, values: await driver.readBlock(unitId, block, { timeoutMs }) });
      } catch (err) {
        results.push(toRequestError(err));
      }
    }
    return decodeDevicePoints(
      { profile, blocks, pointIds: profile.points.map((p) => p.id), units: new Map(profile.points.map((p) => [p.id, p.unit])), instance: { limits: {} } },
      results,
    );
  } finally {
    await driver.close();
  }
}

export async function readDeviceOnce(o: ReadDeviceOnceOptions): Promise<ReadRow[]> {
  const logger = o.logger ?? silentLogger;
  const t = o.transport;
  switch (t.kind) {
    case 'modbus-tcp':
      return readModbusOnce(o, createModbusTcpDriver({ host: t.host, port: t.port, logger }), t.unitId, o.timeoutMs ?? t.timeoutMs, t.maxGap, t.maxRegisters);
    case 'modbus-rtu': {
      const driver = createModbusRtuDriver({ path: t.path, baudRate: t.baudRate, parity: t.parity, dataBits: t.dataBits, stopBits: t.stopBits, logger });
      return readModbusOnce(o, driver, t.unitId, o.timeoutMs ?? t.timeoutMs, t.maxGap, t.maxRegisters);
    }
    case 'opcua': {
      const profile = loadOpcuaProfile(o.profileId, 'safeloop read', o.resolveProfile);
      const transport = o.timeoutMs === undefined ? t : { ...t, timeoutMs: o.timeoutMs };
      const { connectOpcua } = await import('./opcua-connection.ts');
      const conn = await connectOpcua({ transport, logger, applicationName: 'SafeLoopRead' });
      try {
        const refs: OpcuaPointRef[] = profile.points.map((point) => ({ deviceId: 'read', site: 'read', point, path: `read/read/${point.id}`, limits: point.limits }));
        const values = await conn.session.read(readValueIds(refs));
        return refs.map((ref, i) => {
          const dv = values[i];
          if (!dv) return { pointId: ref.point.id, value: null, quality: 'bad', reason: 'comm_lost', detail: 'no value returned', raw: [], exceeded: [] };
          return decodeDataValue(ref, dv);
        });
      } finally {
        await conn.close();
      }
    }
  }
}

function hex(n: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(4, '0')}`;
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '—';
  return String(v);
}

/** A plain-text table: point, value, unit, quality (with reason and detail), raw registers. */
export function formatReadTable(rows: readonly ReadRow[]): string {
  const header = ['point', 'value', 'unit', 'quality', 'raw'];
  const body = rows.map((r) => [
    r.pointId,
    cell(r.value),
    r.unit ?? '',
    r.quality + (r.reason ? ` (${r.reason}${r.detail ? `: ${r.detail}` : ''})` : ''),
    r.raw.map(hex).join(' '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cols: string[]): string => cols.map((c, i) => (i === cols.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
