export { GatewayAgent, type GatewayAgentDeps } from './agent.ts';
export { GatewayConfigSchema, type GatewayConfig } from './config.ts';
export { LimitEvaluator } from './edge-rules/index.ts';
