/**
 * The desired configuration of each gateway, versioned. Every change is validated against the gateway's
 * own config schema, audited (who, when, from where, diff) and pushed as a `config` command on the
 * gateway's command topic; the gateway reports the version it runs in its status messages, and a gateway
 * that comes online with an older version gets the desired one again.
 */
import { CommandMessageSchema, PROTOCOL_VERSION, StatusMessageSchema, SafeLoopError, errorMessage, parsePayload, parseTopic, topics, type Clock, type Logger, type StatusMessage } from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';
import type { Registry } from '../tenancy/registry.ts';
import type { Scope } from '../tenancy/scope.ts';
import { jsonDiff, type DiffEntry } from './config-diff.ts';

/** What the service publishes through (the ingest worker's MQTT client satisfies it). */
export interface CommandPublisher {
  publish(topic: string, payload: string, opts: { qos: 1 }, cb: (err?: Error) => void): unknown;
}

/** An MQTT client the service can listen on for status messages. */
export interface StatusSource extends CommandPublisher {
  on(event: 'message', cb: (topic: string, payload: Buffer) => void): unknown;
}

export interface DesiredConfig {
  gatewayId: string;
  version: number;
  config: unknown;
  updatedBy: string;
  updatedAt: number;
  reportedVersion?: number;
  reportedAt?: number;
  pushedAt?: number;
}

export interface ConfigAuditEntry {
  gatewayId: string;
  version: number;
  at: number;
  by: string;
  ip?: string;
  note?: string;
  /** The whole document of this version is kept (it can be viewed and rolled back to). */
  restorable: boolean;
  diff: DiffEntry[];
}

interface DesiredRow {
  gateway_id: string;
  version: number;
  config: string;
  updated_by: string;
  updated_at: number;
  reported_version: number | null;
  reported_at: number | null;
  pushed_at: number | null;
}

/**
 * Checks a gateway configuration against the gateway's own schema. The cloud does not import the edge
 * agent (the build forbids it): the program that composes the cloud (`safeloop cloud`, the demo) hands
 * it in; without one, remote configuration is refused rather than accepted unchecked.
 */
export type GatewayConfigValidator = (config: unknown) => { ok: true; gatewayId: string; siteId: string } | { ok: false; problem: string; count: number };

export interface RemoteConfigDeps {
  db: SqlDb;
  registry: Registry;
  clock: Clock;
  logger: Logger;
  validate?: GatewayConfigValidator | undefined;
}

export class RemoteConfigService {
  private publisher: CommandPublisher | undefined;

  constructor(private readonly deps: RemoteConfigDeps) {}

  /** Publish commands through this client and learn reported versions from the status messages it receives. */
  attach(client: StatusSource): void {
    this.publisher = client;
    client.on('message', (topic, payload) => {
      const t = parseTopic(topic);
      if (!t || t.direction !== 'up' || t.channel !== 'status') return;
      const parsed = parsePayload(StatusMessageSchema, payload);
      if (!parsed.ok || parsed.value.gatewayId !== t.gatewayId) return;
      this.onStatus(parsed.value).catch((err: unknown) => this.deps.logger.error({ gatewayId: t.gatewayId, err: errorMessage(err) }, 'config status handling failed'));
    });
  }

  /** What saving `config` would change, after the same checks as `put`; nothing is stored or sent. */
  async preview(gatewayId: string, config: unknown, scope: Scope): Promise<{ currentVersion: number; diff: DiffEntry[] }> {
    await this.check(gatewayId, config, scope);
    const cur = await this.get(gatewayId);
    return { currentVersion: cur?.version ?? 0, diff: jsonDiff(cur?.config, config) };
  }

  /** The whole document of one earlier version (for viewing or rolling back to it). */
  async versionConfig(gatewayId: string, version: number, scope: Scope): Promise<{ version: number; config: unknown; at: number; by: string; note?: string }> {
    if (!(await this.deps.registry.getGatewayDetail(gatewayId, scope))) throw new SafeLoopError('CLOUD_ERR_NOT_FOUND', `gateway ${gatewayId} not found`);
    const r = (await this.deps.db.query<{ config: string | null; at: number; by_user: string; note: string | null }>(
      'SELECT config, at, by_user, note FROM gateway_config_audit WHERE gateway_id = $1 AND version = $2',
      [gatewayId, version],
    ))[0];
    if (!r) throw new SafeLoopError('CLOUD_ERR_NOT_FOUND', `gateway ${gatewayId} has no configuration version ${version}`);
    if (r.config === null) throw new SafeLoopError('CLOUD_ERR_NOT_FOUND', `version ${version} of ${gatewayId} was saved before whole documents were kept; only its diff is in the audit`);
    return { version, config: JSON.parse(r.config) as unknown, at: Number(r.at), by: r.by_user, ...(r.note !== null ? { note: r.note } : {}) };
  }

