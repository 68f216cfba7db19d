/** CRC-16/MODBUS for the simulators: the one implementation in contract/src/modbus-wire.ts. */
export { crc16Modbus, crcMatches, withCrc } from '@safeloop/contract';
