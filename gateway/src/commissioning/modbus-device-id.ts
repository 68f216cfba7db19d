/**
 * Modbus Read Device Identification (function 43, MEI type 14): request encoding, reply decoding and
 * the RTU length of a reply frame (which the usual per-function table cannot tell). Pure functions.
 */
import { FieldRequestError, MODBUS_EXCEPTION_TEXT } from '../field/errors.ts';

export const FC_ENCAPSULATED = 0x2b;
export const MEI_READ_DEVICE_ID = 0x0e;

/** The basic identification objects every conforming device has. */
export interface DeviceIdentification {
  vendorName?: string;
  productCode?: string;
  revision?: string;
  /** Every object the device returned, by object id. */
  objects: Record<number, string>;
}

const OBJECT_NAMES: Record<number, keyof Omit<DeviceIdentification, 'objects'>> = { 0: 'vendorName', 1: 'productCode', 2: 'revision' };

/** Request PDU: basic stream access (code 1) from object 0. */
export function encodeDeviceIdRequest(code: 1 | 4 = 1, objectId = 0): Buffer {
  return Buffer.from([FC_ENCAPSULATED, MEI_READ_DEVICE_ID, code, objectId]);
}

/**
 * Decode a 43/14 reply PDU (function code first). An exception reply throws FieldRequestError
 * `exception`; a malformed reply throws `short_frame`.
 */
export function decodeDeviceIdReply(pdu: Buffer): DeviceIdentification {
  if (pdu[0] === (FC_ENCAPSULATED | 0x80)) {
    const code = pdu[1] ?? 0;
    throw new FieldRequestError('exception', `Modbus exception 0x${code.toString(16).padStart(2, '0')} ${MODBUS_EXCEPTION_TEXT[code] ?? 'unknown exception'}`, { details: { exceptionCode: code } });
  }
  if (pdu[0] !== FC_ENCAPSULATED || pdu[1] !== MEI_READ_DEVICE_ID || pdu.length < 7) {
    throw new FieldRequestError('short_frame', 'not a Read Device Identification reply');
  }
  const count = pdu[6] ?? 0;
  const out: DeviceIdentification = { objects: {} };
  let at = 7;
  for (let i = 0; i < count; i++) {
    const id = pdu[at];
    const len = pdu[at + 1];
    if (id === undefined || len === undefined || at + 2 + len > pdu.length) throw new FieldRequestError('short_frame', `device identification object ${i + 1} of ${count} is cut short`);
    const text = pdu.subarray(at + 2, at + 2 + len).toString('latin1');
    out.objects[id] = text;
    const name = OBJECT_NAMES[id];
    if (name !== undefined) out[name] = text;
    at += 2 + len;
  }
  return out;
}

/**
 * Full RTU frame length (address … CRC) of a reply starting at buf[0], or undefined while more bytes
 * are needed. Handles exceptions, FC 1–4, single/multiple writes and 43/14 (object list walk).
 * Returns null when the function code is not one this probe can frame.
 */
export function rtuFrameLength(buf: Uint8Array): number | undefined | null {
  if (buf.length < 2) return undefined;
  const fc = buf[1] ?? 0;
  if (fc & 0x80) return 5;
  if (fc >= 1 && fc <= 4) return buf.length < 3 ? undefined : 5 + (buf[2] ?? 0);
  if (fc === 5 || fc === 6 || fc === 15 || fc === 16) return 8;
  if (fc !== FC_ENCAPSULATED) return null;
  // addr fc mei code conformity more next count = 8 bytes, then (id len data)*, then CRC.
  if (buf.length < 8) return undefined;
  const count = buf[7] ?? 0;
  let at = 8;
  for (let i = 0; i < count; i++) {
    if (buf.length < at + 2) return undefined;
    at += 2 + (buf[at + 1] ?? 0);
  }
  return at + 2;
}
