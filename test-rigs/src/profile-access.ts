/**
 * The simulators' narrow view of the profile library: look a profile up, pick a resting value for a
 * point inside its normal limits, and encode engineering values into registers. The profile format
 * itself belongs to @safeloop/device-profiles.
 */
import {
  encodeModbusPoint,
  getProfile,
  type DeviceProfile,
  type DeviceState,
  type ModbusPointDef,
  type ModbusProfile,
  type OpcuaPointDef,
  type OpcuaProfile,
  type StatusRegister,
} from '@safeloop/device-profiles';
import { SafeLoopError } from '@safeloop/contract';

export type ModbusTable = ModbusPointDef['table'];
export type PointValue = number | boolean | string;
export type { DeviceProfile, ModbusProfile, OpcuaProfile, ModbusPointDef, OpcuaPointDef, StatusRegister, DeviceState };

/** Look a profile up by id; a clear error if the library does not have it. */
export function loadSimProfile(profileId: string): DeviceProfile {
  const profile = getProfile(profileId);
  if (profile === undefined) {
    throw new SafeLoopError('RIG_ERR_UNKNOWN_PROFILE', `unknown device profile "${profileId}"`, { details: { profileId } });
  }
  return profile;
}

export function requireModbusProfile(profile: DeviceProfile): ModbusProfile {
  if (profile.protocol !== 'modbus') {
    throw new SafeLoopError('RIG_ERR_PROFILE_PROTOCOL', `profile ${profile.id} is a profile for ${profile.protocol}; a Modbus simulator cannot serve it`);
  }
  return profile;
}

export function requireOpcuaProfile(profile: DeviceProfile): OpcuaProfile {
  if (profile.protocol !== 'opcua') {
    throw new SafeLoopError('RIG_ERR_PROFILE_PROTOCOL', `profile ${profile.id} is a profile for ${profile.protocol}; the OPC-UA simulator cannot serve it`);
  }
  return profile;
}

type AnyPoint = ModbusPointDef | OpcuaPointDef;

function isBooleanPoint(p: AnyPoint): boolean {
  if ('table' in p) return p.table === 'coil' || p.table === 'discrete' || p.type === 'bool' || p.type === 'bit';
  return p.dataType === 'Boolean';
}
function isStringPoint(p: AnyPoint): boolean {
  return 'table' in p ? p.type === 'string' : p.dataType === 'String';
}

/** Bit-in-register points share a register with others: their encodings are OR-ed together. */
export function isBitInRegister(p: ModbusPointDef): boolean {
  return (p.table === 'holding' || p.table === 'input') && p.type === 'bit';
}

/**
 * A resting value inside normal limits: midway between the highest low limit and the lowest high
 * limit; for a point with only high limits (gas detectors) the bottom of its range; else mid-range.
 */
export function restingValue(p: AnyPoint): PointValue {
  if (isStringPoint(p)) return '';
  if (isBooleanPoint(p)) return false;
  const lows = p.limits.filter((l) => l.direction === 'low').map((l) => l.value);
  const highs = p.limits.filter((l) => l.direction === 'high').map((l) => l.value);
  const min = p.range?.min;
  const max = p.range?.max;
  if (lows.length === 0 && highs.length > 0) return Math.max(min ?? 0, 0);
  const lo = lows.length > 0 ? Math.max(...lows) : min;
  const hi = highs.length > 0 ? Math.min(...highs) : max;
  if (lo !== undefined && hi !== undefined) return (lo + hi) / 2;
  return lo ?? hi ?? 0;
}

/** The raw status-register value that means "normal" (0 when the register only has flag bits). */
export function normalStatusValue(reg: StatusRegister): number {
  return reg.codes.find((c) => c.state === 'normal')?.value ?? 0;
}

/** The raw value a status register shows for `state` (a listed code, or the flag bit). */
export function statusValueFor(reg: StatusRegister, state: DeviceState): number | undefined {
  const code = reg.codes.find((c) => c.state === state);
  if (code !== undefined) return code.value;
  const bit = reg.bits.find((b) => b.state === state);
  if (bit !== undefined) return 1 << bit.bit;
  return state === 'normal' ? 0 : undefined;
}

export interface EncodedRegisters {
  table: ModbusTable;
  address: number;
  values: number[];
}

/** Engineering value → raw registers/bits for one Modbus point (the profile library's encoder). */
export function encodePoint(profile: DeviceProfile, pointId: string, value: PointValue): EncodedRegisters {
  return encodeModbusPoint(profile, pointId, value);
}
