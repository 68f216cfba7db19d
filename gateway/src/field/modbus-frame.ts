/**
 * Modbus PDU and RTU frame helpers: function codes per table, request encoding, reply decoding,
 * CRC-16. Pure functions, shared by the TCP and RTU drivers and by the tests.
 */
import { crc16Modbus } from '@safeloop/contract';
import { FieldRequestError, modbusExceptionError } from './errors.ts';

export const MODBUS_TABLES = ['coil', 'discrete', 'input', 'holding'] as const;
export type ModbusTable = (typeof MODBUS_TABLES)[number];

/** One read request: a contiguous range of one table. */
export interface ModbusBlock {
  table: ModbusTable;
  start: number;
  count: number;
}

/** Most registers one read may ask for (FC 3/4), and most bits (FC 1/2). */
export const MAX_READ_REGISTERS = 125;
export const MAX_READ_BITS = 2000;

const READ_FUNCTION: Record<ModbusTable, number> = { coil: 0x01, discrete: 0x02, holding: 0x03, input: 0x04 };

export function readFunctionCode(table: ModbusTable): number {
  return READ_FUNCTION[table];
}

export function isBitTable(table: ModbusTable): boolean {
  return table === 'coil' || table === 'discrete';
}

export function checkBlock(block: ModbusBlock): void {
  const max = isBitTable(block.table) ? MAX_READ_BITS : MAX_READ_REGISTERS;
  if (!Number.isInteger(block.start) || block.start < 0 || block.start > 0xffff) throw new RangeError(`bad start address ${block.start}`);
  if (!Number.isInteger(block.count) || block.count < 1 || block.count > max) throw new RangeError(`bad count ${block.count} (1..${max})`);
  if (block.start + block.count > 0x10000) throw new RangeError(`block ${block.start}+${block.count} passes address 65535`);
}

export function encodeReadRequest(block: ModbusBlock): Buffer {
  checkBlock(block);
  const pdu = Buffer.alloc(5);
  pdu[0] = readFunctionCode(block.table);
  pdu.writeUInt16BE(block.start, 1);
  pdu.writeUInt16BE(block.count, 3);
  return pdu;
}

/** Length of the reply PDU (function code .. data) for a successful read of this block. */
export function readReplyPduLength(block: ModbusBlock): number {
  return 2 + replyByteCount(block);
}

export function replyByteCount(block: ModbusBlock): number {
  return isBitTable(block.table) ? Math.ceil(block.count / 8) : block.count * 2;
}

/**
 * Decode a read reply PDU. Throws FieldRequestError: `exception` for an exception reply,
 * `short_frame` for a byte count that does not match the request.
 */
export function decodeReadReply(pdu: Buffer, block: ModbusBlock): number[] {
  const fc = readFunctionCode(block.table);
  if (pdu.length >= 2 && pdu[0] === (fc | 0x80)) throw modbusExceptionError(pdu[1] ?? 0);
  if (pdu[0] !== fc) throw new FieldRequestError('short_frame', `reply function 0x${(pdu[0] ?? 0).toString(16)} does not answer 0x${fc.toString(16)}`);
  const byteCount = replyByteCount(block);
  if (pdu.length < 2 || pdu[1] !== byteCount || pdu.length < 2 + byteCount) {
    throw new FieldRequestError('short_frame', `reply carries ${Math.max(0, pdu.length - 2)} data bytes, expected ${byteCount}`);
  }
  const values: number[] = new Array<number>(block.count);
  if (isBitTable(block.table)) {
    for (let i = 0; i < block.count; i++) values[i] = ((pdu[2 + (i >> 3)] ?? 0) >> (i & 7)) & 1;
  } else {
    for (let i = 0; i < block.count; i++) values[i] = pdu.readUInt16BE(2 + 2 * i);
  }
  return values;
}

