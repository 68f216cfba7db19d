/**
 * Collect the alarm configuration of every point the gateway serves: profile defaults (limits and
 * measuring range) overridden by the device instance's site-specific limits, plus limits declared
 * on bridge points, with the gateway's `alarms` policy (latching, fault hold) applied to each.
 */
import { pointPath, type AlarmLimit } from '@safeloop/contract';
import { effectiveLimits, getProfile, type DeviceProfile } from '@safeloop/device-profiles';
import { bridgePointLimits, bridgePointUnits } from '@safeloop/firmware-bridges';
import type { GatewayConfig } from './config.ts';
import type { PointLimits } from './edge-rules/index.ts';

export function collectPointLimits(config: GatewayConfig, resolveProfile: (ref: string) => DeviceProfile = getProfile): Map<string, PointLimits> {
  const out = new Map<string, PointLimits>();
  const defaultSite = config.gateway.siteId;
  const policy = {
    overRangeLatch: config.alarms.overRangeLatch,
    faultClearHoldMs: config.alarms.faultClearHoldSec * 1000,
    faultClearReadings: config.alarms.faultClearReadings,
  };
  // One entry per point (100,000 on a large gateway): built with one fixed shape, not by spreading (a spread
  // gave every entry a hidden class of its own: ≈ 30 MiB of V8 maps at 100 × 1,000 points), and the limits of
  // a profile point without site overrides shared by every device that uses it.
  // Each shape written as one literal: properties added after construction would give every entry an
  // out-of-object property array (≈ 4 MiB at 100,000 points).
  const { overRangeLatch, faultClearHoldMs, faultClearReadings } = policy;
  const put = (path: string, limits: readonly AlarmLimit[], unit: string | undefined, range: { min: number; max: number } | undefined): void => {
    let entry: PointLimits;
    if (unit !== undefined && range !== undefined) entry = { overRangeLatch, faultClearHoldMs, faultClearReadings, limits, unit, range };
    else if (unit !== undefined) entry = { overRangeLatch, faultClearHoldMs, faultClearReadings, limits, unit };
    else if (range !== undefined) entry = { overRangeLatch, faultClearHoldMs, faultClearReadings, limits, range };
    else entry = { overRangeLatch, faultClearHoldMs, faultClearReadings, limits };
    out.set(path, entry);
  };
  const shared = new Map<DeviceProfile, Map<string, readonly AlarmLimit[]>>();
  const profileLimits = (profile: DeviceProfile, pointId: string): readonly AlarmLimit[] => {
    let byPoint = shared.get(profile);
    if (!byPoint) shared.set(profile, (byPoint = new Map()));
    let limits = byPoint.get(pointId);
    if (!limits) byPoint.set(pointId, (limits = Object.freeze(effectiveLimits(profile, pointId))));
    return limits;
  };
  for (const device of config.devices) {
    if (!device.enabled) continue;
    const profile = resolveProfile(device.profile);
    for (const point of profile.points) {
      const overridden = device.limits !== undefined && Object.hasOwn(device.limits, point.id);
      const limits = !overridden ? profileLimits(profile, point.id) : effectiveLimits(profile, point.id, device.limits);
      put(pointPath(device.site ?? defaultSite, device.id, point.id), limits, point.unit, 'range' in point ? point.range : undefined);
    }
  }
  for (const bridge of config.bridges) {
    const site = bridge.site ?? defaultSite;
    const units = bridgePointUnits(bridge);
    for (const [devicePoint, limits] of Object.entries(bridgePointLimits(bridge))) put(`${site}/${devicePoint}`, limits, units[devicePoint], undefined);
  }
  return out;
}
