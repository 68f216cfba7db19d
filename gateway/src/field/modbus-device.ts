/**
 * A Modbus device instance as the bus core sees it: its profile, its read plan (merged blocks) and
 * how its decoded points become Readings. Pure: no I/O, no timers.
 */
import { SafeLoopError, pointPath, type Reading, type ReasonCode } from '@safeloop/contract';
import { decodeModbusPoints, getProfile, planModbusReads, type DecodedPoint, type DeviceProfile, type ModbusProfile } from '@safeloop/device-profiles';
import type { DeviceInstance } from './config.ts';
import type { FieldRequestError } from './errors.ts';
import { MAX_READ_REGISTERS, type ModbusBlock } from './modbus-frame.ts';

export interface PlannedBlock extends ModbusBlock {
  pointIds: string[];
}

/** Default gap (in registers) two point ranges may have between them and still be read as one block. */
export const DEFAULT_MAX_GAP = 10;

export interface ModbusDevicePlan {
  instance: DeviceInstance;
  site: string;
  unitId: number;
  profile: ModbusProfile;
  blocks: PlannedBlock[];
  /** Every point id the device reports (profile order). */
  pointIds: string[];
  /** The full path of each point, at the same index as pointIds: built once, reused by every poll. */
  paths: readonly string[];
  units: ReadonlyMap<string, string | undefined>;
  pollIntervalMs: number;
  timeoutMs: number;
}

/** Looks a profile up by id; the default is the library's getProfile. */
export type ProfileResolver = (profileId: string) => DeviceProfile | undefined;

export function loadModbusProfile(profileId: string, where: string, resolve: ProfileResolver = getProfile): ModbusProfile {
  const profile = resolve(profileId);
  if (!profile) throw new SafeLoopError('GW_ERR_UNKNOWN_PROFILE', `${where}: unknown device profile "${profileId}"`, { details: { profileId } });
  if (profile.protocol !== 'modbus') {
    throw new SafeLoopError('GW_ERR_PROFILE_PROTOCOL', `${where}: profile "${profileId}" is ${profile.protocol}, the transport is Modbus`, { details: { profileId } });
  }
  return profile;
}

export function planBlocks(profile: ModbusProfile, opts: { maxRegisters?: number | undefined; maxGap?: number | undefined }): PlannedBlock[] {
  const plan = planModbusReads(profile, {
    maxRegisters: Math.min(opts.maxRegisters ?? MAX_READ_REGISTERS, MAX_READ_REGISTERS),
    maxGap: opts.maxGap ?? DEFAULT_MAX_GAP,
  });
  return plan.map((b) => ({ table: b.table, start: b.start, count: b.count, pointIds: [...b.pointIds] }));
}

export function planModbusDevice(instance: DeviceInstance, defaultSite: string, resolve?: ProfileResolver): ModbusDevicePlan {
  const t = instance.transport;
  if (t.kind === 'opcua') throw new SafeLoopError('GW_ERR_PROFILE_PROTOCOL', `device ${instance.id}: not a Modbus transport`);
  const profile = loadModbusProfile(instance.profile, `device ${instance.id}`, resolve);
  const blocks = planBlocks(profile, { maxRegisters: t.maxRegisters, maxGap: t.maxGap });
  return {
    instance,
    site: instance.site ?? defaultSite,
    unitId: t.unitId,
    profile,
    blocks,
    pointIds: profile.points.map((p) => p.id),
    paths: profile.points.map((p) => pointPath(instance.site ?? defaultSite, instance.id, p.id)),
    units: new Map(profile.points.map((p) => [p.id, p.unit])),
    pollIntervalMs: instance.pollIntervalMs,
    timeoutMs: t.timeoutMs,
  };
}

export interface BlockResult {
  table: ModbusBlock['table'];
  start: number;
  values: number[];
}

/**
 * Decode what was read and fill in every point that could not be: a point whose block failed gets a
 * `bad` reading with the failure's reason and value null (never a zero, never the last value).
 * The result is in plan.pointIds order, one entry per point id.
 */
export function decodeDevicePoints(
  plan: Pick<ModbusDevicePlan, 'profile' | 'blocks' | 'pointIds' | 'units'> & { instance: Pick<DeviceInstance, 'limits'> },
  results: readonly (BlockResult | FieldRequestError)[],
): DecodedPoint[] {
  const okBlocks: BlockResult[] = [];
  const failedPoint = new Map<string, FieldRequestError>();
  plan.blocks.forEach((block, i) => {
    const r = results[i];
    if (r === undefined) return;
    if ('values' in r) okBlocks.push(r);
    else for (const id of block.pointIds) failedPoint.set(id, r);
  });
  const all = okBlocks.length > 0 ? decodeModbusPoints(plan.profile, okBlocks, { limits: plan.instance.limits }) : [];
  // The usual poll: every block answered and decode returned every point in profile order (the same
  // id strings), so the list is the answer as it is — no map, no second pass per reading.
  if (failedPoint.size === 0 && sameOrder(all, plan.pointIds)) return all;
  const decoded = new Map<string, DecodedPoint>();
  for (const d of all) decoded.set(d.pointId, d);
  return plan.pointIds.map((id) => {
    const failure = failedPoint.get(id);
    const d = decoded.get(id);
    if (failure === undefined && d !== undefined) return d;
    const reason: ReasonCode = failure?.reason ?? 'decode_error';
    const bad: DecodedPoint = { pointId: id, value: null, quality: 'bad', reason, detail: (failure?.message ?? 'no data for this point').slice(0, 200), raw: [], exceeded: [] };
    const unit = plan.units.get(id);
    if (unit !== undefined) bad.unit = unit;
    return bad;
  });
}

function sameOrder(decoded: readonly DecodedPoint[], ids: readonly string[]): boolean {
  if (decoded.length !== ids.length) return false;
  for (let i = 0; i < ids.length; i++) if (decoded[i]!.pointId !== ids[i]) return false;
  return true;
}

export function toReading(site: string, deviceId: string, d: DecodedPoint, sourceTime: number, gatewayTime: number, path = pointPath(site, deviceId, d.pointId)): Reading {
  const r: Reading = { point: path, value: d.value, quality: d.quality, sourceTime, gatewayTime };
  if (d.unit !== undefined) r.unit = d.unit;
  if (d.reason !== undefined) r.reason = d.reason;
  if (d.detail !== undefined) r.detail = d.detail.slice(0, 200);
  return r;
}

/** Every point of a device as `bad` with one reason (used for comm loss). */
export function badReadings(plan: ModbusDevicePlan, reason: ReasonCode, detail: string, now: number): Reading[] {
  return plan.pointIds.map((id, i) => {
    const r: Reading = { point: plan.paths[i]!, value: null, quality: 'bad', reason, detail: detail.slice(0, 200), sourceTime: now, gatewayTime: now };
    const unit = plan.units.get(id);
    if (unit !== undefined) r.unit = unit;
    return r;
  });
}
