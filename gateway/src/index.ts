export { GatewayAgent, type GatewayAgentDeps } from './agent.ts';
export { GatewayConfigSchema, type GatewayConfig } from './config.ts';
export { EdgeEvaluator } from './edge-rules/index.ts';
