/** Modbus registers as read → engineering values with quality (the pipeline in transform.ts). */
import { SafeLoopError, type AlarmLevel, type AlarmLimit } from '@safeloop/contract';
import { exceededLevels } from './limits.ts';
import { decodeRaw, isNumericType, pointSpan } from './register-codec.ts';
import type { DeviceProfile, ModbusPointDef, ModbusProfile, ModbusTable, StatusRegister } from './schema.ts';
import { statusVerdict } from './status-registers.ts';
import { clipDetail, rangeVerdict, resultDecimals, scaleValue, worseVerdict, type DecodedPoint, type QualityVerdict, type RawNumberKind } from './transform.ts';

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

type Decoded = Omit<DecodedPoint, 'pointId' | 'exceeded'>;

/** What decoding a point needs, worked out once per profile (decode runs every poll cycle). */
interface CompiledPoint {
  point: ModbusPointDef;
  span: number;
  numeric: boolean;
  kind: RawNumberKind;
  decimals: number;
  sentinels: ReadonlySet<number>;
}

const compiledProfiles = new WeakMap<ModbusProfile, readonly CompiledPoint[]>();

function compile(profile: ModbusProfile): readonly CompiledPoint[] {
  let compiled = compiledProfiles.get(profile);
  if (compiled === undefined) {
    compiled = profile.points.map((point) => ({
      point,
      span: pointSpan(point),
      numeric: isNumericType(point.type),
      kind: point.type === 'float32' ? 'float32' : point.type === 'float64' ? 'float64' : 'integer',
      decimals: resultDecimals(point.scale, point.offset),
      sentinels: new Set(point.sentinels),
    }));
    compiledProfiles.set(profile, compiled);
  }
  return compiled;
}

function decodeCompiled(c: CompiledPoint, words: number[]): Decoded {
  const { point } = c;
  const d: Decoded = { value: null, quality: 'good', raw: words };
  if (point.unit !== undefined) d.unit = point.unit;
  if (!wordsValid(point.table, words)) return bad(d, `raw ${point.table} words out of range: ${words.join(',')}`);
  const raw = decodeRaw(point, words);
  if (typeof raw !== 'number' || !c.numeric) {
    d.value = raw;
    return d;
  }
  if (!Number.isFinite(raw)) return bad(d, `raw ${point.type} is ${raw}`);
  if (c.sentinels.has(raw)) return bad(d, `raw value ${raw} is a no-measurement sentinel`);
  const value = scaleValue(raw, point.scale, point.offset, c.kind, c.decimals);
  d.value = value;
  if (point.range !== undefined && (value < point.range.min || value > point.range.max)) {
    const v = rangeVerdict(value, point.range, point.outOfRange);
    d.quality = v.quality;
    if (v.reason !== undefined) d.reason = v.reason;
    if (v.detail !== undefined) d.detail = v.detail;
  }
  return d;
}

function bad(d: Decoded, detail: string): Decoded {
  d.quality = 'bad';
  d.reason = 'decode_error';
  d.detail = detail;
  return d;
}

/** Steps 1 to 5 for one point, before status registers are applied. */
export function decodePointWords(point: ModbusPointDef, words: number[]): Decoded {
  const kind: RawNumberKind = point.type === 'float32' ? 'float32' : point.type === 'float64' ? 'float64' : 'integer';
  const c = { point, span: pointSpan(point), numeric: isNumericType(point.type), kind, decimals: resultDecimals(point.scale, point.offset), sentinels: new Set(point.sentinels) };
  return decodeCompiled(c, words);
}

function statusVerdicts(profile: ModbusProfile, data: readonly ModbusBlockData[]): Map<string, QualityVerdict> {
  const byPoint = new Map<string, QualityVerdict>();
  const apply = (reg: StatusRegister, verdict: QualityVerdict): void => {
    if (verdict.quality === 'good') return;
    for (const id of reg.appliesTo) byPoint.set(id, worseVerdict(byPoint.get(id) ?? GOOD, verdict));
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

const GOOD: QualityVerdict = { quality: 'good' };
/** `exceeded` of a point with no limit reached: one shared, frozen empty list (no garbage per reading). */
const NO_LEVELS: readonly AlarmLevel[] = Object.freeze([]);

const overrideMaps = new WeakMap<Record<string, readonly AlarmLimit[]>, ReadonlyMap<string, readonly AlarmLimit[]> | undefined>();

/**
 * An instance's limit overrides as a Map, built once per overrides object (undefined when there are
 * none): looking a point id up in the plain record, usually empty, was a megamorphic keyed load that
 * missed through the prototype chain for every reading.
 */
function overrideMap(limits: Record<string, readonly AlarmLimit[]>): ReadonlyMap<string, readonly AlarmLimit[]> | undefined {
  if (overrideMaps.has(limits)) return overrideMaps.get(limits);
  const keys = Object.keys(limits);
  const map = keys.length === 0 ? undefined : new Map(keys.map((k) => [k, limits[k]!] as const));
  overrideMaps.set(limits, map);
  return map;
}

/**
 * Decode every point whose registers are all inside the given blocks. Points whose block is missing
 * are not returned: the driver knows whether that means comm-loss. A status register covering a
 * returned point that was not read makes that point uncertain (`comm_lost`): its state is unknown.
 * `opts.limits` are the instance overrides (validate them once with effectiveLimits when loading).
 */
export function decodeModbusPoints(profile: DeviceProfile, data: readonly ModbusBlockData[], opts: DecodeOptions = {}): DecodedPoint[] {
  const modbus = requireModbus(profile);
  const status = modbus.status.length > 0 ? statusVerdicts(modbus, data) : undefined;
  const overrides = opts.limits === undefined ? undefined : overrideMap(opts.limits);
  const out: DecodedPoint[] = [];
  for (const c of compile(modbus)) {
    const { point } = c;
    const words = sliceBlocks(data, point.table, point.address, c.span);
    if (words === undefined) continue;
    const decoded = decodeCompiled(c, words);
    const limits = overrides?.get(point.id) ?? point.limits;
    const result: DecodedPoint = {
      pointId: point.id,
      value: decoded.value,
      quality: decoded.quality,
      raw: decoded.raw,
      exceeded: typeof decoded.value === 'number' && limits.length > 0 ? exceededLevels(decoded.value, limits) : NO_LEVELS,
    };
    if (decoded.unit !== undefined) result.unit = decoded.unit;
    const verdict = status?.get(point.id);
    const final = verdict === undefined ? decoded : worseVerdict(decoded, verdict);
    result.quality = final.quality;
    if (final.reason !== undefined) result.reason = final.reason;
    if (final.detail !== undefined) result.detail = clipDetail(final.detail);
    out.push(result);
  }
  return out;
}
