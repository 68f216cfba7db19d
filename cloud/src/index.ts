export { CloudService, type CloudServiceDeps } from './cloud-service.ts';
export { CloudConfigSchema, type CloudConfig } from './config.ts';
export { startEmbeddedBroker, type EmbeddedBroker } from './broker/embedded-broker.ts';
export * from './db/index.ts';