/** Write request PDU: FC 5 / 15 for coils, FC 6 / 16 for holding registers. */
export function encodeWriteRequest(table: 'coil' | 'holding', start: number, values: readonly number[]): Buffer {
  if (values.length === 0) throw new RangeError('nothing to write');
  if (table === 'holding') {
    if (values.length === 1) {
      const pdu = Buffer.alloc(5);
      pdu[0] = 0x06;
      pdu.writeUInt16BE(start, 1);
      pdu.writeUInt16BE((values[0] ?? 0) & 0xffff, 3);
      return pdu;
    }
    const pdu = Buffer.alloc(6 + values.length * 2);
    pdu[0] = 0x10;
    pdu.writeUInt16BE(start, 1);
    pdu.writeUInt16BE(values.length, 3);
    pdu[5] = values.length * 2;
    values.forEach((v, i) => pdu.writeUInt16BE(v & 0xffff, 6 + 2 * i));
    return pdu;
  }
  if (values.length === 1) {
    const pdu = Buffer.alloc(5);
    pdu[0] = 0x05;
    pdu.writeUInt16BE(start, 1);
    pdu.writeUInt16BE(values[0] ? 0xff00 : 0x0000, 3);
    return pdu;
  }
  const bytes = Math.ceil(values.length / 8);
  const pdu = Buffer.alloc(6 + bytes);
  pdu[0] = 0x0f;
  pdu.writeUInt16BE(start, 1);
  pdu.writeUInt16BE(values.length, 3);
  pdu[5] = bytes;
  values.forEach((v, i) => {
    if (v) pdu[6 + (i >> 3)] = (pdu[6 + (i >> 3)] ?? 0) | (1 << (i & 7));
  });
  return pdu;
}

/** Check a write reply PDU (echo of address/quantity); throws on exception replies. */
export function checkWriteReply(pdu: Buffer, request: Buffer): void {
  const fc = request[0] ?? 0;
  if (pdu[0] === (fc | 0x80)) throw modbusExceptionError(pdu[1] ?? 0);
  if (pdu.length < 5 || pdu[0] !== fc || pdu.readUInt16BE(1) !== request.readUInt16BE(1)) {
    throw new FieldRequestError('short_frame', 'write reply does not echo the request');
  }
}

/** Expected write reply PDU length (always 5: fc, address, value or quantity). */
export const WRITE_REPLY_PDU_LENGTH = 5;

/** Modbus CRC-16 (the one in contract/src/modbus-wire.ts); the frame carries it low byte first. */
export function crc16(buf: Uint8Array, end = buf.length): number {
  return crc16Modbus(buf, 0, end);
}

/** RTU frame: unit id + PDU + CRC (low byte first). */
export function rtuFrame(unitId: number, pdu: Buffer): Buffer {
  const frame = Buffer.alloc(pdu.length + 3);
  frame[0] = unitId;
  pdu.copy(frame, 1);
  const crc = crc16(frame, frame.length - 2);
  frame.writeUInt16LE(crc, frame.length - 2);
  return frame;
}

export function rtuCrcOk(frame: Uint8Array): boolean {
  if (frame.length < 4) return false;
  const crc = crc16(frame, frame.length - 2);
  return (frame[frame.length - 2] ?? -1) === (crc & 0xff) && (frame[frame.length - 1] ?? -1) === crc >>> 8;
}

/**
 * Length of the RTU frame that starts at buf[0], judged from its function code, or undefined when
 * more bytes are needed to tell, or null when the function code is not one a reply can carry.
 */
export function rtuReplyFrameLength(buf: Uint8Array): number | undefined | null {
  if (buf.length < 2) return undefined;
  const fc = buf[1] ?? 0;
  if (fc & 0x80) return 5;
  if (fc >= 1 && fc <= 4) return buf.length < 3 ? undefined : 5 + (buf[2] ?? 0);
  if (fc === 5 || fc === 6 || fc === 15 || fc === 16) return 8;
  return null;
}
