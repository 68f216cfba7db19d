/**
 * A point's human name for alarm titles and the dashboard, from what the cloud knows:
 *
 * 1. the registry's points table (seed or API) — a registered name always wins;
 * 2. the device's profile — the device (`site/device`) is found in the desired configuration of a
 *    gateway serving the site (read as data, provisioning/device-inventory.ts) or by the profile id a
 *    registered point carries; the profile comes from the same catalog the gateway loads (the library
 *    plus the cloud's `profileDirs`), so names, units and ranges are the profile file's own.
 *
 * A label reads `设备名 设备号 · 测点名` in Chinese and `device-id · point name` in English (a device name
 * with Chinese characters is left out of the English label so bilingual titles still split).
 * Desired configurations are read at most once per `cacheMs` per site.
 */
import { splitPointPath, type Clock, type Logger } from '@safeloop/contract';
import type { DeviceProfile, ProfileCatalog, Range } from '@safeloop/device-profiles';
import { hasChinese } from '../alarms/title.ts';
import { namedTitle } from './named-title.ts';
import { devicesFromConfig, type DeviceSummary } from '../provisioning/device-inventory.ts';
import type { PointInfo, Registry } from '../tenancy/registry.ts';

export interface PointLabel {
  path: string;
  /** The point with its device, for titles: `1号罐区 可燃气体探测器 gas-01 · 可燃气体`. */
  zh: string;
  en: string;
  /** The point's own name, without the device (the site page lists points under their device). */
  point: { zh: string; en: string };
  unit?: string;
  range?: Range;
  profileId?: string;
  source: 'registry' | 'profile';
}

/** A point as GET /api/sites/:id lists it: the registry's fields, filled from the profile. */
export interface SitePoint extends PointInfo {
  names?: { zh: string; en: string };
  range?: Range;
  nameSource?: 'registry' | 'profile';
}

export interface PointNamesDeps {
  registry: Pick<Registry, 'getPoint'>;
  /** The desired configuration documents of the gateways serving a site (RemoteConfigService.desiredOfSite). */
  desiredOfSite(siteId: string): Promise<{ gatewayId: string; config: unknown }[]>;
  catalog: ProfileCatalog;
  clock: Clock;
  logger: Logger;
  /** How long a site's device list is reused, ms (default 10 s). */
  cacheMs?: number;
}

interface ProfilePoint {
  zh: string;
  en: string;
  unit?: string;
  range?: Range;
}

function profilePoint(profile: DeviceProfile, pointId: string): ProfilePoint | undefined {
  const p = profile.points.find((x) => x.id === pointId);
  if (!p) return undefined;
  return { zh: p.name.zh, en: p.name.en, ...(p.unit !== undefined ? { unit: p.unit } : {}), ...(p.range !== undefined ? { range: p.range } : {}) };
}

/** `设备名 设备号 · 测点名` / `device-id · point name` (see the module comment). */
export function deviceLabel(device: { id: string; name?: string | undefined }, point: { zh: string; en: string }): { zh: string; en: string } {
  const name = device.name?.trim();
  const who = name ? (name.includes(device.id) ? name : `${name} ${device.id}`) : device.id;
  const whoEn = name && !hasChinese(name) ? who : device.id;
  return { zh: `${who} · ${point.zh}`, en: `${whoEn} · ${point.en}` };
}

export class PointNames {
  private readonly sites = new Map<string, { at: number; devices: Promise<DeviceSummary[]> }>();
  private readonly log: Logger;

  constructor(private readonly deps: PointNamesDeps) {
    this.log = deps.logger.child({ module: 'cloud:point-names' });
  }

  /** The devices the site's gateways' desired configurations list (cached for `cacheMs`). */
  async devices(siteId: string): Promise<DeviceSummary[]> {
    const now = this.deps.clock.monotonic();
    const hit = this.sites.get(siteId);
    if (hit && now - hit.at < (this.deps.cacheMs ?? 10_000)) return hit.devices;
    const devices = this.readDevices(siteId);
    this.sites.set(siteId, { at: now, devices });
    return devices;
  }

  private async readDevices(siteId: string): Promise<DeviceSummary[]> {
    const out: DeviceSummary[] = [];
    for (const { gatewayId, config } of await this.deps.desiredOfSite(siteId)) {
      // A gateway serving several sites lists devices of all of them; its config names its own site.
      const configSite = (config as { gateway?: { siteId?: unknown } } | undefined)?.gateway?.siteId;
      if (configSite === undefined || configSite === siteId) out.push(...devicesFromConfig(gatewayId, config));
    }
    return out;
  }

