/**
 * What ingest needs to know about gateways: which enterprise and which sites a gateway serves.
 * The tenancy module's Registry satisfies it; tests use a tiny in-memory one.
 */
export interface GatewayInfo {
  id: string;
  enterpriseId: string;
  siteIds: readonly string[];
}

export interface GatewayDirectory {
  getGateway(gatewayId: string): Promise<GatewayInfo | undefined>;
}

/** Remember answers for `ttlMs` so the hot path does not ask the registry per message. */
export class CachedDirectory implements GatewayDirectory {
  private readonly cache = new Map<string, { at: number; value: GatewayInfo | undefined }>();
  constructor(
    private readonly inner: GatewayDirectory,
    private readonly ttlMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  async getGateway(gatewayId: string): Promise<GatewayInfo | undefined> {
    const t = this.now();
    const hit = this.cache.get(gatewayId);
    if (hit && t - hit.at < this.ttlMs) return hit.value;
    const value = await this.inner.getGateway(gatewayId);
    // Unknown gateways are remembered briefly only, so a freshly provisioned one is seen soon.
    this.cache.set(gatewayId, { at: value ? t : t - this.ttlMs + Math.min(this.ttlMs, 2_000), value });
    if (this.cache.size > 100_000) this.cache.clear();
    return value;
  }
}
