/** Engineering value → registers: the transform pipeline run backwards (simulators, allow-listed writes). */
import { SafeLoopError } from '@safeloop/contract';
import { findPoint } from './limits.ts';
import { requireModbus } from './modbus-decode.ts';
import { encodeRaw, integerBounds, isNumericType } from './register-codec.ts';
import type { DeviceProfile, DeviceState, ModbusPointDef, ModbusTable } from './schema.ts';

export interface EncodedModbusPoint {
  table: ModbusTable;
  address: number;
  values: number[];
}

function fail(profile: DeviceProfile, point: ModbusPointDef, message: string, value: unknown): never {
  throw new SafeLoopError('PROFILE_ENCODE_INVALID', `${profile.id}.${point.id}: ${message}`, {
    details: { profile: profile.id, pointId: point.id, value },
  });
}

/**
 * Encode one point. Numbers: raw = (value − offset) ÷ scale, rounded to an integer for integer types,
 * and it must fit the type. `bit` points return their register with only their bit set (OR the bit
 * points that share a register). Strings are NUL-padded to the point's length. The range is not
 * enforced: simulators must be able to produce out-of-range readings; a write path that must stay
 * inside the range checks `point.range` itself.
 */
export function encodeModbusPoint(profile: DeviceProfile, pointId: string, engineeringValue: number | boolean | string): EncodedModbusPoint {
  const modbus = requireModbus(profile);
  const point = findPoint(modbus, pointId) as ModbusPointDef;
  const at = { table: point.table, address: point.address };
  if (point.type === 'string') {
    if (typeof engineeringValue !== 'string') fail(modbus, point, 'expects a string', engineeringValue);
    if (Buffer.byteLength(engineeringValue, 'latin1') > (point.length ?? 1) * 2 || /[^\x20-\xff]/.test(engineeringValue)) {
      fail(modbus, point, `"${engineeringValue}" does not fit ${point.length ?? 1} registers of latin-1 text`, engineeringValue);
    }
    return { ...at, values: encodeRaw(point, engineeringValue) };
  }
  if (!isNumericType(point.type)) {
    if (typeof engineeringValue !== 'boolean') fail(modbus, point, 'expects true or false', engineeringValue);
    return { ...at, values: encodeRaw(point, engineeringValue) };
  }
  if (typeof engineeringValue !== 'number' || !Number.isFinite(engineeringValue)) fail(modbus, point, 'expects a finite number', engineeringValue);
  let raw = (engineeringValue - point.offset) / point.scale;
  const bounds = integerBounds(point.type);
  if (bounds !== undefined) {
    raw = Math.round(raw);
    if (raw < bounds[0] || raw > bounds[1]) fail(modbus, point, `${engineeringValue} needs raw ${raw}, outside ${point.type} ${bounds[0]}..${bounds[1]}`, engineeringValue);
  } else if (point.type === 'float32' && !Number.isFinite(Math.fround(raw))) {
    fail(modbus, point, `${engineeringValue} overflows float32`, engineeringValue);
  }
  return { ...at, values: encodeRaw(point, raw) };
}

/**
 * The register value that puts a status register in `state` (simulators, fault injection): the first
 * code listed with that state, else the first flag bit with it; `normal` with neither listed is 0.
 * Throws PROFILE_ENCODE_INVALID when the register cannot express the state.
 */
export function encodeModbusStatus(profile: DeviceProfile, statusId: string, state: DeviceState): EncodedModbusPoint {
  const modbus = requireModbus(profile);
  const reg = modbus.status.find((s) => s.id === statusId);
  if (reg === undefined) {
    throw new SafeLoopError('PROFILE_POINT_NOT_FOUND', `profile ${profile.id} has no status register "${statusId}"`, {
      details: { profile: profile.id, statusId, status: modbus.status.map((s) => s.id) },
    });
  }
  const at = { table: reg.table, address: reg.address };
  const code = reg.codes.find((c) => c.state === state);
  if (code !== undefined) return { ...at, values: [code.value] };
  const bit = reg.bits.find((b) => b.state === state);
  if (bit !== undefined) return { ...at, values: [1 << bit.bit] };
  if (state === 'normal' && !reg.codes.some((c) => c.value === 0)) return { ...at, values: [0] };
  throw new SafeLoopError('PROFILE_ENCODE_INVALID', `${profile.id}.${statusId} cannot express state ${state}`, {
    details: { profile: profile.id, statusId, state },
  });
}
