/**
 * The Modbus framing both sides of the wire need, written once: CRC-16/MODBUS for RTU frames and the
 * MBAP header of Modbus TCP. Used by the gateway's drivers and scanner and by the test simulators.
 */

/** CRC-16/MODBUS: polynomial 0xA001 (reflected 0x8005), initial 0xFFFF; sent low byte first. */
const CRC_TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    t[i] = c;
  }
  return t;
})();

export function crc16Modbus(data: Uint8Array, start = 0, end = data.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ (CRC_TABLE[(crc ^ (data[i] ?? 0)) & 0xff] ?? 0);
  return crc;
}

/** `body` followed by its CRC, low byte first. */
export function withCrc(body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(body.length + 2);
  out.set(body, 0);
  out.writeUInt16LE(crc16Modbus(body), body.length);
  return out;
}

/** True when the last two bytes of `frame` are the CRC of the rest. */
export function crcMatches(frame: Uint8Array): boolean {
  if (frame.length < 4) return false;
  const crc = crc16Modbus(frame, 0, frame.length - 2);
  return frame[frame.length - 2] === (crc & 0xff) && frame[frame.length - 1] === crc >>> 8;
}

export const MBAP_HEADER_BYTES = 7;

/** One Modbus TCP frame: MBAP header (transaction id, protocol 0, length, unit) then the PDU. */
export function encodeMbap(tid: number, unitId: number, pdu: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(MBAP_HEADER_BYTES + pdu.length);
  frame.writeUInt16BE(tid & 0xffff, 0);
  frame.writeUInt16BE(0, 2);
  frame.writeUInt16BE(pdu.length + 1, 4);
  frame.writeUInt8(unitId & 0xff, 6);
  frame.set(pdu, MBAP_HEADER_BYTES);
  return frame;
}

export interface MbapHeader {
  tid: number;
  protocol: number;
  /** Bytes after the length field: unit id + PDU. */
  length: number;
  unitId: number;
  /** Whole frame length (header + PDU). */
  frameBytes: number;
}

/**
 * The header at the start of `buf`, or undefined while fewer than 7 bytes arrived. `valid` false when the
 * stream is out of step (protocol not 0, length outside 2–254): the caller should drop the connection.
 */
export function readMbapHeader(buf: Buffer): (MbapHeader & { valid: boolean }) | undefined {
  if (buf.length < MBAP_HEADER_BYTES) return undefined;
  const protocol = buf.readUInt16BE(2);
  const length = buf.readUInt16BE(4);
  return { tid: buf.readUInt16BE(0), protocol, length, unitId: buf.readUInt8(6), frameBytes: 6 + length, valid: protocol === 0 && length >= 2 && length <= 254 };
}
