/**
 * What a site's points are, as the edge evaluates them: name, unit, measuring range and alarm limits of
 * every device point, from the gateways' desired configurations (read as data) and the device-profile
 * library (the same YAML the gateway loads), with the device's own limit overrides applied the way the
 * gateway applies them. Bridge points (GNSS, HJ 212) contribute the limits declared on them. A device whose
 * profile neither the library nor the cloud's `profileDirs` hold contributes nothing.
 */
import type { AlarmLimit } from '@safeloop/contract';
import { effectiveLimits, getProfile, type DeviceProfile } from '@safeloop/device-profiles';

export interface PointFacts {
  name?: { zh: string; en: string };
  unit?: string;
  range?: { min: number; max: number };
  limits: AlarmLimit[];
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

function profileOrUndefined(id: string): DeviceProfile | undefined {
  try {
    return getProfile(id);
  } catch {
    return undefined;
  }
}

/**
 * Facts of every point a gateway configuration declares, by full point path `site/device/point`.
 * `resolveProfile` finds a device's profile (default: the library; the cloud passes its catalog, which
 * adds its `profileDirs`).
 */
export function pointFactsFromConfig(config: unknown, into = new Map<string, PointFacts>(), resolveProfile: (id: string) => DeviceProfile | undefined = profileOrUndefined): Map<string, PointFacts> {
  const c = obj(config);
  const defaultSite = str(obj(c?.gateway)?.siteId);
  for (const d of Array.isArray(c?.devices) ? (c.devices as unknown[]) : []) {
    const dev = obj(d);
    const id = str(dev?.id);
    const site = str(dev?.site) ?? defaultSite;
    const profile = str(dev?.profile) ? resolveProfile(str(dev?.profile) as string) : undefined;
    if (!dev || !id || !site || !profile || dev.enabled === false) continue;
    const overrides = obj(dev.limits) as Record<string, AlarmLimit[]> | undefined;
    for (const p of profile.points) {
      let limits: AlarmLimit[] = [];
      try {
        limits = effectiveLimits(profile, p.id, overrides);
      } catch {
        limits = [];
      }
      const facts: PointFacts = { name: p.name, limits };
      if (p.unit) facts.unit = p.unit;
      if ('range' in p && p.range) facts.range = p.range;
      into.set(`${site}/${id}/${p.id}`, facts);
    }
  }
  for (const b of Array.isArray(c?.bridges) ? (c.bridges as unknown[]) : []) {
    const bridge = obj(b);
    const deviceId = str(bridge?.deviceId);
    const site = str(bridge?.site) ?? defaultSite;
    if (!bridge || !deviceId || !site) continue;
    for (const p of Array.isArray(bridge.points) ? (bridge.points as unknown[]) : []) {
      const point = obj(p);
      const pointId = str(point?.pointId);
      if (!pointId) continue;
      into.set(`${site}/${deviceId}/${pointId}`, { limits: Array.isArray(point?.limits) ? (point.limits as AlarmLimit[]) : [] });
    }
  }
  return into;
}
