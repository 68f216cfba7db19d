/** Test helpers: build small profiles inline and decode single points. */
import { DeviceProfileSchema, type DeviceProfile, type ModbusPointInput, type StatusRegisterInput } from '../src/schema.ts';
import { decodeModbusPoints, type ModbusBlockData } from '../src/modbus-decode.ts';
import type { DecodedPoint } from '../src/transform.ts';

export function modbusProfile(points: ModbusPointInput[], status: StatusRegisterInput[] = []): DeviceProfile {
  return DeviceProfileSchema.parse({ id: 'test-profile', name: { zh: '测试', en: 'Test' }, sector: 'general', protocol: 'modbus', points, status });
}

/** Decode one point of a profile from blocks; fails the test if the point is not returned. */
export function decodeOne(profile: DeviceProfile, pointId: string, data: ModbusBlockData[]): DecodedPoint {
  const found = decodeModbusPoints(profile, data).find((d) => d.pointId === pointId);
  if (found === undefined) throw new Error(`point ${pointId} not decoded`);
  return found;
}

export const hex = (...xs: number[]): number[] => xs;
