/**
 * What `safeloop gateway --check` and GatewayAgent.start both run before opening anything (issue 13):
 * the profile catalog (library + `profileDirs`), every enabled device's profile and read plan, no two
 * devices on one bus and unit, no serial port or listening port claimed twice, limits inside the
 * measuring range. Every problem is collected, so a technician fixes them in one pass; start refuses
 * a config with any of them, with the same words.
 */
import { isAbsolute, resolve } from 'node:path';
import { SafeLoopError, errorMessage } from '@safeloop/contract';
import { ProfileCatalog, type DeviceProfile } from '@safeloop/device-profiles';
import type { GatewayConfig } from './config.ts';
import { busKey, checkBus } from './field/sources.ts';
import { planModbusDevice } from './field/modbus-device.ts';
import { opcuaPointRefs } from './field/opcua-points.ts';
import { collectPointLimits } from './point-limits.ts';
import type { DeviceInstance } from './field/config.ts';

export interface PreflightResult {
  problems: string[];
  /** Resolves a device's profile by id or file path (library + profileDirs). */
  resolveProfile: (ref: string) => DeviceProfile;
  catalog: ProfileCatalog | undefined;
}

/** `profileDirs` resolve against `baseDir` (the config file's folder; default the working directory). */
export function preflight(config: GatewayConfig, baseDir = process.cwd()): PreflightResult {
  const problems: string[] = [];
  let catalog: ProfileCatalog | undefined;
  try {
    catalog = ProfileCatalog.load({ dirs: config.profileDirs.map((d) => (isAbsolute(d) ? d : resolve(baseDir, d))), baseDir });
  } catch (err) {
    problems.push(...`profileDirs: ${errorMessage(err)}`.split('\n'));
  }
  const resolveProfile = (ref: string): DeviceProfile => {
    if (!catalog) throw new SafeLoopError('GW_ERR_UNKNOWN_PROFILE', `profile "${ref}" cannot be resolved: the profile folders have errors`);
    return catalog.get(ref);
  };
  const devices = config.devices.filter((d) => d.enabled);
  const planned = new Set<string>();
  for (const [i, d] of config.devices.entries()) {
    if (!d.enabled) continue;
    try {
      if (d.transport.kind === 'opcua') opcuaPointRefs(d, config.gateway.siteId, resolveProfile);
      else planModbusDevice(d, config.gateway.siteId, resolveProfile);
      planned.add(d.id);
    } catch (err) {
      problems.push(`devices.${i} (${d.id}): ${errorMessage(err)}`);
    }
  }
  const buses = new Map<string, DeviceInstance[]>();
  for (const d of devices) buses.set(busKey(d), [...(buses.get(busKey(d)) ?? []), d]);
  for (const [key, list] of buses) {
    try {
      checkBus(key, list);
    } catch (err) {
      problems.push(`devices: ${errorMessage(err)}`);
    }
  }
  problems.push(...portClaims(config));
  if (catalog) {
    try {
      const usable = { ...config, devices: config.devices.filter((d) => planned.has(d.id)) };
      for (const [path, limits] of collectPointLimits(usable, resolveProfile)) {
        if (!limits.range) continue;
        for (const l of limits.limits) {
          if (l.value < limits.range.min || l.value > limits.range.max) {
            problems.push(`${path}: limit ${l.level} ${l.value} lies outside the measuring range ${limits.range.min}–${limits.range.max}; it could never trip`);
          }
        }
      }
    } catch (err) {
      problems.push(`limits: ${errorMessage(err)}`);
    }
  }
  return { problems, resolveProfile, catalog };
}

/** Throws one GW_ERR_CONFIG naming every problem (what start does with a preflight that found any). */
export function assertPreflight(result: PreflightResult): void {
  if (result.problems.length === 0) return;
  throw new SafeLoopError('GW_ERR_CONFIG', `gateway config has ${result.problems.length} problem(s):\n${result.problems.join('\n')}`, {
    details: { problems: result.problems },
  });
}

/** Serial ports and listening ports each claimed by one source only. */
function portClaims(config: GatewayConfig): string[] {
  const problems: string[] = [];
  const serial = new Map<string, string>();
  const listen = new Map<number, string>();
  const claimSerial = (path: string, who: string, bus: boolean): void => {
    const other = serial.get(path);
    // Modbus RTU devices share their bus on purpose (checkBus compares their line settings).
    if (other !== undefined && !(bus && other.startsWith('Modbus'))) problems.push(`serial port ${path} is used by ${other} and by ${who}`);
    if (other === undefined) serial.set(path, who);
  };
  for (const d of config.devices) {
    if (d.enabled && d.transport.kind === 'modbus-rtu') claimSerial(d.transport.path, `Modbus device ${d.id}`, true);
  }
  for (const b of config.bridges) {
    if (b.kind === 'hj212') {
      const other = listen.get(b.listen.port);
      if (other !== undefined && b.listen.port !== 0) problems.push(`listening port ${b.listen.port} is used by ${other} and by bridge ${b.id}`);
      else listen.set(b.listen.port, `bridge ${b.id}`);
    } else if (b.transport.kind === 'serial') {
      claimSerial(b.transport.path, `bridge ${b.id}`, false);
    }
  }
  return problems;
}
