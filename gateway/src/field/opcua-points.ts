/**
 * OPC-UA device instances → the points the client monitors or reads, and DataValue → Reading.
 */
import type { DataValue } from 'node-opcua-client';
import { EpochMsSchema, SafeLoopError, pointPath, type AlarmLimit, type Reading } from '@safeloop/contract';
import { decodeOpcuaValue, getProfile, type DecodedPoint, type DeviceProfile, type OpcuaPointDef, type OpcuaProfile } from '@safeloop/device-profiles';
import type { DeviceInstance } from './config.ts';

export interface OpcuaPointRef {
  deviceId: string;
  site: string;
  point: OpcuaPointDef;
  path: string;
  limits: readonly AlarmLimit[];
}

export function loadOpcuaProfile(profileId: string, where: string, resolve: (id: string) => DeviceProfile | undefined = getProfile): OpcuaProfile {
  const profile = resolve(profileId);
  if (!profile) throw new SafeLoopError('GW_ERR_UNKNOWN_PROFILE', `${where}: unknown device profile "${profileId}"`, { details: { profileId } });
  if (profile.protocol !== 'opcua') {
    throw new SafeLoopError('GW_ERR_PROFILE_PROTOCOL', `${where}: profile "${profileId}" is ${profile.protocol}, the transport is OPC-UA`, { details: { profileId } });
  }
  return profile;
}

export function opcuaPointRefs(instance: DeviceInstance, defaultSite: string, resolve?: (id: string) => DeviceProfile | undefined): OpcuaPointRef[] {
  const profile = loadOpcuaProfile(instance.profile, `device ${instance.id}`, resolve);
  const site = instance.site ?? defaultSite;
  return profile.points.map((point) => ({
    deviceId: instance.id,
    site,
    point,
    path: pointPath(site, instance.id, point.id),
    limits: instance.limits[point.id] ?? point.limits,
  }));
}

/** OPC-UA attribute id of a variable's Value (Part 6, AttributeIds.Value), kept here so this module does not load node-opcua. */
const VALUE_ATTRIBUTE = 13;

export function readValueIds(refs: readonly OpcuaPointRef[]): { nodeId: string; attributeId: number }[] {
  return refs.map((r) => ({ nodeId: r.point.nodeId, attributeId: VALUE_ATTRIBUTE }));
}

function epochOrUndefined(d: Date | null | undefined): number | undefined {
  const t = d?.getTime();
  return t !== undefined && EpochMsSchema.safeParse(t).success ? t : undefined;
}

/** Decode one DataValue for one point (status, type, scale, range, limits). */
export function decodeDataValue(ref: OpcuaPointRef, dv: DataValue): DecodedPoint {
  const good = dv.statusCode.isGood();
  const raw: unknown = dv.value?.value;
  const d = decodeOpcuaValue(ref.point, raw, good, { limits: ref.limits });
  const out: DecodedPoint = { ...d, raw: [] };
  if (!good) out.detail = `OPC-UA status ${dv.statusCode.name}`;
  return out;
}

export function dataValueToReading(ref: OpcuaPointRef, dv: DataValue, gatewayTime: number): Reading {
  const d = decodeDataValue(ref, dv);
  const sourceTime = epochOrUndefined(dv.sourceTimestamp) ?? epochOrUndefined(dv.serverTimestamp) ?? gatewayTime;
  const r: Reading = { point: ref.path, value: d.value, quality: d.quality, sourceTime, gatewayTime };
  if (d.unit !== undefined) r.unit = d.unit;
  if (d.reason !== undefined) r.reason = d.reason;
  if (d.detail !== undefined) r.detail = d.detail.slice(0, 200);
  return r;
}

export function commLostReading(ref: OpcuaPointRef, detail: string, now: number): Reading {
  const r: Reading = { point: ref.path, value: null, quality: 'bad', reason: 'comm_lost', detail: detail.slice(0, 200), sourceTime: now, gatewayTime: now };
  if (ref.point.unit !== undefined) r.unit = ref.point.unit;
  return r;
}
