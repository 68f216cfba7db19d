/**
 * One simulated Modbus device: a profile's register map whose values follow scenario curves,
 * with writes, frozen values and fault personalities. Transport-free — the TCP and RTU servers
 * call `read`/`write` with already-decoded requests.
 */
import { SafeLoopError, silentLogger, type Logger } from '@safeloop/contract';
import { CurveSchema, evaluateCurve, seedFromName, type Curve } from '../scenario/curve.ts';
import type { ScenarioClock } from '../scenario/scenario-clock.ts';
import { fastEncodeNumeric } from './fast-encode.ts';
import { FaultSchema, MODBUS_EXCEPTION, type Fault, type FaultKind } from './faults.ts';
import {
  encodePoint,
  isBitInRegister,
  loadSimProfile,
  normalStatusValue,
  requireModbusProfile,
  restingValue,
  statusValueFor,
  type DeviceProfile,
  type DeviceState,
  type ModbusPointDef,
  type ModbusProfile,
  type ModbusTable,
  type PointValue,
  type StatusRegister,
} from '../profile-access.ts';

/** A device behind a simulator, as a test or a plant file declares it. */
export interface SimDevice {
  unitId: number;
  profileId: string;
  /** A profile object to serve instead of looking `profileId` up (e.g. a generated benchmark profile). */
  profile?: DeviceProfile;
  /** Curves per point id; points without one rest at a value inside their normal limits. */
  points?: Record<string, Curve>;
  faults?: Fault[];
  /**
   * `address`: every register holds its own address (coils/discrete: address & 1) instead of the
   * profile's values, so a reply landing on the wrong request is detectable (RELIABILITY.md C2).
   */
  registerMode?: 'profile' | 'address';
  /** Read Device Identification (43/14) basic objects; absent = the device answers illegal function. */
  identification?: { vendorName: string; productCode: string; revision: string };
}

/** Curves are numeric: a boolean point is on at ≥ 0.5; a text point shows the number as text. */
function coerce(p: ModbusPointDef, value: PointValue): PointValue {
  const booleanPoint = p.table === 'coil' || p.table === 'discrete' || p.type === 'bool' || p.type === 'bit';
  if (booleanPoint) return typeof value === 'number' ? value >= 0.5 : value === true || value === 'true';
  if (p.type === 'string') return String(value);
  return typeof value === 'boolean' ? (value ? 1 : 0) : value;
}

/** A point with its last encoded value; `single` is a one-point profile so encoding is O(1). */
interface PointSlot {
  point: ModbusPointDef;
  single: ModbusProfile;
  last: PointValue | undefined;
  encoded: number[] | undefined;
  table: ModbusTable;
  address: number;
  /** Registers (or bits) the point occupies. */
  span: number;
  refreshedAt: number;
  generation: number;
}

/** A register several sources share: bit points OR-ed together, plus status registers. */
interface ComposedRegister {
  table: ModbusTable;
  address: number;
  bits: PointSlot[];
  status: StatusRegister[];
}

function composeRegisters(slots: readonly PointSlot[], status: readonly StatusRegister[]): ComposedRegister[] {
  const byKey = new Map<string, ComposedRegister>();
  const at = (table: ModbusTable, address: number): ComposedRegister => {
    const key = `${table}:${address}`;
    let c = byKey.get(key);
    if (c === undefined) {
      c = { table, address, bits: [], status: [] };
      byKey.set(key, c);
    }
    return c;
  };
  for (const slot of slots) if (isBitInRegister(slot.point)) at(slot.point.table, slot.point.address).bits.push(slot);
  for (const reg of status) at(reg.table, reg.address).status.push(reg);
  return [...byKey.values()];
}

export type ReadResult = { ok: true; values: number[] } | { ok: false; exception: number };

const REGISTER_TABLES: readonly ModbusTable[] = ['holding', 'input'];

interface TableImage {
  /** Registers (0..65535) or bits (0/1). */
  data: Uint16Array;
  /** Addresses >= size are outside the map (illegal data address). */
  size: number;
}

