/**
 * Commissioning: find devices on a bus (scan), list an OPC-UA server (browse), read and judge every
 * point of the planned devices (commission), and write the gateway's device config and the report.
 */
export * from './scan-plan.ts';
export * from './modbus-device-id.ts';
export { openRtuProbe, openTcpProbe, type ModbusProbe, type ProbeOutcome } from './modbus-probe.ts';
export * from './scan.ts';
export * from './scan-format.ts';
export * from './suspicious.ts';
export * from './commission-plan.ts';
export * from './commission.ts';
export * from './report.ts';
export { browseOpcua, browseSession, formatBrowseTree, browseVariables, type BrowseNode, type BrowseOptions } from './opcua-browse.ts';
export * from './transport-spec.ts';
