/**
 * The one-command demo: embedded MQTT broker, cloud on SQLite, a simulated plant, one gateway.
 * Everything runs in this process, but data travels the real path:
 * rig (Modbus TCP / OPC-UA / NMEA over TCP) → gateway drivers → journal (SQLite) → MQTT → cloud ingest → store → alarms.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfigFile, validateConfig, type Logger } from '@safeloop/contract';
import { CloudConfigSchema, CloudService, startEmbeddedBroker, type EmbeddedBroker } from '@safeloop/cloud';
import { GatewayAgent, GatewayConfigSchema } from '@safeloop/gateway';
import { checkGatewayConfig } from '@safeloop/gateway/config-check';
import { DEMO_DAM_GNSS_BASELINE, demoDamDrift, RigConfigSchema, startGnssSimulator, startRig, startRigControl, type RigConfig } from '@safeloop/test-rigs';
import { freePort } from '@safeloop/test-rigs/net/free-port';
import { remapPorts } from './remap-ports.ts';

export const REPO_ROOT = resolve(new URL('../../..', import.meta.url).pathname);
/** Two edge boxes: the tank farm (示例化工) and the tailings pond (示例矿业) belong to different enterprises. */
export const DEMO_GATEWAY_CONFIGS = [join(REPO_ROOT, 'examples/demo-gateway.yaml'), join(REPO_ROOT, 'examples/demo-gateway-pond.yaml')];
export const DEMO_RIG_CONFIG = join(REPO_ROOT, 'test-rigs/plants/demo-plant.yaml');
export const DEMO_SEED = join(REPO_ROOT, 'cloud/seed/demo.yaml');
/** Stale data, gateway offline and the pond's four-colour aggregation (point limits run at the edge). */
export const DEMO_RULES = join(REPO_ROOT, 'examples/demo-rules.yaml');
/** The dam-crest GNSS receiver (NMEA over a serial server) the pond gateway reads. */
export const DEMO_GNSS_PORT = 15030;

export interface DemoOptions {
  dataDir: string;
  httpPort: number;
  mqttPort: number;
  logger: Logger;
  /** Move every simulator port to a free one (tests). */
  randomPorts?: boolean;
  /** Adjust the plant before it starts (tests compress the scenario). */
  transformRig?: (rig: RigConfig) => RigConfig;
  /** Loopback port of the rig control (`safeloop rig pause`); 0 picks a free one. Default 15099. */
  rigControlPort?: number;
}

export interface RunningDemo {
  url: string;
  mqttUrl: string;
  cloud: CloudService;
  gateways: GatewayAgent[];
  /** Where `safeloop rig pause|resume` reaches the simulated plant. */
  rigControlUrl: string;
  stop(): Promise<void>;
}

async function portMap(ports: number[]): Promise<Map<number, number>> {
  const map = new Map<number, number>();
  for (const p of ports) map.set(p, await freePort());
  return map;
}

function collectPorts(value: unknown, out = new Set<number>()): Set<number> {
  if (Array.isArray(value)) value.forEach((v) => collectPorts(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if ((k === 'port' || k === 'tcpPort') && typeof v === 'number' && v > 0) out.add(v);
      else collectPorts(v, out);
    }
  } else if (typeof value === 'string') {
    const m = /^(?:opc\.tcp|tcp):\/\/[^/:]+:(\d+)/.exec(value);
    if (m?.[1]) out.add(Number(m[1]));
  }
  return out;
}

export async function startDemo(opts: DemoOptions): Promise<RunningDemo> {
  const { logger } = opts;
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });

  let rigConfig = loadConfigFile(DEMO_RIG_CONFIG, RigConfigSchema);
  let gatewayConfigs = DEMO_GATEWAY_CONFIGS.map((file) => ({ file, config: loadConfigFile(file, GatewayConfigSchema) }));
  if (opts.transformRig) rigConfig = opts.transformRig(rigConfig);
  let gnssPort = DEMO_GNSS_PORT;
  if (opts.randomPorts) {
    const map = await portMap([...collectPorts(rigConfig), DEMO_GNSS_PORT]);
    gnssPort = map.get(DEMO_GNSS_PORT) ?? DEMO_GNSS_PORT;
    rigConfig = validateConfig(DEMO_RIG_CONFIG, remapPorts(rigConfig, map), RigConfigSchema);
    gatewayConfigs = gatewayConfigs.map(({ file, config }) => ({ file, config: validateConfig(file, remapPorts(config, map), GatewayConfigSchema) }));
  }

  const stops: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (err) {
        logger.error({ err: err instanceof Error ? err.message : String(err) }, 'demo part failed to stop');
      }
    }
  };

  try {
    const broker: EmbeddedBroker = await startEmbeddedBroker({ port: opts.mqttPort, logger });
    stops.push(() => broker.stop());

    const cloudConfig = validateConfig('(demo cloud config)', {
      http: { host: '127.0.0.1', port: opts.httpPort },
      store: { kind: 'sqlite', path: join(dataDir, 'cloud/safeloop.db') },
      mqtt: { url: broker.url, protocolVersion: 4 },
      seed: DEMO_SEED,
      ruleFiles: [DEMO_RULES],
      auth: { secretFile: join(dataDir, 'cloud/token-secret') },
      metrics: { tokenFile: join(dataDir, 'cloud/metrics-token') },
    }, CloudConfigSchema);
    const cloud = await CloudService.start(cloudConfig, { logger, repoRoot: REPO_ROOT, validateGatewayConfig: checkGatewayConfig });
    stops.push(() => cloud.stop());

    const rig = await startRig(rigConfig, { logger });
    stops.push(() => rig.stop());
    const rigControl = await startRigControl(rig, { port: opts.rigControlPort ?? (opts.randomPorts ? 0 : 15099), logger });
    stops.push(() => rigControl.stop());
    const gnss = await startGnssSimulator({ tcpPort: gnssPort, host: '127.0.0.1', baseline: DEMO_DAM_GNSS_BASELINE, drift: demoDamDrift });
    stops.push(() => gnss.stop());

    const gateways: GatewayAgent[] = [];
    for (const { file, config } of gatewayConfigs) {
      const gwConfig = validateConfig(file, {
        ...config,
        journal: { ...config.journal, path: join(dataDir, `gateway-${config.gateway.id}/journal.db`) },
        uplink: { ...config.uplink, url: broker.url },
      }, GatewayConfigSchema);
      const gateway = await GatewayAgent.start({ config: gwConfig, logger });
      stops.push(() => gateway.stop());
      gateways.push(gateway);
    }

    return { url: cloud.url, mqttUrl: broker.url, cloud, gateways, rigControlUrl: rigControl.url, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
