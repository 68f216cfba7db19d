/** The devices behind one simulator port or line, addressed by unit id. */
import { SafeLoopError, type Logger } from '@safeloop/contract';
import type { Curve } from '../scenario/curve.ts';
import type { ScenarioClock } from '../scenario/scenario-clock.ts';
import type { DeviceState, PointValue } from '../profile-access.ts';
import type { Fault } from './faults.ts';
import { SimulatedModbusDevice, type SimDevice } from './sim-device.ts';

/** The handle every Modbus simulator returns. */
export interface ModbusSim {
  /** TCP port (0 for an RTU simulator). */
  readonly port: number;
  /** Replace a device's faults with `fault`, or clear them with null. */
  setFault(unitId: number, fault: Fault | null): void;
  /** Hold a point at a fixed engineering value (until setCurve). */
  setValue(unitId: number, pointId: string, value: PointValue): void;
  setCurve(unitId: number, pointId: string, curve: Curve): void;
  /** Put one of the profile's status registers into a state (`fault`, `calibration`, …) or raw value. */
  setStatus(unitId: number, statusId: string, state: DeviceState | number): void;
  /** Requests addressed to `unitId` (or to any unit) so far, answered or not. */
  requestCount(unitId?: number): number;
  /** The device object, for tests that need more than the handle offers. */
  device(unitId: number): SimulatedModbusDevice;
  stop(): Promise<void>;
}

export interface FleetDeps {
  scenario: ScenarioClock;
  logger: Logger;
  refreshMs?: number;
}

export class SimFleet {
  private readonly byUnit = new Map<number, SimulatedModbusDevice>();

  constructor(devices: readonly SimDevice[], deps: FleetDeps) {
    for (const spec of devices) {
      if (!Number.isInteger(spec.unitId) || spec.unitId < 0 || spec.unitId > 255) {
        throw new SafeLoopError('RIG_ERR_BAD_UNIT', `unit id ${spec.unitId} is not an integer 0-255`);
      }
      if (this.byUnit.has(spec.unitId)) throw new SafeLoopError('RIG_ERR_BAD_UNIT', `unit id ${spec.unitId} is used twice`);
      const deviceDeps = { scenario: deps.scenario, logger: deps.logger, ...(deps.refreshMs === undefined ? {} : { refreshMs: deps.refreshMs }) };
      this.byUnit.set(spec.unitId, new SimulatedModbusDevice(spec, deviceDeps));
    }
  }

  find(unitId: number): SimulatedModbusDevice | undefined {
    return this.byUnit.get(unitId);
  }

  get(unitId: number): SimulatedModbusDevice {
    const d = this.byUnit.get(unitId);
    if (d === undefined) throw new SafeLoopError('RIG_ERR_BAD_UNIT', `no simulated device with unit id ${unitId}`);
    return d;
  }

  all(): SimulatedModbusDevice[] {
    return [...this.byUnit.values()];
  }

  requestCount(unitId?: number): number {
    if (unitId !== undefined) return this.get(unitId).requests;
    let n = 0;
    for (const d of this.byUnit.values()) n += d.requests;
    return n;
  }

  /** The parts of ModbusSim that only concern devices. */
  handle(): Pick<ModbusSim, 'setFault' | 'setValue' | 'setCurve' | 'setStatus' | 'requestCount' | 'device'> {
    return {
      setFault: (unitId, fault) => this.get(unitId).setFault(fault),
      setValue: (unitId, pointId, value) => this.get(unitId).setValue(pointId, value),
      setCurve: (unitId, pointId, curve) => this.get(unitId).setCurve(pointId, curve),
      setStatus: (unitId, statusId, state) => this.get(unitId).setStatus(statusId, state),
      requestCount: (unitId) => this.requestCount(unitId),
      device: (unitId) => this.get(unitId),
    };
  }
}
