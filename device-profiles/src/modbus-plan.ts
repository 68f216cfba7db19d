/**
 * Read planning: which Modbus requests fetch a profile's points (and the status registers that
 * qualify them) in as few requests as the protocol allows. Contiguous and near-contiguous spans of
 * one table merge while the gap between them is at most `maxGap` unused registers/bits and the block
 * stays within `maxRegisters` (FC3/FC4 limit 125) or `maxBits` (FC1/FC2 limit 2000). A profile's
 * `readHints` lower these further for devices that need it (never raise them).
 */
import { SafeLoopError } from '@safeloop/contract';
import { findPoint } from './limits.ts';
import { requireModbus } from './modbus-decode.ts';
import { pointSpan } from './register-codec.ts';
import { MODBUS_TABLES, type DeviceProfile, type ModbusTable } from './schema.ts';

export interface ModbusReadBlock {
  table: ModbusTable;
  start: number;
  count: number;
  /** Points entirely inside this block. */
  pointIds: string[];
}

export interface PlanOptions {
  maxRegisters?: number;
  maxBits?: number;
  maxGap?: number;
  /** Only these points (and the status registers covering them); default all. */
  pointIds?: readonly string[];
}

interface Span {
  start: number;
  end: number;
  pointIds: string[];
}

function checkLimit(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SafeLoopError('PROFILE_PLAN_INVALID', `${name} must be an integer ${min}..${max}, got ${value}`, { details: { [name]: value } });
  }
  return value;
}

export function planModbusReads(profile: DeviceProfile, opts: PlanOptions = {}): ModbusReadBlock[] {
  const modbus = requireModbus(profile);
  const hints = modbus.readHints ?? {};
  const maxRegisters = Math.min(checkLimit('maxRegisters', opts.maxRegisters ?? 125, 1, 125), hints.maxRegisters ?? 125);
  const maxBits = Math.min(checkLimit('maxBits', opts.maxBits ?? 2000, 1, 2000), hints.maxBits ?? 2000);
  const maxGap = Math.min(checkLimit('maxGap', opts.maxGap ?? 8, 0, 2000), hints.maxGap ?? 2000);
  const wanted = opts.pointIds === undefined ? undefined : new Set(opts.pointIds);
  if (wanted !== undefined) for (const id of wanted) findPoint(modbus, id);

  const spans = new Map<ModbusTable, Span[]>(MODBUS_TABLES.map((t) => [t, []]));
  for (const point of modbus.points) {
    if (wanted !== undefined && !wanted.has(point.id)) continue;
    spans.get(point.table)?.push({ start: point.address, end: point.address + pointSpan(point), pointIds: [point.id] });
  }
  for (const reg of modbus.status) {
    if (wanted !== undefined && !reg.appliesTo.some((id) => wanted.has(id))) continue;
    spans.get(reg.table)?.push({ start: reg.address, end: reg.address + 1, pointIds: [] });
  }

  const blocks: ModbusReadBlock[] = [];
  for (const table of MODBUS_TABLES) {
    const max = table === 'coil' || table === 'discrete' ? maxBits : maxRegisters;
    const sorted = (spans.get(table) ?? []).sort((a, b) => a.start - b.start || b.end - a.end);
    let cur: Span | undefined;
    for (const span of sorted) {
      if (span.end - span.start > max) {
        throw new SafeLoopError('PROFILE_PLAN_INVALID', `${table} ${span.start}..${span.end - 1} (${span.pointIds.join(',') || 'status'}) is longer than a read of ${max}`, {
          details: { table, start: span.start, count: span.end - span.start, max },
        });
      }
      if (cur !== undefined && span.start - cur.end <= maxGap && Math.max(cur.end, span.end) - cur.start <= max) {
        cur.end = Math.max(cur.end, span.end);
        cur.pointIds.push(...span.pointIds);
        continue;
      }
      if (cur !== undefined) blocks.push({ table, start: cur.start, count: cur.end - cur.start, pointIds: cur.pointIds });
      cur = { start: span.start, end: span.end, pointIds: [...span.pointIds] };
    }
    if (cur !== undefined) blocks.push({ table, start: cur.start, count: cur.end - cur.start, pointIds: cur.pointIds });
  }
  return blocks;
}
