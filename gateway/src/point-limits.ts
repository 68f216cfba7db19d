/**
 * Collect the alarm limits of every point the gateway serves: profile defaults overridden by the
 * device instance's site-specific limits, plus limits declared on bridge points.
 */
import { pointPath, type AlarmLimit } from '@safeloop/contract';
import { effectiveLimits, getProfile } from '@safeloop/device-profiles';
import { bridgePointLimits, bridgePointUnits } from '@safeloop/firmware-bridges';
import type { GatewayConfig } from './config.ts';
import type { PointLimits } from './edge-rules/index.ts';

export function collectPointLimits(config: GatewayConfig): Map<string, PointLimits> {
  const out = new Map<string, PointLimits>();
  const defaultSite = config.gateway.siteId;
  for (const device of config.devices) {
    if (!device.enabled) continue;
    const profile = getProfile(device.profile);
    for (const point of profile.points) {
      const limits: AlarmLimit[] = effectiveLimits(profile, point.id, device.limits);
      if (limits.length === 0) continue;
      out.set(pointPath(device.site ?? defaultSite, device.id, point.id), point.unit === undefined ? { limits } : { limits, unit: point.unit });
    }
  }
  for (const bridge of config.bridges) {
    const site = bridge.site ?? defaultSite;
    const units = bridgePointUnits(bridge);
    for (const [devicePoint, limits] of Object.entries(bridgePointLimits(bridge))) {
      if (limits.length === 0) continue;
      const unit = units[devicePoint];
      out.set(`${site}/${devicePoint}`, unit === undefined ? { limits } : { limits, unit });
    }
  }
  return out;
}