export interface SimDeviceDeps {
  scenario: ScenarioClock;
  logger?: Logger;
  /** Recompute the register image at most this often (ms); 0 = on every request. */
  refreshMs?: number;
  /** Monotonic ms for the refresh cache; defaults to performance.now(). */
  monotonic?: () => number;
}

export class SimulatedModbusDevice {
  readonly unitId: number;
  readonly profileId: string;
  readonly identification: SimDevice['identification'];
  private readonly profile: ModbusProfile | undefined;
  private readonly points: ModbusPointDef[];
  private readonly statusRegisters: StatusRegister[];
  private readonly statusValues = new Map<string, number>();
  private readonly slots: PointSlot[];
  private readonly pointById: Map<string, ModbusPointDef>;
  private readonly composed: ComposedRegister[];
  private readonly curves = new Map<string, Curve>();
  private readonly fixed = new Map<string, PointValue>();
  private readonly seeds = new Map<string, number>();
  private readonly writes = new Map<ModbusTable, Map<number, number>>();
  private readonly images = new Map<ModbusTable, TableImage>();
  private readonly addressMode: boolean;
  private readonly logger: Logger;
  private readonly refreshMs: number;
  private readonly monotonic: () => number;
  private faultList: Fault[] = [];
  /** Bumped by every change (setValue, setCurve, setStatus, writes, faults): slots older than it are stale. */
  private generation = 1;
  /** Slots per table sorted by address, for reads that refresh only what they cover. */
  private readonly slotsByTable = new Map<ModbusTable, PointSlot[]>();
  /** Longest point (registers); bounds the search for points that start before a read. */
  private maxSpan = 1;
  private readonly encodeFailures = new Set<string>();
  requests = 0;

  constructor(spec: SimDevice, private readonly deps: SimDeviceDeps) {
    this.unitId = spec.unitId;
    this.profileId = spec.profileId;
    this.identification = spec.identification;
    this.addressMode = spec.registerMode === 'address';
    this.logger = (deps.logger ?? silentLogger).child({ unitId: spec.unitId, profile: spec.profileId });
    this.refreshMs = deps.refreshMs ?? 100;
    this.monotonic = deps.monotonic ?? (() => performance.now());
    if (this.addressMode && spec.profile === undefined) {
      this.profile = undefined;
      this.points = [];
      this.statusRegisters = [];
    } else {
      this.profile = requireModbusProfile(spec.profile ?? loadSimProfile(spec.profileId));
      this.points = this.profile.points;
      this.statusRegisters = this.profile.status;
    }
    for (const reg of this.statusRegisters) this.statusValues.set(reg.id, normalStatusValue(reg));
    this.pointById = new Map(this.points.map((p) => [p.id, p]));
    const profile = this.profile;
    this.slots =
      profile === undefined
        ? []
        : this.points.map((point) => ({
            point,
            single: { ...profile, points: [point] },
            last: undefined,
            encoded: undefined,
            table: point.table,
            address: point.address,
            span: 1,
            refreshedAt: Number.NEGATIVE_INFINITY,
            generation: 0,
          }));
    this.composed = composeRegisters(this.slots, this.statusRegisters);
    for (const p of this.points) this.seeds.set(p.id, seedFromName(`${spec.unitId}/${p.id}`));
    for (const [pointId, curve] of Object.entries(spec.points ?? {})) this.setCurve(pointId, curve);
    this.faultList = (spec.faults ?? []).map((f) => FaultSchema.parse(f));
    this.sizeTables();
  }

  get faults(): readonly Fault[] {
    return this.faultList;
  }

  fault<K extends FaultKind>(kind: K): Extract<Fault, { kind: K }> | undefined {
    return this.faultList.find((f): f is Extract<Fault, { kind: K }> => f.kind === kind);
  }

