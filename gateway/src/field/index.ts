/**
 * Gateway field I/O: Modbus TCP / RTU and OPC-UA readings for the gateway agent and `safeloop read`.
 *
 * @example
 * const sources = createFieldSources({ devices: cfg.devices, defaultSite: cfg.gateway.siteId, logger, sink });
 * for (const s of sources) await s.start();
 */
export { createFieldSources, busKey, type FieldSourceDeps } from './sources.ts';
export { readDeviceOnce, formatReadTable, type ReadDeviceOnceOptions, type ReadRow } from './read-once.ts';
export { createWriteGuard, guardedWrite, type WriteGuard, type WriteAttempt } from './write-guard.ts';
export type { ProfileResolver } from './modbus-device.ts';
export { createModbusBus, type ModbusBus, type ModbusBusOptions, type DeviceStats } from './modbus-bus.ts';
export { createModbusTcpDriver } from './modbus-tcp-driver.ts';
export { createModbusRtuDriver, interFrameGapMs, bitsPerChar, type RtuLineOptions } from './modbus-rtu-driver.ts';
export type { ModbusDriver, DriverCounters, RequestOptions, WriteRequest } from './modbus-driver.ts';
export { createOpcuaSource, type OpcuaSource, type OpcuaSourceOptions } from './opcua-source.ts';
export type { OpcuaTransport, OpcuaConnection } from './opcua-connection.ts';
export { defaultPkiDir, pkiDirIn, trustCommand } from './opcua-pki.ts';
export { trustServerCertificate, type TrustedServer } from './opcua-trust.ts';
export { FieldRequestError, MODBUS_EXCEPTION_TEXT, FIELD_ERROR_CODES, type RequestFailureReason } from './errors.ts';
export * from './config.ts';
