/**
 * Step 1 of the transform pipeline: raw Modbus words/bits ↔ a raw typed value (type, byte/word
 * order, bit). No scaling here. Registers are uint16 (0..65535); coils and discrete inputs are 0/1.
 */
import type { ByteOrder, ModbusPointDef, ModbusValueType } from './schema.ts';

/** How many registers (or bits, for coil/discrete tables) a point occupies. */
export function pointSpan(point: Pick<ModbusPointDef, 'table' | 'type' | 'length'>): number {
  if (point.table === 'coil' || point.table === 'discrete') return 1;
  return registerCount(point.type, point.length);
}

export function registerCount(type: ModbusValueType, length?: number): number {
  switch (type) {
    case 'int16':
    case 'uint16':
    case 'bool':
    case 'bit':
      return 1;
    case 'int32':
    case 'uint32':
    case 'float32':
      return 2;
    case 'float64':
      return 4;
    case 'string':
      return length ?? 1;
  }
}

export const NUMERIC_TYPES: readonly ModbusValueType[] = ['int16', 'uint16', 'int32', 'uint32', 'float32', 'float64'];
export function isNumericType(type: ModbusValueType): boolean {
  return NUMERIC_TYPES.includes(type);
}

const wordsLittleEndian = (order: ByteOrder): boolean => order === 'CDAB' || order === 'DCBA';
const bytesSwapped = (order: ByteOrder): boolean => order === 'BADC' || order === 'DCBA';
const swap16 = (w: number): number => ((w & 0xff) << 8) | (w >> 8);

/** Registers as sent on the wire → big-endian bytes A B C D … of the value. */
export function registersToBytes(registers: readonly number[], order: ByteOrder): Uint8Array {
  const words = wordsLittleEndian(order) ? [...registers].reverse() : [...registers];
  const bytes = new Uint8Array(words.length * 2);
  words.forEach((w, i) => {
    const v = bytesSwapped(order) ? swap16(w) : w;
    bytes[i * 2] = v >> 8;
    bytes[i * 2 + 1] = v & 0xff;
  });
  return bytes;
}

/** Big-endian bytes of the value → registers as sent on the wire (inverse of registersToBytes). */
export function bytesToRegisters(bytes: Uint8Array, order: ByteOrder): number[] {
  const words: number[] = [];
  for (let i = 0; i < bytes.length; i += 2) {
    const v = ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
    words.push(bytesSwapped(order) ? swap16(v) : v);
  }
  return wordsLittleEndian(order) ? words.reverse() : words;
}

export type RawValue = number | boolean | string;

const scratch = new DataView(new ArrayBuffer(8));

/** The value's 16-bit words most significant first, undoing the word order and the byte swap. */
function wordAt(words: readonly number[], i: number, order: ByteOrder): number {
  const w = words[wordsLittleEndian(order) ? words.length - 1 - i : i] ?? 0;
  return bytesSwapped(order) ? swap16(w) : w;
}

/**
 * Decode registers into the raw typed value. For strings, byte order applies per register (BADC/DCBA
 * swap the two characters of each register) and words are never reordered; text stops at the first NUL
 * and trailing spaces are trimmed. Integers are decoded arithmetically (this is the gateway's hot path).
 */
export function decodeRaw(point: Pick<ModbusPointDef, 'table' | 'type' | 'order' | 'bit'>, words: readonly number[]): RawValue {
  if (point.table === 'coil' || point.table === 'discrete') return words[0] === 1;
  const first = words[0] ?? 0;
  switch (point.type) {
    case 'bool':
      return first !== 0;
    case 'bit':
      return ((first >> (point.bit ?? 0)) & 1) === 1;
    case 'string': {
      const bytes = registersToBytes(words, bytesSwapped(point.order) ? 'BADC' : 'ABCD');
      const end = bytes.indexOf(0);
      return Buffer.from(end === -1 ? bytes : bytes.subarray(0, end)).toString('latin1').trimEnd();
    }
    case 'uint16':
      return wordAt(words, 0, point.order);
    case 'int16': {
      const w = wordAt(words, 0, point.order);
      return w > 0x7fff ? w - 0x10000 : w;
    }
    case 'uint32':
      return wordAt(words, 0, point.order) * 0x10000 + wordAt(words, 1, point.order);
    case 'int32': {
      const u = wordAt(words, 0, point.order) * 0x10000 + wordAt(words, 1, point.order);
      return u > 0x7fffffff ? u - 0x100000000 : u;
    }
    case 'float32':
      scratch.setUint16(0, wordAt(words, 0, point.order));
      scratch.setUint16(2, wordAt(words, 1, point.order));
      return scratch.getFloat32(0);
    case 'float64':
      for (let i = 0; i < 4; i++) scratch.setUint16(i * 2, wordAt(words, i, point.order));
      return scratch.getFloat64(0);
  }
}

const INTEGER_BOUNDS: Partial<Record<ModbusValueType, readonly [number, number]>> = {
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x80000000, 0x7fffffff],
  uint32: [0, 0xffffffff],
};

/** The integer range a raw type can hold, or undefined for floats and non-numeric types. */
export function integerBounds(type: ModbusValueType): readonly [number, number] | undefined {
  return INTEGER_BOUNDS[type];
}

/**
 * Encode a raw typed value into registers (inverse of decodeRaw). The caller has checked the value
 * fits the type. `bit` points return the register with only their bit set (callers OR bit points
 * sharing a register); strings are NUL-padded to `length` registers.
 */
export function encodeRaw(point: Pick<ModbusPointDef, 'table' | 'type' | 'order' | 'bit' | 'length'>, raw: RawValue): number[] {
  if (point.table === 'coil' || point.table === 'discrete') return [raw === true ? 1 : 0];
  switch (point.type) {
    case 'bool':
      return [raw === true ? 1 : 0];
    case 'bit':
      return [raw === true ? 1 << (point.bit ?? 0) : 0];
    case 'string': {
      const bytes = new Uint8Array((point.length ?? 1) * 2);
      bytes.set(Buffer.from(String(raw), 'latin1').subarray(0, bytes.length));
      return bytesToRegisters(bytes, bytesSwapped(point.order) ? 'BADC' : 'ABCD');
    }
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
    case 'float32':
    case 'float64': {
      const bytes = new Uint8Array(registerCount(point.type) * 2);
      const view = new DataView(bytes.buffer);
      const n = Number(raw);
      switch (point.type) {
        case 'int16':
          view.setInt16(0, n);
          break;
        case 'uint16':
          view.setUint16(0, n);
          break;
        case 'int32':
          view.setInt32(0, n);
          break;
        case 'uint32':
          view.setUint32(0, n);
          break;
        case 'float32':
          view.setFloat32(0, n);
          break;
        case 'float64':
          view.setFloat64(0, n);
          break;
      }
      return bytesToRegisters(bytes, point.order);
    }
  }
}
