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
    if (covers(block, table, address, count)) return block.values.slice(address - block.start, address - block.start + count);
  }
  return undefined;
}

function covers(block: ModbusBlockData, table: ModbusTable, address: number, count: number): boolean {
  return block.table === table && block.start <= address && address + count <= block.start + block.values.length;
}

/** Above this many blocks the pairwise overlap check is skipped and every lookup scans, as before. */
const MAX_PAIRWISE_BLOCKS = 64;

/** Whether two blocks of one table share a register (then two blocks may cover the same point). */
function blocksOverlap(data: readonly ModbusBlockData[]): boolean {
  if (data.length > MAX_PAIRWISE_BLOCKS) return true;
  for (let i = 0; i < data.length; i++) {
    const a = data[i]!;
    for (let j = i + 1; j < data.length; j++) {
      const b = data[j]!;
      if (a.table === b.table && a.start < b.start + b.values.length && b.start < a.start + a.values.length) return true;
    }
  }
  return false;
}

/**
 * The block covering a point, as sliceBlocks finds it (the first block in `data` that covers it),
 * without scanning every block for every point: points are usually listed in address order, so the
 * block that served the previous point is tried first. That shortcut is taken only when no two
 * blocks of a table overlap: then at most one block covers a point, the one a scan would find.
 */
class BlockCursor {
  private last: ModbusBlockData | undefined;
  private readonly data: readonly ModbusBlockData[];
  private readonly shortcut: boolean;

  constructor(data: readonly ModbusBlockData[]) {
    this.data = data;
    this.shortcut = !blocksOverlap(data);
  }

  find(table: ModbusTable, address: number, count: number): ModbusBlockData | undefined {
    const last = this.last;
    if (this.shortcut && last !== undefined && covers(last, table, address, count)) return last;
    for (let i = 0; i < this.data.length; i++) {
      const block = this.data[i]!;
      if (covers(block, table, address, count)) {
        this.last = block;
        return block;
      }
    }
    return undefined;
  }
}

/**
 * A point's words as an array of its own (it becomes DecodedPoint.raw), with the content
 * sliceBlocks gives: for the usual one-register point a literal, cheaper than slice's generic path.
 */
function wordsIn(block: ModbusBlockData, address: number, count: number): number[] {
  const from = address - block.start;
  if (count === 1) {
    const w = block.values[from];
    // undefined: a hole in a sparse array (drivers never send one), which slice keeps as a hole
    if (w !== undefined) return [w];
  }
  return block.values.slice(from, from + count);
}

function maxWord(table: ModbusTable): number {
  return table === 'coil' || table === 'discrete' ? 1 : 0xffff;
}

/** Every word an integer in 0..max. A plain loop: `.every` with a closure cost a call per word. */
function wordsValid(table: ModbusTable, words: readonly number[]): boolean {
  const max = maxWord(table);
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    // `.every` skipped holes of a sparse array; keep that (undefined is otherwise invalid)
    if (w === undefined && !(i in words)) continue;
    if (w === undefined || !Number.isInteger(w) || w < 0 || w > max) return false;
  }
  return true;
}

type Decoded = Omit<DecodedPoint, 'pointId' | 'exceeded'>;

/** What decoding a point needs, worked out once per profile (decode runs every poll cycle). */
interface CompiledPoint {
  point: ModbusPointDef;
  span: number;
  numeric: boolean;
  kind: RawNumberKind;
  decimals: number;
  /** undefined when the point has none (most have none; an empty Set still costs a hash lookup). */
  sentinels: ReadonlySet<number> | undefined;
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
      sentinels: sentinelSet(point.sentinels),
    }));
    compiledProfiles.set(profile, compiled);
  }
  return compiled;
}

function sentinelSet(sentinels: readonly number[]): ReadonlySet<number> | undefined {
  return sentinels.length === 0 ? undefined : new Set(sentinels);
}

/**
 * Steps 1 to 5 into `d`, which holds value null, quality good, the words as raw and the point's unit.
 * The caller builds that object (with or without pointId/exceeded), so a reading is made once, not
 * decoded then copied; reason and detail, when there are any, are added here after the caller's keys.
 */
function decodeInto<T extends Decoded>(c: CompiledPoint, d: T): T {
  const { point } = c;
  const words = d.raw;
  if (!wordsValid(point.table, words)) return bad(d, `raw ${point.table} words out of range: ${words.join(',')}`);
  const raw = decodeRaw(point, words);
  if (typeof raw !== 'number' || !c.numeric) {
    d.value = raw;
    return d;
  }
  if (!Number.isFinite(raw)) return bad(d, `raw ${point.type} is ${raw}`);
  if (c.sentinels?.has(raw) === true) return bad(d, `raw value ${raw} is a no-measurement sentinel`);
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

function bad<T extends Decoded>(d: T, detail: string): T {
  d.quality = 'bad';
  d.reason = 'decode_error';
  d.detail = detail;
  return d;
}

/** Steps 1 to 5 for one point, before status registers are applied. */
export function decodePointWords(point: ModbusPointDef, words: number[]): Decoded {
  const kind: RawNumberKind = point.type === 'float32' ? 'float32' : point.type === 'float64' ? 'float64' : 'integer';
  const c = { point, span: pointSpan(point), numeric: isNumericType(point.type), kind, decimals: resultDecimals(point.scale, point.offset), sentinels: sentinelSet(point.sentinels) };
  const d: Decoded = point.unit === undefined ? { value: null, quality: 'good', raw: words } : { value: null, quality: 'good', raw: words, unit: point.unit };
  return decodeInto(c, d);
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
  const cursor = new BlockCursor(data);
  const out: DecodedPoint[] = [];
  for (const c of compile(modbus)) {
    const { point } = c;
    const block = cursor.find(point.table, point.address, c.span);
    if (block === undefined) continue;
    const d = decodeInto(c, newReading(point, wordsIn(block, point.address, c.span)));
    const limits = overrides?.get(point.id) ?? point.limits;
    if (typeof d.value === 'number' && limits.length > 0) d.exceeded = exceededLevels(d.value, limits);
    const verdict = status?.get(point.id);
    if (verdict !== undefined) applyStatus(d, verdict);
    if (d.detail !== undefined) d.detail = clipDetail(d.detail);
    out.push(d);
  }
  return out;
}

/**
 * A reading before decoding, its keys in the order readings have always had them (JSON output
 * follows it). The unit goes in the literal: added afterwards it cost a property-store allocation
 * per reading.
 */
function newReading(point: ModbusPointDef, raw: number[]): DecodedPoint {
  return point.unit === undefined
    ? { pointId: point.id, value: null, quality: 'good', raw, exceeded: NO_LEVELS }
    : { pointId: point.id, value: null, quality: 'good', raw, exceeded: NO_LEVELS, unit: point.unit };
}

/**
 * A status register's verdict replaces the decode's when it is at least as bad (worseVerdict): its
 * quality, reason and detail, with no reason or detail of the decode's left over.
 */
function applyStatus(d: DecodedPoint, verdict: QualityVerdict): void {
  if (worseVerdict(d, verdict) !== verdict) return;
  d.quality = verdict.quality;
  if (verdict.reason !== undefined) d.reason = verdict.reason;
  else delete d.reason;
  if (verdict.detail !== undefined) d.detail = verdict.detail;
  else delete d.detail;
}