  /** Replace the device's faults with `fault` (or clear them with null). */
  setFault(fault: Fault | null): void {
    const wasStuck = this.fault('stuck') !== undefined;
    this.faultList = fault === null ? [] : [FaultSchema.parse(fault)];
    if (fault?.kind === 'stuck' && !wasStuck) this.refreshAll();
    if (fault?.kind !== 'stuck') this.generation += 1;
  }

  setCurve(pointId: string, curve: Curve): void {
    this.requirePoint(pointId);
    this.curves.set(pointId, CurveSchema.parse(curve));
    this.fixed.delete(pointId);
    this.generation += 1;
  }

  setValue(pointId: string, value: PointValue): void {
    this.requirePoint(pointId);
    this.fixed.set(pointId, value);
    this.generation += 1;
  }

  /**
   * Put a status register into a state (`fault`, `calibration`, …, via its code or flag bit) or
   * to a raw register value.
   */
  setStatus(statusId: string, state: DeviceState | number): void {
    const reg = this.statusRegisters.find((r) => r.id === statusId);
    if (reg === undefined) {
      throw new SafeLoopError('RIG_ERR_UNKNOWN_POINT', `profile ${this.profileId} (unit ${this.unitId}) has no status register "${statusId}"`);
    }
    const raw = typeof state === 'number' ? state : statusValueFor(reg, state);
    if (raw === undefined) throw new SafeLoopError('RIG_ERR_BAD_STATE', `status register ${statusId} has no code or bit for state "${String(state)}"`);
    this.statusValues.set(statusId, raw & 0xffff);
    this.generation += 1;
  }

  /** The engineering value a point has now (before encoding). */
  valueOf(pointId: string): PointValue {
    const p = this.requirePoint(pointId);
    return this.currentValue(p);
  }

  read(table: ModbusTable, address: number, count: number): ReadResult {
    if (this.addressMode) {
      const values = new Array<number>(count);
      for (let i = 0; i < count; i++) {
        const a = address + i;
        values[i] = REGISTER_TABLES.includes(table) ? a & 0xffff : a & 1;
      }
      return { ok: true, values };
    }
    const image = this.images.get(table);
    if (image === undefined || address + count > image.size) return { ok: false, exception: MODBUS_EXCEPTION.illegalDataAddress };
    if (this.fault('stuck') === undefined) this.refreshRange(table, address, address + count, false);
    return { ok: true, values: Array.from(image.data.subarray(address, address + count)) };
  }

  /** Writes land in an overlay that outlives curve updates (a setpoint written by the master). */
  write(table: ModbusTable, address: number, values: readonly number[]): ReadResult {
    if (table !== 'holding' && table !== 'coil') return { ok: false, exception: MODBUS_EXCEPTION.illegalFunction };
    const image = this.images.get(table);
    if (!this.addressMode && (image === undefined || address + values.length > image.size)) {
      return { ok: false, exception: MODBUS_EXCEPTION.illegalDataAddress };
    }
    let overlay = this.writes.get(table);
    if (overlay === undefined) {
      overlay = new Map();
      this.writes.set(table, overlay);
    }
    values.forEach((v, i) => overlay.set(address + i, table === 'coil' ? (v ? 1 : 0) : v & 0xffff));
    this.generation += 1;
    return { ok: true, values: [...values] };
  }

  private requirePoint(pointId: string): ModbusPointDef {
    const p = this.pointById.get(pointId);
    if (p === undefined) {
      throw new SafeLoopError('RIG_ERR_UNKNOWN_POINT', `profile ${this.profileId} (unit ${this.unitId}) has no Modbus point "${pointId}"`, {
        details: { unitId: this.unitId, profileId: this.profileId, pointId },
      });
    }
    return p;
  }

  private currentValue(p: ModbusPointDef): PointValue {
    const fixed = this.fixed.get(p.id);
    if (fixed !== undefined) return coerce(p, fixed);
    const curve = this.curves.get(p.id);
    if (curve !== undefined) return coerce(p, evaluateCurve(curve, this.deps.scenario.elapsedSec(), this.seeds.get(p.id) ?? 0));
    return restingValue(p);
  }

