export * from './opcua-simulator.ts';
export * from './opcua-values.ts';
