/**
 * @safeloop/device-profiles — device models as data, and the one transform pipeline that turns
 * their raw registers/values into readings with quality (see transform.ts and README.md).
 */
export * from './schema.ts';
export { UNITS, isKnownUnit, type UnitInfo, type UnitSymbol } from './units.ts';
export { checkProfileSemantics, type SemanticProblem } from './profile-semantics.ts';
export type { DecodedPoint, QualityVerdict } from './transform.ts';
export { pointSpan, registerCount, registersToBytes, bytesToRegisters } from './register-codec.ts';
export { decodeModbusPoints, type ModbusBlockData, type DecodeOptions } from './modbus-decode.ts';
export { encodeModbusPoint, encodeModbusStatus, type EncodedModbusPoint } from './modbus-encode.ts';
export { planModbusReads, type ModbusReadBlock, type PlanOptions } from './modbus-plan.ts';
export { decodeOpcuaValue } from './opcua-decode.ts';
export { effectiveLimits, exceededLevels, findPoint } from './limits.ts';
export { getProfile, libraryCatalog, listProfiles, nearProfileIds } from './library.ts';
export { LIBRARY_DIR, ProfileCatalog, type CatalogOptions, type ProfileEntry } from './catalog.ts';
export { loadProfileFile, validateLibraryProfiles, validateProfileFiles, type FileProblems } from './profile-files.ts';
export { profileFilesIn, scanProfileFiles, type ScannedFile } from './profile-scan.ts';
export { isProfilePath } from './profile-extends.ts';
