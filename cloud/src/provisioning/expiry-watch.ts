/**
 * Certificate expiry watch: a periodic pass raises a `system` alarm for every gateway whose newest
 * unrevoked certificate expires within `warnDays` (default 30), and clears it once a renewal lands.
 */
import { errorMessage, type Clock, type Logger } from '@safeloop/contract';
import type { AlarmSink } from '../alarms/alarm-sink.ts';
import type { Registry } from '../tenancy/registry.ts';

export interface ExpiryWatchDeps {
  inventory: { validUntilByGateway(): Promise<Map<string, number>> };
  registry: Pick<Registry, 'getGateway'>;
  alarms: AlarmSink;
  clock: Clock;
  logger: Logger;
  warnDays?: number;
  /** Default one hour. */
  intervalMs?: number;
}

const DAY_MS = 86_400_000;

export function expiryConditionKey(gatewayId: string): string {
  return `cert-expiry:${gatewayId}`;
}

export class CertificateExpiryWatch {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private readonly warned = new Set<string>();
  /** After a restart nothing is known to be warned: the first pass clears every gateway not near expiry. */
  private firstPass = true;

  constructor(private readonly deps: ExpiryWatchDeps) {}

  start(): void {
    if (this.timer) return;
    const tick = (): void => {
      if (this.running) return;
      this.running = this.checkOnce()
        .catch((err: unknown) => this.deps.logger.error({ err: errorMessage(err) }, 'certificate expiry check failed'))
        .finally(() => (this.running = undefined));
    };
    this.timer = setInterval(tick, this.deps.intervalMs ?? 3_600_000);
    tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass; returns the gateways currently warned about. */
  async checkOnce(): Promise<{ gatewayId: string; notAfter: number }[]> {
    const now = this.deps.clock.now();
    const horizon = now + (this.deps.warnDays ?? 30) * DAY_MS;
    const out: { gatewayId: string; notAfter: number }[] = [];
    for (const [gatewayId, notAfter] of await this.deps.inventory.validUntilByGateway()) {
      const key = expiryConditionKey(gatewayId);
      if (notAfter > horizon) {
        if (this.warned.delete(gatewayId) || this.firstPass) await this.deps.alarms.clear({ conditionKey: key, at: now, reason: 'certificate renewed' });
        continue;
      }
      const gw = await this.deps.registry.getGateway(gatewayId);
      const siteId = gw?.siteIds[0];
      if (!siteId) continue;
      const days = Math.max(0, Math.floor((notAfter - now) / DAY_MS));
      await this.deps.alarms.raise({
        conditionKey: key,
        siteId,
        origin: 'cloud',
        ruleId: 'gateway-certificate-expiry',
        kind: 'system',
        title: notAfter <= now ? `Gateway ${gatewayId}: certificate has expired` : `Gateway ${gatewayId}: certificate expires in ${days} days`,
        inputs: { gatewayId, notAfter: new Date(notAfter).toISOString(), daysLeft: days },
        at: now,
      });
      this.warned.add(gatewayId);
      out.push({ gatewayId, notAfter });
    }
    this.firstPass = false;
    return out;
  }
}
