/** Build one ReadingSource per configured bridge (the gateway runs them beside its field drivers). */
import { systemClock, type Clock, type Logger, type ReadingSink, type ReadingSource } from '@safeloop/contract';
import type { BridgeConfig } from './config.ts';
import { Hj212Listener } from './hj212/listener.ts';
import { LineSource } from './line/line-source.ts';
import { noopBridgeMetrics, type BridgeMetrics } from './metrics.ts';
import { NmeaSource } from './nmea/nmea-source.ts';

export interface BridgeSourcesDeps {
  bridges: readonly BridgeConfig[];
  /** Site of bridges that name none (the gateway's site). */
  defaultSite: string;
  logger: Logger;
  clock?: Clock;
  sink: ReadingSink;
  metrics?: BridgeMetrics;
}

export type BridgeSource = Hj212Listener | NmeaSource | LineSource;

export function createBridgeSource(bridge: BridgeConfig, deps: Omit<BridgeSourcesDeps, 'bridges'>): BridgeSource {
  const common = {
    site: bridge.site ?? deps.defaultSite,
    logger: deps.logger,
    clock: deps.clock ?? systemClock,
    sink: deps.sink,
    metrics: deps.metrics ?? noopBridgeMetrics,
  };
  switch (bridge.kind) {
    case 'hj212':
      return new Hj212Listener({ ...common, config: bridge });
    case 'nmea':
      return new NmeaSource({ ...common, config: bridge });
    case 'line':
      return new LineSource({ ...common, config: bridge });
  }
}

export function createBridgeSources(deps: BridgeSourcesDeps): ReadingSource[] {
  return deps.bridges.map((bridge) => createBridgeSource(bridge, deps));
}
