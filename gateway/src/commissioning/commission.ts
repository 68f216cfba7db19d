/**
 * Commissioning: read every point of every planned device several times, live, and judge each point
 * (value, unit, quality, inside the measuring range, suspicious-reading flags). Reading goes through
 * the field module's `readDeviceOnce`, the same decode path the gateway polls with.
 */
import { SafeLoopError, errorMessage, systemClock, type Clock } from '@safeloop/contract';
import { getProfile, type DeviceProfile, type Range } from '@safeloop/device-profiles';
import type { DeviceInstance, Transport } from '../field/config.ts';
import { readDeviceOnce, type ReadDeviceOnceOptions, type ReadRow } from '../field/read-once.ts';
import type { CommissionPlan } from './commission-plan.ts';
import { checkPoint, type PointFacts, type PointFlag, type PointSample } from './suspicious.ts';

export interface CommissionedPoint {
  pointId: string;
  name: string;
  unit?: string;
  range?: Range;
  /** The last read's value, quality and reason. */
  value: number | boolean | string | null;
  quality: PointSample['quality'];
  reason?: string;
  /** Every read's value, in order. */
  values: (number | boolean | string | null)[];
  inRange: boolean | null;
  flags: PointFlag[];
}

export interface CommissionedDevice {
  id: string;
  name?: string;
  profile: string;
  transport: string;
  instance: DeviceInstance;
  points: CommissionedPoint[];
  /** The device could not be read at all (every attempt threw). */
  error?: string;
}

export interface CommissionSummary {
  devices: number;
  points: number;
  flaggedPoints: number;
  errors: number;
  warnings: number;
  /** Every point read good, in range and unflagged. */
  passed: boolean;
}

export interface CommissionResult {
  technician: string;
  site?: string;
  gatewayId?: string;
  performedAt: number;
  reads: number;
  devices: CommissionedDevice[];
  summary: CommissionSummary;
}

export interface CommissionDeps {
  technician: string;
  clock?: Clock;
  readOnce?: (o: ReadDeviceOnceOptions) => Promise<ReadRow[]>;
  resolveProfile?: (id: string) => DeviceProfile;
  sleep?: (ms: number) => Promise<void>;
  /** Called after each device (for live output). */
  onDevice?: (d: CommissionedDevice) => void;
}

export function describeTransport(t: Transport): string {
  switch (t.kind) {
    case 'modbus-tcp':
      return `modbus-tcp ${t.host}:${t.port} unit ${t.unitId}`;
    case 'modbus-rtu':
      return `modbus-rtu ${t.path} ${t.baudRate} ${t.parity} ${t.dataBits}${t.parity === 'none' ? 'N' : t.parity === 'even' ? 'E' : 'O'}${t.stopBits} unit ${t.unitId}`;
    case 'opcua':
      return `opcua ${t.endpoint} (${t.securityMode})`;
  }
}

/** What the heuristics need from a profile point. */
export function pointFacts(profile: DeviceProfile, pointId: string): PointFacts | undefined {
  if (profile.protocol === 'modbus') {
    const p = profile.points.find((x) => x.id === pointId);
    if (!p) return undefined;
    const numeric = !(p.table === 'coil' || p.table === 'discrete' || p.type === 'bool' || p.type === 'bit' || p.type === 'string');
    return { id: p.id, ...(p.unit ? { unit: p.unit } : {}), ...(p.range ? { range: p.range } : {}), type: p.type, numeric, table: p.table, order: p.order, scale: p.scale, offset: p.offset };
  }
  const p = profile.points.find((x) => x.id === pointId);
  if (!p) return undefined;
  return { id: p.id, ...(p.unit ? { unit: p.unit } : {}), ...(p.range ? { range: p.range } : {}), numeric: p.dataType !== 'Boolean' && p.dataType !== 'String' };
}

