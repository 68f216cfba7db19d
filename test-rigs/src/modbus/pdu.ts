/**
 * Modbus application layer (PDU) for the simulators: decode a request, ask the device, encode the
 * reply. Shared by the TCP (MBAP) and RTU (address + CRC) framings.
 */
import { MODBUS_EXCEPTION } from './faults.ts';
import type { SimulatedModbusDevice } from './sim-device.ts';
import type { ModbusTable } from '../profile-access.ts';

export const FUNCTION_CODE = {
  readCoils: 0x01,
  readDiscreteInputs: 0x02,
  readHoldingRegisters: 0x03,
  readInputRegisters: 0x04,
  writeSingleCoil: 0x05,
  writeSingleRegister: 0x06,
  writeMultipleCoils: 0x0f,
  writeMultipleRegisters: 0x10,
  /** Encapsulated interface transport; MEI type 0x0E is Read Device Identification (43/14). */
  encapsulatedInterface: 0x2b,
} as const;

/** MEI type of Read Device Identification inside function 43. */
const MEI_READ_DEVICE_ID = 0x0e;

/** Largest quantities the spec allows per function (Modbus Application Protocol v1.1b3 §6). */
const MAX_BITS_READ = 2000;
const MAX_REGISTERS_READ = 125;
const MAX_BITS_WRITE = 1968;
const MAX_REGISTERS_WRITE = 123;

export function exceptionPdu(functionCode: number, code: number): Buffer {
  return Buffer.from([(functionCode | 0x80) & 0xff, code & 0xff]);
}

function packBits(values: readonly number[]): Buffer {
  const out = Buffer.alloc(Math.ceil(values.length / 8));
  values.forEach((v, i) => {
    if (v) out[i >> 3] = (out[i >> 3] ?? 0) | (1 << (i & 7));
  });
  return out;
}

function readTable(fc: number): ModbusTable | undefined {
  switch (fc) {
    case FUNCTION_CODE.readCoils:
      return 'coil';
    case FUNCTION_CODE.readDiscreteInputs:
      return 'discrete';
    case FUNCTION_CODE.readHoldingRegisters:
      return 'holding';
    case FUNCTION_CODE.readInputRegisters:
      return 'input';
    default:
      return undefined;
  }
}

/**
 * Expected request PDU length for a function code given the bytes seen so far, or undefined when
 * it cannot be known yet (or the function is unknown). Used by the RTU framer.
 */
export function requestPduLength(pdu: Buffer): number | undefined {
  const fc = pdu[0];
  if (fc === undefined) return undefined;
  if (fc >= 1 && fc <= 6) return 5;
  if (fc === FUNCTION_CODE.encapsulatedInterface) return 4;
  if (fc === FUNCTION_CODE.writeMultipleCoils || fc === FUNCTION_CODE.writeMultipleRegisters) {
    const byteCount = pdu[5];
    return byteCount === undefined ? undefined : 6 + byteCount;
  }
  return undefined;
}

