export { Uplink } from './uplink.ts';
export type { UplinkDeps, UplinkMetrics } from './uplink.ts';
export { UplinkConfigSchema, MqttUplinkSchema, AwsIotUplinkSchema, DeliverySchema } from './config.ts';
export type { UplinkConfig, UplinkConfigInput, MqttUplinkConfig, AwsIotUplinkConfig, DeliveryConfig } from './config.ts';
export type { UplinkTransport, TransportConnection, ConnectParams, TransportHandlers } from './transport.ts';
export { MqttTransport } from './mqtt-transport.ts';
export { AwsIotTransport } from './aws-iot-transport.ts';
export { createTransport } from './create-transport.ts';
