/**
 * The gateway config schema as a plain check, for programs that compose the cloud (`safeloop cloud`, the
 * demo): the cloud validates remote configurations with it without importing the gateway package.
 */
import { GatewayConfigSchema } from './config.ts';

export function checkGatewayConfig(config: unknown): { ok: true; gatewayId: string; siteId: string } | { ok: false; problem: string; count: number } {
  const parsed = GatewayConfigSchema.safeParse(config);
  if (parsed.success) return { ok: true, gatewayId: parsed.data.gateway.id, siteId: parsed.data.gateway.siteId };
  const issue = parsed.error.issues[0];
  return { ok: false, problem: `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`, count: parsed.error.issues.length };
}