  /** A profile of the cloud's catalog (the library plus `profileDirs`) by id. */
  readonly profileById = (id: string): DeviceProfile | undefined => this.deps.catalog.find(id)?.profile;

  private profile(id: string | undefined): DeviceProfile | undefined {
    if (id === undefined) return undefined;
    const entry = this.deps.catalog.find(id);
    if (!entry) this.log.debug({ profileId: id }, 'profile not in the cloud catalog: names fall back to the point path');
    return entry?.profile;
  }

  /** The label of one point, or undefined when neither the registry nor a profile names it. */
  async label(path: string): Promise<PointLabel | undefined> {
    let parts: { site: string; device: string; point: string };
    try {
      parts = splitPointPath(path);
    } catch {
      return undefined;
    }
    const registered = await this.deps.registry.getPoint(path);
    const device = (await this.devices(parts.site)).find((d) => d.id === parts.device);
    const profileId = registered?.profileId ?? device?.profileId;
    const fromProfile = (() => {
      const profile = this.profile(profileId);
      return profile ? profilePoint(profile, parts.point) : undefined;
    })();
    const unit = registered?.unit ?? fromProfile?.unit;
    const common = {
      path,
      ...(unit !== undefined ? { unit } : {}),
      ...(fromProfile?.range !== undefined ? { range: fromProfile.range } : {}),
      ...(profileId !== undefined ? { profileId } : {}),
    };
    if (registered?.name !== undefined) {
      const name = registered.name;
      // A Chinese registered name stays out of the English half; the profile's English name (or the path) fills it.
      const en = !hasChinese(name) ? name : fromProfile ? deviceLabel({ id: parts.device, ...(device?.name !== undefined ? { name: device.name } : {}) }, fromProfile).en : path;
      return { ...common, zh: name, en, point: { zh: name, en: fromProfile?.en ?? en }, source: 'registry' };
    }
    if (!fromProfile) return undefined;
    const label = deviceLabel({ id: parts.device, ...(device?.name !== undefined ? { name: device.name } : {}) }, fromProfile);
    return { ...common, ...label, point: { zh: fromProfile.zh, en: fromProfile.en }, source: 'profile' };
  }

  /** An alarm title with the point's label in place of its path (the title as it is when nothing names the point). */
  async title(title: string, path: string): Promise<string> {
    const label = await this.label(path);
    return label ? namedTitle(title, path, label) : title;
  }

  /**
   * The site's points for the site API: registered points (names filled from their profile where the
   * registry has none), then every point of every profiled device the desired configurations list.
   */
  async sitePoints(siteId: string, registered: readonly PointInfo[]): Promise<SitePoint[]> {
    const devices = await this.devices(siteId);
    const byPath = new Map<string, SitePoint>();
    for (const p of registered) {
      const { device, point } = splitPointPath(p.path);
      const profile = this.profile(p.profileId ?? devices.find((d) => d.id === device)?.profileId);
      const fp = profile ? profilePoint(profile, point) : undefined;
      byPath.set(p.path, {
        ...p,
        ...(p.name === undefined && fp ? { name: fp.zh } : {}),
        ...(p.unit === undefined && fp?.unit !== undefined ? { unit: fp.unit } : {}),
        ...(fp ? { names: { zh: p.name ?? fp.zh, en: p.name !== undefined && !hasChinese(p.name) ? p.name : fp.en } } : {}),
        ...(fp?.range !== undefined ? { range: fp.range } : {}),
        ...(p.name !== undefined ? { nameSource: 'registry' as const } : fp ? { nameSource: 'profile' as const } : {}),
      });
    }
    for (const d of devices) {
      const profile = this.profile(d.profileId);
      if (!profile) continue;
      for (const pt of profile.points) {
        const path = `${siteId}/${d.id}/${pt.id}`;
        if (byPath.has(path)) continue;
        byPath.set(path, {
          path,
          siteId,
          name: pt.name.zh,
          names: { zh: pt.name.zh, en: pt.name.en },
          ...(pt.unit !== undefined ? { unit: pt.unit } : {}),
          ...(pt.range !== undefined ? { range: pt.range } : {}),
          profileId: profile.id,
          nameSource: 'profile',
        });
      }
    }
    return [...byPath.values()].sort((a, b) => a.path.localeCompare(b.path));
  }
}
