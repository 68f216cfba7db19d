export { NetFaultProxy } from './netfault-proxy.ts';
export type { NetFaultOptions } from './netfault-proxy.ts';
