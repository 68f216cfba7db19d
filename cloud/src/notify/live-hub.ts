/**
 * In-app live push. SSE clients subscribe with their scope; `alarm` events go to clients whose scope
 * holds the alarm, `latest` events (point values, fed by ingest through publishLatest) to clients
 * whose scope holds the site, `notification` events to the addressed users.
 */
import { errorMessage, splitPointPath, type Logger, type Reading } from '@safeloop/contract';
import type { Registry } from '../tenancy/registry.ts';
import { scopeAllows, type Scope } from '../tenancy/scope.ts';
import type { AlarmSummary } from '../alarms/summary.ts';

export type LiveEvent = 'alarm' | 'latest' | 'notification';

export interface LiveClient {
  userId: string;
  scope: Scope;
  send(event: LiveEvent, data: unknown): void;
}

type Owner = { enterpriseId: string; regionCode: string } | null;

export class LiveHub {
  private readonly clients = new Set<LiveClient>();
  private readonly owners = new Map<string, Owner>();
  private readonly log: Logger;

  constructor(private readonly deps: { registry: Registry; logger: Logger }) {
    this.log = deps.logger.child({ module: 'cloud:live' });
  }

  subscribe(client: LiveClient): () => void {
    this.clients.add(client);
    return () => this.clients.delete(client);
  }

  get clientCount(): number {
    return this.clients.size;
  }

  private deliver(client: LiveClient, event: LiveEvent, data: unknown): void {
    try {
      client.send(event, data);
    } catch (err) {
      this.log.warn({ err: errorMessage(err), userId: client.userId }, 'live client send failed; dropping the client');
      this.clients.delete(client);
    }
  }

  publishAlarm(alarm: AlarmSummary): void {
    for (const c of this.clients) {
      if (scopeAllows(c.scope, alarm)) this.deliver(c, 'alarm', alarm);
    }
  }

  publishNotification(userIds: readonly string[], data: unknown): void {
    const wanted = new Set(userIds);
    for (const c of this.clients) if (wanted.has(c.userId)) this.deliver(c, 'notification', data);
  }

  /** Latest point values (ingest calls this after commit). Readings of unknown sites are dropped. */
  publishLatest(readings: readonly Reading[]): void {
    if (this.clients.size === 0 || readings.length === 0) return;
    const bySite = new Map<string, Reading[]>();
    for (const r of readings) {
      const site = splitPointPath(r.point).site;
      const list = bySite.get(site) ?? [];
      list.push(r);
      bySite.set(site, list);
    }
    for (const [siteId, list] of bySite) {
      const owner = this.owners.get(siteId);
      if (owner !== undefined) {
        this.sendLatest(owner, siteId, list);
        continue;
      }
      void this.deps.registry
        .getSite(siteId)
        .then((s) => {
          const o: Owner = s ? { enterpriseId: s.enterpriseId, regionCode: s.regionCode } : null;
          this.owners.set(siteId, o);
          this.sendLatest(o, siteId, list);
        })
        .catch((err: unknown) => this.log.warn({ err: errorMessage(err), siteId }, 'site lookup for live values failed'));
    }
  }

  /** Forget cached site owners (after the registry changed). */
  invalidate(): void {
    this.owners.clear();
  }

  private sendLatest(owner: Owner, siteId: string, readings: Reading[]): void {
    if (!owner) return;
    for (const c of this.clients) {
      if (scopeAllows(c.scope, owner)) this.deliver(c, 'latest', { siteId, readings });
    }
  }
}