async function commissionDevice(plan: CommissionPlan, instance: DeviceInstance, deps: Required<Pick<CommissionDeps, 'readOnce' | 'resolveProfile' | 'sleep'>>): Promise<CommissionedDevice> {
  const profile = deps.resolveProfile(instance.profile);
  const base = { id: instance.id, ...(instance.name ? { name: instance.name } : {}), profile: instance.profile, transport: describeTransport(instance.transport), instance };
  const samples = new Map<string, PointSample[]>();
  let failures = 0;
  let lastError = '';
  for (let i = 0; i < plan.reads; i++) {
    if (i > 0) await deps.sleep(plan.intervalMs);
    try {
      const rows = await deps.readOnce({ profileId: instance.profile, transport: instance.transport, resolveProfile: deps.resolveProfile });
      for (const r of rows) {
        const list = samples.get(r.pointId) ?? [];
        list.push({ value: r.value, quality: r.quality, ...(r.reason ? { reason: r.reason } : {}), ...(r.detail ? { detail: r.detail } : {}), raw: r.raw });
        samples.set(r.pointId, list);
      }
    } catch (err) {
      failures += 1;
      lastError = errorMessage(err);
    }
  }
  if (failures === plan.reads) return { ...base, points: [], error: lastError };
  const points: CommissionedPoint[] = profile.points.map((def) => {
    const list = samples.get(def.id) ?? [];
    const facts = pointFacts(profile, def.id) ?? { id: def.id, numeric: false };
    const check = checkPoint(facts, list);
    const last = list[list.length - 1];
    const flags = failures > 0 ? [...check.flags, { kind: 'quality' as const, severity: 'error' as const, message: `${failures} of ${plan.reads} reads of the device failed: ${lastError}` }] : check.flags;
    return {
      pointId: def.id,
      name: def.name.en,
      ...(def.unit ? { unit: def.unit } : {}),
      ...(def.range ? { range: def.range } : {}),
      value: last?.value ?? null,
      quality: last?.quality ?? 'bad',
      ...(last?.reason ? { reason: last.reason } : {}),
      values: list.map((s) => s.value),
      inRange: check.inRange,
      flags,
    };
  });
  return { ...base, points };
}

export function summarise(devices: readonly CommissionedDevice[]): CommissionSummary {
  const points = devices.flatMap((d) => d.points);
  const flags = points.flatMap((p) => p.flags);
  const errors = flags.filter((f) => f.severity === 'error').length + devices.filter((d) => d.error !== undefined).length;
  const warnings = flags.filter((f) => f.severity === 'warning').length;
  return {
    devices: devices.length,
    points: points.length,
    flaggedPoints: points.filter((p) => p.flags.length > 0).length,
    errors,
    warnings,
    passed: errors === 0 && warnings === 0 && points.every((p) => p.quality === 'good'),
  };
}

/** Read and judge every device of the plan, one after the other (a line carries one request at a time). */
export async function commissionDevices(plan: CommissionPlan, deps: CommissionDeps): Promise<CommissionResult> {
  const clock = deps.clock ?? systemClock;
  const inner = {
    readOnce: deps.readOnce ?? readDeviceOnce,
    resolveProfile: deps.resolveProfile ?? getProfile,
    sleep: deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))),
  };
  // Every profile exists and fits its transport before anything is read (a plan error is not a device fault).
  plan.devices.forEach((d, i) => {
    const profile = inner.resolveProfile(d.profile);
    const wants = d.transport.kind === 'opcua' ? 'opcua' : 'modbus';
    if (profile.protocol !== wants) {
      throw new SafeLoopError('GW_ERR_PROFILE_PROTOCOL', `plan devices[${i}] (${d.id}): profile ${d.profile} is ${profile.protocol}, the transport is ${d.transport.kind}`);
    }
  });
  const devices: CommissionedDevice[] = [];
  for (const instance of plan.devices) {
    const d = await commissionDevice(plan, instance, inner);
    devices.push(d);
    deps.onDevice?.(d);
  }
  return {
    technician: deps.technician,
    ...(plan.site ? { site: plan.site } : {}),
    ...(plan.gatewayId ? { gatewayId: plan.gatewayId } : {}),
    performedAt: clock.now(),
    reads: plan.reads,
    devices,
    summary: summarise(devices),
  };
}