/** Answer one request PDU (function code + data) from `device`; returns the reply PDU. */
export function answerPdu(device: SimulatedModbusDevice, pdu: Buffer): Buffer {
  const fc = pdu[0] ?? 0;
  const injected = device.fault('exception');
  if (injected !== undefined) return exceptionPdu(fc, injected.code);
  const table = readTable(fc);
  if (table !== undefined) {
    if (pdu.length !== 5) return exceptionPdu(fc, MODBUS_EXCEPTION.illegalDataValue);
    const address = pdu.readUInt16BE(1);
    const count = pdu.readUInt16BE(3);
    const bits = table === 'coil' || table === 'discrete';
    if (count < 1 || count > (bits ? MAX_BITS_READ : MAX_REGISTERS_READ)) return exceptionPdu(fc, MODBUS_EXCEPTION.illegalDataValue);
    if (address + count > 0x10000) return exceptionPdu(fc, MODBUS_EXCEPTION.illegalDataAddress);
    const result = device.read(table, address, count);
    if (!result.ok) return exceptionPdu(fc, result.exception);
    if (bits) {
      const data = packBits(result.values);
      return Buffer.concat([Buffer.from([fc, data.length]), data]);
    }
    const out = Buffer.allocUnsafe(2 + count * 2);
    out[0] = fc;
    out[1] = count * 2;
    result.values.forEach((v, i) => out.writeUInt16BE(v & 0xffff, 2 + i * 2));
    return out;
  }
  switch (fc) {
    case FUNCTION_CODE.writeSingleCoil: {
      if (pdu.length !== 5) return exceptionPdu(fc, MODBUS_EXCEPTION.illegalDataValue);
      const raw = pdu.readUInt16BE(3);
      if (raw !== 0x0000 && raw !== 0xff00) return exceptionPdu(fc, MODBUS_EXCEPTION.illegalDataValue);
      const result = device.write('coil', pdu.readUInt16BE(1), [raw === 0xff00 ? 1 : 0]);
      return result.ok ? Buffer.from(pdu) : exceptionPdu(fc, result.exception);
    }
    case FUNCTION_CODE.writeSingleRegister: {
      if (pdu.length !== 5) return exceptionPdu(fc, MODBUS_EXCEPTION.illegalDataValue);
      const result = device.write('holding', pdu.readUInt16BE(1), [pdu.readUInt16BE(3)]);
      return result.ok ? Buffer.from(pdu) : exceptionPdu(fc, result.exception);
    }
    case FUNCTION_CODE.writeMultipleCoils:
    case FUNCTION_CODE.writeMultipleRegisters: {
      if (pdu.length < 6) return exceptionPdu(fc, MODBUS_EXCEPTION.illegalDataValue);
      const address = pdu.readUInt16BE(1);
      const count = pdu.readUInt16BE(3);
      const byteCount = pdu[5] ?? 0;
      const coils = fc === FUNCTION_CODE.writeMultipleCoils;
      const expectedBytes = coils ? Math.ceil(count / 8) : count * 2;
      if (count < 1 || count > (coils ? MAX_BITS_WRITE : MAX_REGISTERS_WRITE) || byteCount !== expectedBytes || pdu.length !== 6 + byteCount) {
        return exceptionPdu(fc, MODBUS_EXCEPTION.illegalDataValue);
      }
      if (address + count > 0x10000) return exceptionPdu(fc, MODBUS_EXCEPTION.illegalDataAddress);
      const values: number[] = [];
      for (let i = 0; i < count; i++) {
        values.push(coils ? ((pdu[6 + (i >> 3)] ?? 0) >> (i & 7)) & 1 : pdu.readUInt16BE(6 + i * 2));
      }
      const result = device.write(coils ? 'coil' : 'holding', address, values);
      return result.ok ? pdu.subarray(0, 5) : exceptionPdu(fc, result.exception);
    }
    case FUNCTION_CODE.encapsulatedInterface:
      return answerDeviceIdentification(device, pdu);
    default:
      return exceptionPdu(fc, MODBUS_EXCEPTION.illegalFunction);
  }
}

/**
 * Read Device Identification (43/14), basic category only (objects 0 vendor, 1 product code,
 * 2 revision), stream access (code 1) and individual access (code 4). A device without an
 * `identification` answers illegal function, as most field devices do.
 */
function answerDeviceIdentification(device: SimulatedModbusDevice, pdu: Buffer): Buffer {
  const fc = FUNCTION_CODE.encapsulatedInterface;
  const id = device.identification;
  if (pdu[1] !== MEI_READ_DEVICE_ID || id === undefined) return exceptionPdu(fc, MODBUS_EXCEPTION.illegalFunction);
  if (pdu.length !== 4) return exceptionPdu(fc, MODBUS_EXCEPTION.illegalDataValue);
  const code = pdu[2] ?? 0;
  const first = pdu[3] ?? 0;
  const objects = [id.vendorName, id.productCode, id.revision];
  if (code !== 1 && code !== 4) return exceptionPdu(fc, MODBUS_EXCEPTION.illegalDataValue);
  if (code === 4 && first > 2) return exceptionPdu(fc, MODBUS_EXCEPTION.illegalDataAddress);
  const ids = code === 4 ? [first] : [0, 1, 2].filter((i) => i >= (first > 2 ? 0 : first));
  const parts = ids.map((i) => {
    const text = Buffer.from(objects[i] ?? '', 'latin1').subarray(0, 64);
    return Buffer.concat([Buffer.from([i, text.length]), text]);
  });
  return Buffer.concat([Buffer.from([fc, MEI_READ_DEVICE_ID, code, 0x01, 0x00, 0x00, parts.length]), ...parts]);
}

/** The short-frame personality: cut a good reply so its byte count promises more than it carries. */
export function truncatePdu(reply: Buffer): Buffer {
  if (reply.length <= 2) return reply.subarray(0, 1);
  return reply.subarray(0, Math.max(2, reply.length - Math.max(1, Math.floor((reply.length - 2) / 2))));
}