  /** Table sizes from the map: one past the last register any point (at its resting value) uses. */
  private sizeTables(): void {
    const sizes = new Map<ModbusTable, number>();
    for (const slot of this.slots) {
      const enc = this.safeEncode(slot, restingValue(slot.point));
      if (enc === undefined) continue;
      slot.table = enc.table;
      slot.address = enc.address;
      slot.span = enc.values.length;
      this.maxSpan = Math.max(this.maxSpan, slot.span);
      sizes.set(enc.table, Math.max(sizes.get(enc.table) ?? 0, enc.address + enc.values.length));
      const list = this.slotsByTable.get(enc.table) ?? [];
      list.push(slot);
      this.slotsByTable.set(enc.table, list);
    }
    for (const list of this.slotsByTable.values()) list.sort((a, b) => a.address - b.address);
    for (const reg of this.statusRegisters) sizes.set(reg.table, Math.max(sizes.get(reg.table) ?? 0, reg.address + 1));
    for (const [table, size] of sizes) this.images.set(table, { data: new Uint16Array(size), size });
  }

  private safeEncode(slot: PointSlot, value: PointValue): { table: ModbusTable; address: number; values: number[] } | undefined {
    const fast = fastEncodeNumeric(slot.point, value);
    if (fast !== undefined) return { table: slot.point.table, address: slot.point.address, values: fast };
    try {
      return encodePoint(slot.single, slot.point.id, value);
    } catch (err) {
      if (!this.encodeFailures.has(slot.point.id)) {
        this.encodeFailures.add(slot.point.id);
        this.logger.warn({ point: slot.point.id, value, err }, 'point value cannot be encoded; its registers keep their last value');
      }
      return undefined;
    }
  }

  private refreshAll(): void {
    for (const [table, image] of this.images) this.refreshRange(table, 0, image.size, true);
  }

  /**
   * Bring registers [start, end) of a table up to date: points there whose value is older than
   * refreshMs (or than the last change) are re-evaluated, and re-encoded only if the value changed;
   * registers shared by bit points and status registers are recomposed; master writes go on top.
   * Only what a request covers is computed, so a 1,000-point device costs a 125-register read little.
   */
  private refreshRange(table: ModbusTable, start: number, end: number, force: boolean): void {
    const image = this.images.get(table);
    if (image === undefined) return;
    const now = this.monotonic();
    const slots = this.slotsByTable.get(table) ?? [];
    let lo = 0;
    let hi = slots.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const s = slots[mid];
      if (s !== undefined && s.address + this.maxSpan <= start) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < slots.length; i++) {
      const slot = slots[i];
      if (slot === undefined || slot.address >= end) break;
      if (slot.address + slot.span <= start) continue;
      if (!force && slot.generation === this.generation && now - slot.refreshedAt < this.refreshMs) continue;
      slot.refreshedAt = now;
      slot.generation = this.generation;
      const value = this.currentValue(slot.point);
      if (slot.encoded !== undefined && Object.is(value, slot.last)) continue;
      const enc = this.safeEncode(slot, value);
      if (enc === undefined) continue;
      slot.last = value;
      slot.encoded = enc.values;
      if (isBitInRegister(slot.point)) continue;
      for (let k = 0; k < enc.values.length; k++) {
        const a = enc.address + k;
        if (a < image.size) image.data[a] = (enc.values[k] ?? 0) & 0xffff;
      }
    }
    for (const c of this.composed) {
      if (c.table !== table || c.address < start || c.address >= end || c.address >= image.size) continue;
      let word = 0;
      for (const slot of c.bits) word |= slot.encoded?.[0] ?? 0;
      for (const reg of c.status) word |= this.statusValues.get(reg.id) ?? 0;
      image.data[c.address] = table === 'coil' || table === 'discrete' ? (word ? 1 : 0) : word & 0xffff;
    }
    const overlay = this.writes.get(table);
    if (overlay !== undefined) for (const [a, v] of overlay) if (a >= start && a < end && a < image.size) image.data[a] = v;
  }
}
