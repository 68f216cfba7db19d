/**
 * OPC-UA simulator on node-opcua's OPCUAServer: serves OPC-UA device profiles, one folder per
 * device under Objects, each point a variable at the profile's node id with the profile's data
 * type, values following scenario curves. `restart()` brings the server back on the same port with
 * the same nodes (RELIABILITY.md C8). Security None is on by default for tests and the demo;
 * Sign and SignAndEncrypt (Basic256Sha256) use the simulator's own certificate folder. The rig
 * accepts any client certificate: it is a test peer, not a production server.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAServer,
  SecurityPolicy,
  StatusCodes,
  resolveNodeId,
  type StatusCode,
  type INamespace,
  type UAVariable,
} from 'node-opcua';
import { SafeLoopError, silentLogger, systemClock, type Clock, type Logger } from '@safeloop/contract';
import { CurveSchema, evaluateCurve, seedFromName, type Curve } from '../scenario/curve.ts';
import { createScenarioClock, type ScenarioClock } from '../scenario/scenario-clock.ts';
import { loadSimProfile, requireOpcuaProfile, restingValue, type DeviceProfile, type OpcuaPointDef, type PointValue } from '../profile-access.ts';
import { opcuaDataType, toRawOpcuaValue, toVariant } from './opcua-values.ts';

export type OpcuaSecurityMode = 'None' | 'Sign' | 'SignAndEncrypt';

export interface OpcuaSimDevice {
  /** Folder name under Objects, and the handle's device key. */
  name: string;
  profileId: string;
  /** A profile object to serve instead of looking `profileId` up. */
  profile?: DeviceProfile;
  points?: Record<string, Curve>;
}

export interface OpcuaSimulatorOptions {
  /** 0 (default) picks a free port; restart() reuses the port actually bound. */
  port?: number;
  host?: string;
  devices: OpcuaSimDevice[];
  /** Default ['None', 'Sign', 'SignAndEncrypt']. */
  securityModes?: OpcuaSecurityMode[];
  /** PKI folder (own certificate, trusted/rejected client certificates); default a temp folder removed on stop. */
  certificateDir?: string;
  /** How often variables are recomputed from their curves (ms); default 200. */
  updateMs?: number;
  logger?: Logger;
  clock?: Clock;
  scenario?: ScenarioClock;
}

