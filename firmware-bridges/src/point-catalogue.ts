/**
 * The points a bridge produces, keyed `device/point` (the gateway prefixes the site): their alarm
 * limits (passed through from config to the gateway's edge rules) and their units.
 */
import type { AlarmLimit } from '@safeloop/contract';
import type { BridgeConfig } from './config.ts';
import { gnssPointUnit } from './nmea/nmea-source.ts';

interface CataloguedPoint {
  key: string;
  unit: string | undefined;
  limits: AlarmLimit[];
}

export function bridgePoints(bridge: BridgeConfig): CataloguedPoint[] {
  switch (bridge.kind) {
    case 'hj212':
      return bridge.loggers.flatMap((l) => l.points.map((p) => ({ key: `${l.deviceId}/${p.pointId}`, unit: p.unit, limits: p.limits })));
    case 'nmea':
      return bridge.points.map((p) => ({ key: `${bridge.deviceId}/${p.pointId}`, unit: gnssPointUnit(p.quantity, bridge.rateUnit), limits: p.limits }));
    case 'line':
      return bridge.points.map((p) => ({ key: `${bridge.deviceId}/${p.pointId}`, unit: p.unit, limits: p.limits }));
  }
}

/** `device/point` → alarm limits declared in the bridge config (points without limits included, empty). */
export function bridgePointLimits(bridge: BridgeConfig): Record<string, AlarmLimit[]> {
  return Object.fromEntries(bridgePoints(bridge).map((p) => [p.key, p.limits]));
}

/** `device/point` → unit, for points that have one. */
export function bridgePointUnits(bridge: BridgeConfig): Record<string, string> {
  return Object.fromEntries(bridgePoints(bridge).flatMap((p) => (p.unit === undefined ? [] : [[p.key, p.unit]])));
}
