export * from './scenario/index.ts';
export * from './modbus/index.ts';
export * from './opcua/index.ts';
export * from './rig-config.ts';
export * from './rig.ts';
export * from './bridges/index.ts';
export * from './netfault/index.ts';
export * from './mosquitto/index.ts';
