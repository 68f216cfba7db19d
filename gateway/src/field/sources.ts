/**
 * Device instances → ReadingSources, one per physical bus: one RS-485 line (serial path), one
 * Modbus TCP host:port, one OPC-UA endpoint. Devices that share a bus share its scheduler, so their
 * requests go one at a time.
 */
import { SafeLoopError, type Clock, type Logger, type ReadingSink, type ReadingSource } from '@safeloop/contract';
import type { DeviceInstance } from './config.ts';
import { createModbusBus, type ModbusBus } from './modbus-bus.ts';
import { planModbusDevice, type ProfileResolver } from './modbus-device.ts';
import type { ModbusDriver } from './modbus-driver.ts';
import { createModbusRtuDriver } from './modbus-rtu-driver.ts';
import { createModbusTcpDriver } from './modbus-tcp-driver.ts';
import type { OpcuaTransport } from './opcua-connection.ts';
import { opcuaPointRefs } from './opcua-points.ts';
import { createOpcuaSource, type OpcuaDeviceGroup } from './opcua-source.ts';

export interface FieldSourceDeps {
  devices: DeviceInstance[];
  defaultSite: string;
  logger: Logger;
  clock?: Clock;
  sink: ReadingSink;
  /** Profile lookup; default the library's getProfile (tests and benchmarks pass generated profiles). */
  resolveProfile?: ProfileResolver;
}

/** The physical bus a device sits on. */
export function busKey(d: DeviceInstance): string {
  const t = d.transport;
  switch (t.kind) {
    case 'modbus-tcp':
      return `tcp:${t.host}:${t.port}`;
    case 'modbus-rtu':
      return `rtu:${t.path}`;
    case 'opcua':
      return `opcua:${t.endpoint}`;
  }
}

function configError(message: string, details: Record<string, unknown>): SafeLoopError {
  return new SafeLoopError('GW_ERR_FIELD_CONFIG', message, { details });
}

/** Devices on one bus must agree on the line (RTU) or the security (OPC-UA) and not share a unit id. */
export function checkBus(key: string, devices: DeviceInstance[]): void {
  const first = devices[0];
  if (!first) return;
  const units = new Map<number, string>();
  for (const d of devices) {
    const t = d.transport;
    const f = first.transport;
    if (t.kind === 'modbus-rtu' && f.kind === 'modbus-rtu') {
      if (t.baudRate !== f.baudRate || t.parity !== f.parity || t.dataBits !== f.dataBits || t.stopBits !== f.stopBits) {
        throw configError(`devices ${first.id} and ${d.id} share ${t.path} but not its line settings (baud, parity, data and stop bits)`, { bus: key });
      }
    }
    if (t.kind === 'opcua' && f.kind === 'opcua') {
      if (t.securityMode !== f.securityMode || t.securityPolicy !== f.securityPolicy || t.pkiDir !== f.pkiDir) {
        throw configError(`devices ${first.id} and ${d.id} share ${t.endpoint} but not its security settings`, { bus: key });
      }
    }
    if (t.kind !== 'opcua') {
      const other = units.get(t.unitId);
      if (other !== undefined) throw configError(`devices ${other} and ${d.id} both use unit ${t.unitId} on ${key}`, { bus: key });
      units.set(t.unitId, d.id);
    }
  }
}

export function createModbusDriverFor(d: DeviceInstance, logger: Logger): ModbusDriver {
  const t = d.transport;
  switch (t.kind) {
    case 'modbus-tcp':
      return createModbusTcpDriver({ host: t.host, port: t.port, logger });
    case 'modbus-rtu': {
      return createModbusRtuDriver({
        path: t.path,
        baudRate: t.baudRate,
        parity: t.parity,
        dataBits: t.dataBits,
        stopBits: t.stopBits,
        logger,
        ...(t.lateReplyGuardMs === undefined ? {} : { lateReplyGuardMs: t.lateReplyGuardMs }),
        ...(t.lateReplyWindowMs === undefined ? {} : { lateReplyWindowMs: t.lateReplyWindowMs }),
      });
    }
    case 'opcua':
      throw configError(`device ${d.id} is OPC-UA, not Modbus`, { device: d.id });
  }
}

/**
 * First-poll delay of Modbus bus `index` of `count`: bus k starts k/count of its shortest interval
 * (at most 1 s) late, so the buses of a large gateway do not all poll in the same instant.
 */
export function busPhaseMs(index: number, count: number, intervalMs: number): number {
  if (count <= 1) return 0;
  return Math.floor((Math.min(intervalMs, 1000) * index) / count);
}

/**
 * One ReadingSource per physical bus. Throws GW_ERR_FIELD_CONFIG / GW_ERR_UNKNOWN_PROFILE for a
 * configuration that cannot work (unknown profile, clashing unit ids, inconsistent line settings),
 * before anything is opened.
 */
export function createFieldSources(deps: FieldSourceDeps): ReadingSource[] {
  const buses = new Map<string, DeviceInstance[]>();
  for (const d of deps.devices) {
    if (!d.enabled) continue;
    const key = busKey(d);
    const list = buses.get(key) ?? [];
    list.push(d);
    buses.set(key, list);
  }
  const sources: ReadingSource[] = [];
  const modbusBuses = [...buses.values()].filter((list) => list[0]?.transport.kind !== 'opcua').length;
  let modbusIndex = 0;
  for (const [key, devices] of buses) {
    checkBus(key, devices);
    const first = devices[0];
    if (!first) continue;
    const logger = deps.logger.child({ module: 'gateway:field', bus: key });
    if (first.transport.kind === 'opcua') {
      const transport: OpcuaTransport = first.transport;
      const groups: OpcuaDeviceGroup[] = devices.map((d) => {
        const t = d.transport.kind === 'opcua' ? d.transport : transport;
        return {
          deviceId: d.id,
          refs: opcuaPointRefs(d, deps.defaultSite, deps.resolveProfile),
          pollIntervalMs: d.pollIntervalMs,
          samplingIntervalMs: t.samplingIntervalMs,
          queueSize: t.queueSize ?? 10,
        };
      });
      const opts = { id: key, transport, devices: groups, sink: deps.sink, logger };
      sources.push(createOpcuaSource(deps.clock ? { ...opts, clock: deps.clock } : opts));
      continue;
    }
    const plans = devices.map((d) => planModbusDevice(d, deps.defaultSite, deps.resolveProfile));
    const retries = first.transport.retries;
    const phaseMs = busPhaseMs(modbusIndex++, modbusBuses, Math.min(...devices.map((d) => d.pollIntervalMs)));
    const bus: ModbusBus = createModbusBus({
      id: key,
      driver: createModbusDriverFor(first, logger),
      devices: plans,
      sink: deps.sink,
      logger,
      ...(deps.clock ? { clock: deps.clock } : {}),
      ...(retries === undefined ? {} : { retries }),
      phaseMs,
    });
    sources.push(bus);
  }
  return sources;
}