export interface OpcuaSim {
  readonly endpoint: string;
  readonly port: number;
  /** The server's certificate (PEM), for clients that trust it explicitly. */
  readonly certificateFile: string;
  setValue(deviceName: string, pointId: string, value: PointValue): void;
  setCurve(deviceName: string, pointId: string, curve: Curve): void;
  /**
   * The status code the variable's values carry from now on, by name (`Good`, `BadSensorFailure`,
   * `UncertainLastUsableValue`, `BadCommunicationError`, …); the value keeps following its curve.
   */
  setStatusCode(deviceName: string, pointId: string, statusName: string): void;
  /** Shut the server down and start it again on the same port with the same nodes. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

interface SimVariable {
  device: string;
  point: OpcuaPointDef;
  seed: number;
  curve: Curve | undefined;
  fixed: PointValue | undefined;
  node: UAVariable | undefined;
  lastRaw: unknown;
  status: StatusCode;
}

const MODE: Record<OpcuaSecurityMode, MessageSecurityMode> = {
  None: MessageSecurityMode.None,
  Sign: MessageSecurityMode.Sign,
  SignAndEncrypt: MessageSecurityMode.SignAndEncrypt,
};

function namespaceFor(server: OPCUAServer, index: number, nodeId: string): INamespace {
  const addressSpace = server.engine.addressSpace;
  if (addressSpace === null) throw new SafeLoopError('RIG_ERR_OPCUA', 'OPC-UA address space not ready');
  if (index < 1) throw new SafeLoopError('RIG_ERR_OPCUA', `node id ${nodeId} is in namespace 0, which belongs to the standard`);
  while (addressSpace.getNamespaceArray().length <= index) {
    addressSpace.registerNamespace(`urn:safeloop:rig:ns${addressSpace.getNamespaceArray().length}`);
  }
  return addressSpace.getNamespace(index);
}

export async function startOpcuaSimulator(opts: OpcuaSimulatorOptions): Promise<OpcuaSim> {
  const logger = (opts.logger ?? silentLogger).child({ component: 'rig:opcua' });
  const scenario = opts.scenario ?? createScenarioClock(opts.clock ?? systemClock);
  const modes = opts.securityModes ?? ['None', 'Sign', 'SignAndEncrypt'];
  const host = opts.host ?? '127.0.0.1';
  const updateMs = opts.updateMs ?? 200;

  const variables = new Map<string, SimVariable>();
  const seenNodeIds = new Map<string, string>();
  for (const dev of opts.devices) {
    const profile = requireOpcuaProfile(dev.profile ?? loadSimProfile(dev.profileId));
    for (const point of profile.points) {
      const other = seenNodeIds.get(point.nodeId);
      if (other !== undefined) {
        throw new SafeLoopError('RIG_ERR_OPCUA', `devices ${other} and ${dev.name} both use node id ${point.nodeId}; serve them from separate simulators`);
      }
      seenNodeIds.set(point.nodeId, dev.name);
      const curve = dev.points?.[point.id];
      variables.set(`${dev.name}/${point.id}`, {
        device: dev.name,
        point,
        seed: seedFromName(`${dev.name}/${point.id}`),
        curve: curve === undefined ? undefined : CurveSchema.parse(curve),
        fixed: undefined,
        node: undefined,
        lastRaw: undefined,
        status: StatusCodes.Good,
      });
    }
    for (const pointId of Object.keys(dev.points ?? {})) {
      if (!variables.has(`${dev.name}/${pointId}`)) throw new SafeLoopError('RIG_ERR_UNKNOWN_POINT', `profile ${profile.id} (device ${dev.name}) has no point "${pointId}"`);
    }
  }

  const ownPki = opts.certificateDir === undefined;
  const pkiDir = opts.certificateDir ?? (await mkdtemp(join(tmpdir(), 'safeloop-opcua-pki-')));

  const valueOf = (v: SimVariable): PointValue =>
    v.fixed ?? (v.curve === undefined ? restingValue(v.point) : evaluateCurve(v.curve, scenario.elapsedSec(), v.seed));

  const push = (v: SimVariable, force: boolean): void => {
    if (v.node === undefined) return;
    const value = valueOf(v);
    const raw = toRawOpcuaValue(v.point, value);
    if (!force && raw === v.lastRaw) return;
    v.lastRaw = raw;
    v.node.setValueFromSource(toVariant(v.point, value), v.status, new Date());
  };

  let server: OPCUAServer | undefined;
  let certificateManager: OPCUACertificateManager | undefined;
  let ticker: NodeJS.Timeout | undefined;
  let boundPort = opts.port ?? 0;

  const build = async (): Promise<OPCUAServer> => {
    certificateManager = new OPCUACertificateManager({ rootFolder: pkiDir, automaticallyAcceptUnknownCertificate: true });
    await certificateManager.initialize();
    const s = new OPCUAServer({
      port: boundPort,
      host,
      hostname: host,
      alternateHostname: ['localhost'],
      resourcePath: '',
      allowAnonymous: true,
      securityModes: modes.map((m) => MODE[m]),
      securityPolicies: modes.includes('None') ? [SecurityPolicy.None, SecurityPolicy.Basic256Sha256] : [SecurityPolicy.Basic256Sha256],
      serverCertificateManager: certificateManager,
      buildInfo: { productName: 'SafeLoop OPC-UA rig', manufacturerName: 'SafeLoop' },
    });
    await s.initialize();
    const addressSpace = s.engine.addressSpace;
    if (addressSpace === null) throw new SafeLoopError('RIG_ERR_OPCUA', 'OPC-UA address space missing after initialize');
    const own = addressSpace.getOwnNamespace();
    const folders = new Map<string, ReturnType<INamespace['addFolder']>>();
    for (const v of variables.values()) {
      let folder = folders.get(v.device);
      if (folder === undefined) {
        folder = own.addFolder(addressSpace.rootFolder.objects, { browseName: v.device });
        folders.set(v.device, folder);
      }
      const nodeId = resolveNodeId(v.point.nodeId);
      const ns = namespaceFor(s, nodeId.namespace, v.point.nodeId);
      v.node = ns.addVariable({
        componentOf: folder,
        browseName: v.point.id,
        nodeId: v.point.nodeId,
        dataType: opcuaDataType(v.point.dataType),
        minimumSamplingInterval: 50,
        ...(v.point.unit === undefined ? {} : { description: v.point.unit }),
      });
      v.lastRaw = undefined;
      push(v, true);
    }
    await s.start();
    return s;
  };

  const startTicker = (): void => {
    ticker = setInterval(() => {
      for (const v of variables.values()) push(v, false);
    }, updateMs);
  };

  const shutdown = async (): Promise<void> => {
    if (ticker !== undefined) clearInterval(ticker);
    ticker = undefined;
    const s = server;
    server = undefined;
    if (s !== undefined) await s.shutdown(0);
    if (certificateManager !== undefined) await certificateManager.dispose();
    certificateManager = undefined;
    for (const v of variables.values()) v.node = undefined;
  };

  try {
    server = await build();
  } catch (err) {
    await shutdown().catch(() => undefined);
    if (ownPki) await rm(pkiDir, { recursive: true, force: true });
    throw new SafeLoopError('RIG_ERR_OPCUA', `OPC-UA simulator did not start on port ${boundPort}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  boundPort = server.endpoints[0]?.port ?? boundPort;
  startTicker();
  const certificateFile = server.certificateFile;
  logger.info({ port: boundPort, variables: variables.size }, 'opcua simulator started');

  const find = (deviceName: string, pointId: string): SimVariable => {
    const v = variables.get(`${deviceName}/${pointId}`);
    if (v === undefined) throw new SafeLoopError('RIG_ERR_UNKNOWN_POINT', `no OPC-UA point ${deviceName}/${pointId}`);
    return v;
  };
  let stopped = false;

  return {
    endpoint: `opc.tcp://${host}:${boundPort}`,
    port: boundPort,
    certificateFile,
    setValue: (deviceName, pointId, value) => {
      const v = find(deviceName, pointId);
      v.fixed = value;
      push(v, false);
    },
    setCurve: (deviceName, pointId, curve) => {
      const v = find(deviceName, pointId);
      v.curve = CurveSchema.parse(curve);
      v.fixed = undefined;
      push(v, false);
    },
    setStatusCode: (deviceName, pointId, statusName) => {
      const v = find(deviceName, pointId);
      const code = (StatusCodes as unknown as Record<string, StatusCode | undefined>)[statusName];
      if (code === undefined || typeof code !== 'object') throw new SafeLoopError('RIG_ERR_OPCUA', `unknown OPC-UA status code name "${statusName}"`);
      v.status = code;
      push(v, true);
    },
    restart: async () => {
      if (stopped) throw new SafeLoopError('RIG_ERR_OPCUA', 'OPC-UA simulator already stopped');
      await shutdown();
      server = await build();
      startTicker();
      logger.info({ port: boundPort }, 'opcua simulator restarted');
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await shutdown();
      if (ownPki) await rm(pkiDir, { recursive: true, force: true });
    },
  };
}
