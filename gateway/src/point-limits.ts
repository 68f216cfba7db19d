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
  const put = (path: string, limits: AlarmLimit[], unit: string | undefined, range: { min: number; max: number } | undefined): void => {
    out.set(path, { ...policy, limits, ...(unit === undefined ? {} : { unit }), ...(range === undefined ? {} : { range }) });
  };
  for (const device of config.devices) {
    if (!device.enabled) continue;
    const profile = resolveProfile(device.profile);
    for (const point of profile.points) {
      const limits: AlarmLimit[] = effectiveLimits(profile, point.id, device.limits);
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
