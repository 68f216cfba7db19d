/** Modbus registers as read → engineering values with quality (the pipeline in transform.ts). */
import { SafeLoopError, type AlarmLimit } from '@safeloop/contract';
import { effectiveLimits, exceededLevels } from './limits.ts';
import { decodeRaw, isNumericType, pointSpan } from './register-codec.ts';
import type { DeviceProfile, ModbusPointDef, ModbusProfile, ModbusTable, StatusRegister } from './schema.ts';
import { statusVerdict } from './status-registers.ts';
import { rangeVerdict, scaleValue, worseVerdict, type DecodedPoint, type QualityVerdict } from './transform.ts';

/** One block as the driver read it: registers as uint16 0..65535, or 0/1 for coils/discrete inputs. */
export interface ModbusBlockData {
  table: ModbusTable;
  start: number;
  values: readonly number[];
}

export interface DecodeOptions {
  /** Instance limit overrides per point id (replace the profile's defaults for that point). */
  limits?: Record<string, readonly AlarmLimit[]>;
}

export function requireModbus(profile: DeviceProfile): ModbusProfile {
  if (profile.protocol !== 'modbus') {
    throw new SafeLoopError('PROFILE_WRONG_PROTOCOL', `profile ${profile.id} is ${profile.protocol}, not modbus`, { details: { profile: profile.id } });
  }
  return profile;
}

/** The words at [address, address+count) if some block covers them all, else undefined. */
export function sliceBlocks(data: readonly ModbusBlockData[], table: ModbusTable, address: number, count: number): number[] | undefined {
  for (const block of data) {
    if (block.table === table && block.start <= address && address + count <= block.start + block.values.length) {
      return block.values.slice(address - block.start, address - block.start + count);
    }
  }
  return undefined;
}

function wordsValid(table: ModbusTable, words: readonly number[]): boolean {
  const max = table === 'coil' || table === 'discrete' ? 1 : 0xffff;
  return words.every((w) => Number.isInteger(w) && w >= 0 && w <= max);
}

/** Step 1 to 5 for one point, before status registers are applied. */
export function decodePointWords(point: ModbusPointDef, words: number[]): Omit<DecodedPoint, 'pointId' | 'exceeded'> {
  const base = { raw: words, ...(point.unit === undefined ? {} : { unit: point.unit }) };
  if (!wordsValid(point.table, words)) {
    return { ...base, value: null, quality: 'bad', reason: 'decode_error', detail: `raw ${point.table} words out of range: ${words.join(',')}` };
  }
  const raw = decodeRaw(point, words);
  if (typeof raw !== 'number' || !isNumericType(point.type)) return { ...base, value: raw, quality: 'good' };
  if (!Number.isFinite(raw)) return { ...base, value: null, quality: 'bad', reason: 'decode_error', detail: `raw ${point.type} is ${raw}` };
  if (point.sentinels.includes(raw)) return { ...base, value: null, quality: 'bad', reason: 'decode_error', detail: `raw value ${raw} is a no-measurement sentinel` };
  const kind = point.type === 'float32' ? 'float32' : point.type === 'float64' ? 'float64' : 'integer';
  const value = scaleValue(raw, point.scale, point.offset, kind);
  return { ...base, value, ...rangeVerdict(value, point.range, point.outOfRange) };
}

function statusVerdicts(profile: ModbusProfile, data: readonly ModbusBlockData[]): Map<string, QualityVerdict> {
  const byPoint = new Map<string, QualityVerdict>();
  const apply = (reg: StatusRegister, verdict: QualityVerdict): void => {
    for (const id of reg.appliesTo) byPoint.set(id, worseVerdict(byPoint.get(id) ?? { quality: 'good' }, verdict));
  };
  for (const reg of profile.status) {
    const word = sliceBlocks(data, reg.table, reg.address, 1)?.[0];
    if (word === undefined) {
      apply(reg, { quality: 'uncertain', reason: 'comm_lost', detail: `status ${reg.id} (${reg.table} ${reg.address}) was not read` });
    } else if (!wordsValid(reg.table, [word])) {
      apply(reg, { quality: 'bad', reason: 'decode_error', detail: `status ${reg.id} raw word ${word} out of range` });
    } else {
      apply(reg, statusVerdict(reg, word));
    }
  }
  return byPoint;
}

/**
 * Decode every point whose registers are all inside the given blocks. Points whose block is missing
 * are not returned: the driver knows whether that means comm-loss. A status register covering a
 * returned point that was not read makes that point uncertain (`comm_lost`): its state is unknown.
 */
export function decodeModbusPoints(profile: DeviceProfile, data: readonly ModbusBlockData[], opts: DecodeOptions = {}): DecodedPoint[] {
  const modbus = requireModbus(profile);
  const status = statusVerdicts(modbus, data);
  const out: DecodedPoint[] = [];
  for (const point of modbus.points) {
    const words = sliceBlocks(data, point.table, point.address, pointSpan(point));
    if (words === undefined) continue;
    const decoded = decodePointWords(point, words);
    const { quality, reason, detail } = worseVerdict(decoded, status.get(point.id) ?? { quality: 'good' });
    const limits = effectiveLimits(modbus, point.id, opts.limits);
    out.push({
      pointId: point.id,
      value: decoded.value,
      ...(decoded.unit === undefined ? {} : { unit: decoded.unit }),
      quality,
      ...(reason === undefined ? {} : { reason }),
      ...(detail === undefined ? {} : { detail }),
      raw: decoded.raw,
      exceeded: typeof decoded.value === 'number' ? exceededLevels(decoded.value, limits) : [],
    });
  }
  return out;
}
