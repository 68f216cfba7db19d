/**
 * Start a whole simulated plant from a validated RigConfig: every simulator on one shared scenario
 * timeline. If one fails to start, the ones already running are stopped before the error is thrown.
 */
import { SafeLoopError, systemClock, type Clock, type Logger } from '@safeloop/contract';
import { createScenarioClock, type ScenarioClock } from './scenario/scenario-clock.ts';
import { startModbusTcpSimulator, type ModbusTcpSim } from './modbus/tcp-simulator.ts';
import { startModbusRtuSimulator, type ModbusRtuSim } from './modbus/rtu-simulator.ts';
import { createPtyPair, type PtyPair } from './modbus/pty-pair.ts';
import type { SimDevice } from './modbus/sim-device.ts';
import { startOpcuaSimulator, type OpcuaSim } from './opcua/opcua-simulator.ts';
import { RigConfigSchema, type RigConfig, type RigModbusDevice, type SimulatorConfig } from './rig-config.ts';

/** Where a started simulator can be reached. */
export type RigEndpoint =
  | { name: string; kind: 'modbus-tcp'; host: string; port: number; unitIds: number[] }
  | { name: string; kind: 'modbus-rtu'; /** The master's end of the line. */ path: string; baudRate: number; unitIds: number[] }
  | { name: string; kind: 'opcua'; endpoint: string; port: number; devices: string[] };

export interface Rig {
  readonly endpoints: readonly RigEndpoint[];
  /** Modbus simulators by name (default name `<kind>-<index>`), for fault injection. */
  readonly modbus: ReadonlyMap<string, ModbusTcpSim | ModbusRtuSim>;
  readonly opcua: ReadonlyMap<string, OpcuaSim>;
  readonly scenario: ScenarioClock;
  stop(): Promise<void>;
}

export interface RigDeps {
  logger: Logger;
  clock?: Clock;
}

function toSimDevice(d: RigModbusDevice): SimDevice {
  return { unitId: d.unitId, profileId: d.profile, points: d.points, faults: d.faults, registerMode: d.registerMode };
}

function simulatorName(sim: SimulatorConfig, index: number): string {
  return sim.name ?? `${sim.kind}-${index}`;
}

export async function startRig(config: RigConfig, deps: RigDeps): Promise<Rig> {
  const cfg = RigConfigSchema.parse(config);
  const logger = deps.logger.child({ component: 'rig', plant: cfg.plant?.name });
  const scenario = createScenarioClock(deps.clock ?? systemClock);
  const endpoints: RigEndpoint[] = [];
  const modbus = new Map<string, ModbusTcpSim | ModbusRtuSim>();
  const opcua = new Map<string, OpcuaSim>();
  const stoppers: (() => Promise<void>)[] = [];

  const stopAll = async (): Promise<void> => {
    const errors: unknown[] = [];
    for (const stop of stoppers.splice(0).reverse()) {
      try {
        await stop();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw new SafeLoopError('RIG_ERR_STOP', `${errors.length} simulator(s) failed to stop cleanly`, { cause: errors[0] });
  };

  try {
    for (const [i, sim] of cfg.simulators.entries()) {
      const name = simulatorName(sim, i);
      const simLogger = logger.child({ simulator: name });
      switch (sim.kind) {
        case 'modbus-tcp': {
          const s = await startModbusTcpSimulator({ port: sim.port, host: sim.host, devices: sim.devices.map(toSimDevice), logger: simLogger, scenario });
          stoppers.push(() => s.stop());
          modbus.set(name, s);
          endpoints.push({ name, kind: 'modbus-tcp', host: sim.host, port: s.port, unitIds: sim.devices.map((d) => d.unitId) });
          break;
        }
        case 'modbus-rtu': {
          let pty: PtyPair | undefined;
          if (sim.pty) {
            pty = await createPtyPair();
            const p = pty;
            stoppers.push(() => p.stop());
          }
          const path = pty?.b ?? sim.path ?? '';
          const s = await startModbusRtuSimulator({
            path,
            baudRate: sim.baudRate,
            parity: sim.parity,
            dataBits: sim.dataBits,
            stopBits: sim.stopBits,
            lineTiming: sim.lineTiming,
            devices: sim.devices.map(toSimDevice),
            logger: simLogger,
            scenario,
          });
          stoppers.push(() => s.stop());
          modbus.set(name, s);
          endpoints.push({ name, kind: 'modbus-rtu', path: pty?.a ?? path, baudRate: sim.baudRate, unitIds: sim.devices.map((d) => d.unitId) });
          break;
        }
        case 'opcua': {
          const s = await startOpcuaSimulator({
            port: sim.port,
            host: sim.host,
            securityModes: sim.securityModes,
            updateMs: sim.updateMs,
            ...(sim.certificateDir === undefined ? {} : { certificateDir: sim.certificateDir }),
            devices: sim.devices.map((d) => ({ name: d.name, profileId: d.profile, points: d.points })),
            logger: simLogger,
            scenario,
          });
          stoppers.push(() => s.stop());
          opcua.set(name, s);
          endpoints.push({ name, kind: 'opcua', endpoint: s.endpoint, port: s.port, devices: sim.devices.map((d) => d.name) });
          break;
        }
      }
    }
  } catch (err) {
    await stopAll().catch((stopErr: unknown) => logger.warn({ err: stopErr }, 'cleanup after a failed rig start was incomplete'));
    throw err;
  }
  scenario.restart(); // t = 0 when the whole plant is up, not when the first simulator started
  logger.info({ endpoints }, 'rig started');

  let stopped = false;
  return {
    endpoints,
    modbus,
    opcua,
    scenario,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await stopAll();
      logger.info({}, 'rig stopped');
    },
  };
}
