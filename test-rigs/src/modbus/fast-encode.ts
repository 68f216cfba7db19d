/**
 * A lean encoder for the numeric point types (int16 … float64, every byte/word order), used by the
 * simulator's hot path so a 1,000-point device re-encodes cheaply. It must agree bit for bit with the
 * profile library's encodeModbusPoint; a test compares the two over every type and order. Anything
 * it does not handle (text, booleans, bits, values that do not fit) returns undefined and the caller
 * uses the library's encoder, which also produces the error message.
 */
import type { ModbusPointDef } from '../profile-access.ts';

const scratch = new DataView(new ArrayBuffer(8));

const INTEGER_BOUNDS: Partial<Record<ModbusPointDef['type'], readonly [number, number]>> = {
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x80000000, 0x7fffffff],
  uint32: [0, 0xffffffff],
};

export function fastEncodeNumeric(point: ModbusPointDef, value: unknown): number[] | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  if (point.table !== 'holding' && point.table !== 'input') return undefined;
  let raw = (value - point.offset) / point.scale;
  let words: number;
  const bounds = INTEGER_BOUNDS[point.type];
  if (bounds !== undefined) {
    raw = Math.round(raw);
    if (raw < bounds[0] || raw > bounds[1]) return undefined;
  }
  switch (point.type) {
    case 'int16':
      scratch.setInt16(0, raw);
      words = 1;
      break;
    case 'uint16':
      scratch.setUint16(0, raw);
      words = 1;
      break;
    case 'int32':
      scratch.setInt32(0, raw);
      words = 2;
      break;
    case 'uint32':
      scratch.setUint32(0, raw);
      words = 2;
      break;
    case 'float32':
      if (!Number.isFinite(Math.fround(raw))) return undefined;
      scratch.setFloat32(0, raw);
      words = 2;
      break;
    case 'float64':
      scratch.setFloat64(0, raw);
      words = 4;
      break;
    case 'bool':
    case 'bit':
    case 'string':
      return undefined;
  }
  const swapBytes = point.order === 'BADC' || point.order === 'DCBA';
  const reverseWords = point.order === 'CDAB' || point.order === 'DCBA';
  const out = new Array<number>(words);
  for (let i = 0; i < words; i++) {
    const hi = scratch.getUint8(i * 2);
    const lo = scratch.getUint8(i * 2 + 1);
    out[reverseWords ? words - 1 - i : i] = swapBytes ? (lo << 8) | hi : (hi << 8) | lo;
  }
  return out;
}
