/**
 * One simulated Modbus device: a profile's register map whose values follow scenario curves,
 * with writes, frozen values and fault personalities. Transport-free — the TCP and RTU servers
 * call `read`/`write` with already-decoded requests.
 */
import { SafeLoopError, silentLogger, type Logger } from '@safeloop/contract';
import { CurveSchema, evaluateCurve, seedFromName, type Curve } from '../scenario/curve.ts';
import type { ScenarioClock } from '../scenario/scenario-clock.ts';
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
}

/** Curves are numeric: a boolean point is on at ≥ 0.5; a text point shows the number as text. */
function coerce(p: ModbusPointDef, value: PointValue): PointValue {
  const booleanPoint = p.table === 'coil' || p.table === 'discrete' || p.type === 'bool' || p.type === 'bit';
  if (booleanPoint) return typeof value === 'number' ? value >= 0.5 : value === true || value === 'true';
  if (p.type === 'string') return String(value);
  return typeof value === 'boolean' ? (value ? 1 : 0) : value;
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
  private readonly profile: ModbusProfile | undefined;
  private readonly points: ModbusPointDef[];
  private readonly statusRegisters: StatusRegister[];
  private readonly statusValues = new Map<string, number>();
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
  private computedAt = Number.NEGATIVE_INFINITY;
  private dirty = true;
  private readonly encodeFailures = new Set<string>();
  requests = 0;

  constructor(spec: SimDevice, private readonly deps: SimDeviceDeps) {
    this.unitId = spec.unitId;
    this.profileId = spec.profileId;
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
    if (fault?.kind === 'stuck' && !wasStuck) this.refresh(true);
    if (fault?.kind !== 'stuck') this.dirty = true;
  }

  setCurve(pointId: string, curve: Curve): void {
    this.requirePoint(pointId);
    this.curves.set(pointId, CurveSchema.parse(curve));
    this.fixed.delete(pointId);
    this.dirty = true;
  }

  setValue(pointId: string, value: PointValue): void {
    this.requirePoint(pointId);
    this.fixed.set(pointId, value);
    this.dirty = true;
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
    this.dirty = true;
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
    this.refresh(false);
    const image = this.images.get(table);
    if (image === undefined || address + count > image.size) return { ok: false, exception: MODBUS_EXCEPTION.illegalDataAddress };
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
    this.dirty = true;
    return { ok: true, values: [...values] };
  }

  private requirePoint(pointId: string): ModbusPointDef {
    const p = this.points.find((x) => x.id === pointId);
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
    if (this.profile !== undefined) {
      for (const p of this.points) {
        const enc = this.safeEncode(p, restingValue(p));
        if (enc === undefined) continue;
        sizes.set(enc.table, Math.max(sizes.get(enc.table) ?? 0, enc.address + enc.values.length));
      }
    }
    for (const reg of this.statusRegisters) sizes.set(reg.table, Math.max(sizes.get(reg.table) ?? 0, reg.address + 1));
    for (const [table, size] of sizes) this.images.set(table, { data: new Uint16Array(size), size });
  }

  private safeEncode(p: ModbusPointDef, value: PointValue): { table: ModbusTable; address: number; values: number[] } | undefined {
    if (this.profile === undefined) return undefined;
    try {
      return encodePoint(this.profile, p.id, value);
    } catch (err) {
      if (!this.encodeFailures.has(p.id)) {
        this.encodeFailures.add(p.id);
        this.logger.warn({ point: p.id, value, err }, 'point value cannot be encoded; its registers keep their last value');
      }
      return undefined;
    }
  }

  private refresh(force: boolean): void {
    if (this.fault('stuck') !== undefined && !force) return;
    const now = this.monotonic();
    if (!force && !this.dirty && now - this.computedAt < this.refreshMs) return;
    this.computedAt = now;
    this.dirty = false;
    for (const image of this.images.values()) image.data.fill(0);
    for (const p of this.points) {
      const enc = this.safeEncode(p, this.currentValue(p));
      if (enc === undefined) continue;
      const image = this.images.get(enc.table);
      if (image === undefined) continue;
      const or = isBitInRegister(p);
      enc.values.forEach((v, i) => {
        const a = enc.address + i;
        if (a >= image.size) return;
        if (or) {
          image.data[a] = ((image.data[a] ?? 0) | v) & 0xffff;
        } else {
          image.data[a] = v & 0xffff;
        }
      });
    }
    for (const reg of this.statusRegisters) {
      const image = this.images.get(reg.table);
      const raw = this.statusValues.get(reg.id) ?? 0;
      if (image === undefined) continue;
      image.data[reg.address] = reg.table === 'coil' || reg.table === 'discrete' ? (raw ? 1 : 0) : ((image.data[reg.address] ?? 0) | raw) & 0xffff;
    }
    for (const [table, overlay] of this.writes) {
      const image = this.images.get(table);
      if (image === undefined) continue;
      for (const [a, v] of overlay) if (a < image.size) image.data[a] = v;
    }
  }
}