  private async check(gatewayId: string, config: unknown, scope: Scope): Promise<void> {
    const gw = await this.deps.registry.getGatewayDetail(gatewayId, scope);
    if (!gw) throw new SafeLoopError('CLOUD_ERR_NOT_FOUND', `gateway ${gatewayId} not found`);
    if (!this.deps.validate) {
      throw new SafeLoopError('CLOUD_ERR_UNAVAILABLE', 'remote configuration is off: this cloud was started without the gateway config schema (run it with `safeloop cloud`)');
    }
    const parsed = this.deps.validate(config);
    if (!parsed.ok) throw new SafeLoopError('CLOUD_ERR_VALIDATION', `config.${parsed.problem} (${parsed.count} issue(s))`);
    if (parsed.gatewayId !== gatewayId) throw new SafeLoopError('CLOUD_ERR_VALIDATION', `config.gateway.id: is ${parsed.gatewayId}, must be ${gatewayId}`);
    if (!gw.siteIds.includes(parsed.siteId)) {
      throw new SafeLoopError('CLOUD_ERR_VALIDATION', `config.gateway.siteId: ${parsed.siteId} is not a site of gateway ${gatewayId} (${gw.siteIds.join(', ')})`);
    }
  }

  /**
   * Validate, version, audit and push a new desired configuration. `expectedVersion` (the version the
   * editor started from) refuses a save over someone else's newer one; `note` says why (e.g. a roll-back).
   */
  async put(gatewayId: string, config: unknown, by: { username: string; ip?: string | undefined; scope: Scope }, opts: { expectedVersion?: number | undefined; note?: string | undefined } = {}): Promise<DesiredConfig> {
    await this.check(gatewayId, config, by.scope);
    const now = this.deps.clock.now();
    const version = await this.deps.db.transaction(async (tx) => {
      if (tx.dialect === 'postgres') await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`desired_config:${gatewayId}`]);
      const prev = (await tx.query<DesiredRow>('SELECT * FROM gateway_desired_config WHERE gateway_id = $1', [gatewayId]))[0];
      const current = Number(prev?.version ?? 0);
      if (opts.expectedVersion !== undefined && opts.expectedVersion !== current) {
        throw new SafeLoopError('CLOUD_ERR_CONFLICT', `configuration of ${gatewayId} is at version ${current}, not ${opts.expectedVersion}: reload and apply your change again`, {
          details: { current, expected: opts.expectedVersion },
        });
      }
      const v = current + 1;
      const diff = jsonDiff(prev ? (JSON.parse(prev.config) as unknown) : undefined, config);
      if (prev) {
        await tx.exec('UPDATE gateway_desired_config SET version = $2, config = $3, updated_by = $4, updated_at = $5, pushed_at = NULL WHERE gateway_id = $1', [
          gatewayId,
          v,
          JSON.stringify(config),
          by.username,
          now,
        ]);
      } else {
        await tx.exec('INSERT INTO gateway_desired_config (gateway_id, version, config, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5)', [
          gatewayId,
          v,
          JSON.stringify(config),
          by.username,
          now,
        ]);
      }
      await tx.exec('INSERT INTO gateway_config_audit (gateway_id, version, at, by_user, ip, diff, config, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
        gatewayId,
        v,
        now,
        by.username,
        by.ip ?? null,
        JSON.stringify(diff),
        JSON.stringify(config),
        opts.note ?? null,
      ]);
      return v;
    });
    this.deps.logger.info({ gatewayId, version, by: by.username }, 'desired gateway configuration changed');
    await this.push(gatewayId);
    const desired = await this.get(gatewayId);
    if (!desired) throw new SafeLoopError('CLOUD_ERR_INTERNAL', `desired config of ${gatewayId} vanished`);
    return desired;
  }

  /** Desired and reported configuration versions of several gateways (the gateway list shows them). */
  async versions(gatewayIds: readonly string[]): Promise<Map<string, { configVersion: number; reportedConfigVersion: number | null }>> {
    const out = new Map<string, { configVersion: number; reportedConfigVersion: number | null }>();
    if (gatewayIds.length === 0) return out;
    const rows = await this.deps.db.query<{ gateway_id: string; version: number; reported_version: number | null }>(
      `SELECT gateway_id, version, reported_version FROM gateway_desired_config WHERE gateway_id IN (${gatewayIds.map((_, i) => `$${i + 1}`).join(', ')})`,
      [...gatewayIds],
    );
    for (const r of rows) out.set(r.gateway_id, { configVersion: Number(r.version), reportedConfigVersion: r.reported_version === null ? null : Number(r.reported_version) });
    return out;
  }

  /**
   * The desired configuration documents of every gateway serving a site (read as data; a gateway without
   * one is left out). The one place the site page, the site views and the point names read them; the
   * caller has already found the site in its scope.
   */
  async desiredOfSite(siteId: string): Promise<{ gatewayId: string; config: unknown }[]> {
    const out: { gatewayId: string; config: unknown }[] = [];
    for (const gatewayId of await this.deps.registry.gatewaysForSite(siteId)) {
      const desired = await this.get(gatewayId);
      if (desired) out.push({ gatewayId, config: desired.config });
    }
    return out;
  }

  async get(gatewayId: string, scope?: Scope): Promise<DesiredConfig | undefined> {
    if (scope && !(await this.deps.registry.getGatewayDetail(gatewayId, scope))) throw new SafeLoopError('CLOUD_ERR_NOT_FOUND', `gateway ${gatewayId} not found`);
    const r = (await this.deps.db.query<DesiredRow>('SELECT * FROM gateway_desired_config WHERE gateway_id = $1', [gatewayId]))[0];
    if (!r) return undefined;
    return {
      gatewayId: r.gateway_id,
      version: Number(r.version),
      config: JSON.parse(r.config) as unknown,
      updatedBy: r.updated_by,
      updatedAt: Number(r.updated_at),
      ...(r.reported_version !== null ? { reportedVersion: Number(r.reported_version) } : {}),
      ...(r.reported_at !== null ? { reportedAt: Number(r.reported_at) } : {}),
      ...(r.pushed_at !== null ? { pushedAt: Number(r.pushed_at) } : {}),
    };
  }

  async audit(gatewayId: string, scope: Scope): Promise<ConfigAuditEntry[]> {
    if (!(await this.deps.registry.getGatewayDetail(gatewayId, scope))) throw new SafeLoopError('CLOUD_ERR_NOT_FOUND', `gateway ${gatewayId} not found`);
    const rows = await this.deps.db.query<{ gateway_id: string; version: number; at: number; by_user: string; ip: string | null; diff: string; note: string | null; has_config: number }>(
      'SELECT gateway_id, version, at, by_user, ip, diff, note, CASE WHEN config IS NULL THEN 0 ELSE 1 END AS has_config FROM gateway_config_audit WHERE gateway_id = $1 ORDER BY version',
      [gatewayId],
    );
    return rows.map((r) => ({
      gatewayId: r.gateway_id,
      version: Number(r.version),
      at: Number(r.at),
      by: r.by_user,
      ...(r.ip !== null ? { ip: r.ip } : {}),
      ...(r.note !== null ? { note: r.note } : {}),
      restorable: Number(r.has_config) === 1,
      diff: JSON.parse(r.diff) as DiffEntry[],
    }));
  }

  /** Record the version a gateway reports; a gateway coming online behind the desired version gets it again. */
  async onStatus(status: StatusMessage): Promise<void> {
    if (status.configVersion !== undefined) {
      await this.deps.db.exec('UPDATE gateway_desired_config SET reported_version = $2, reported_at = $3 WHERE gateway_id = $1', [
        status.gatewayId,
        status.configVersion,
        this.deps.clock.now(),
      ]);
    }
    if (status.state !== 'online') return;
    const d = await this.get(status.gatewayId);
    if (d && (status.configVersion ?? 0) < d.version) await this.push(status.gatewayId);
  }

  /** Publish the desired configuration as a `config` command (QoS 1). No client attached → stays pending. */
  async push(gatewayId: string): Promise<boolean> {
    const d = await this.get(gatewayId);
    const publisher = this.publisher;
    if (!d || !publisher) return false;
    const cmd = CommandMessageSchema.parse({ v: PROTOCOL_VERSION, id: `config-${d.version}-${this.deps.clock.now()}`.slice(0, 64), type: 'config', version: d.version, config: d.config });
    try {
      await new Promise<void>((resolve, reject) => publisher.publish(topics.down(gatewayId, 'cmd'), JSON.stringify(cmd), { qos: 1 }, (err) => (err ? reject(err) : resolve())));
    } catch (err) {
      this.deps.logger.warn({ gatewayId, version: d.version, err: errorMessage(err) }, 'config push failed; retried when the gateway next comes online');
      return false;
    }
    await this.deps.db.exec('UPDATE gateway_desired_config SET pushed_at = $2 WHERE gateway_id = $1', [gatewayId, this.deps.clock.now()]);
    return true;
  }
}
