/**
 * The cloud's composition root: one process that owns the database, the ingest worker, the alarm
 * lifecycle and its timers, notifications and the HTTP server. Several of these processes may run
 * against one PostgreSQL and one broker; everything that must agree lives in the database.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Registry as PromRegistry, collectDefaultMetrics } from 'prom-client';
import { errorMessage, systemClock, topics, type Clock, type Logger } from '@safeloop/contract';
import { ProfileCatalog } from '@safeloop/device-profiles';
import { AlarmService, EscalationScheduler, type AlarmSummary } from './alarms/index.ts';
import { AuthService, ensureInitialAdmin } from './auth/index.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from './broker/embedded-broker.ts';
import type { CloudConfig } from './config.ts';
import { PgDb, SqliteDb, type SqlDb } from './db/index.ts';
import { buildHttpServer } from './http/server.ts';
import { createIngestMetrics, IngestWorker } from './ingest/index.ts';
import { LiveHub, NotificationDispatcher, setupNotify, type DeliveryEngine, type WebhookOutbox } from './notify/index.ts';
import { MqttSirenCommander } from './mqtt-siren.ts';
import { startProvisioning, type GatewayConfigValidator, type ProvisioningOptions, type ProvisioningParts } from './provisioning/index.ts';
import { createTelemetryStore, type TelemetryStore } from './store/index.ts';
import { SiteLayoutStore } from './site-views/layout-store.ts';
import { loadRuleFile, mergeRuleSets, RulesEngine } from './rules/index.ts';
import { loadSeedFile, Registry } from './tenancy/index.ts';
import { PointNames } from './point-names/point-names.ts';
import type { ServiceBulkThreadData } from './ingest-thread-setup.ts';

export interface CloudServiceDeps {
  logger: Logger;
  clock?: Clock;
  /** Relative paths in the config (seed, rule files, web dir) resolve against this; default cwd. */
  repoRoot?: string;
  /** Gateway provisioning (CA under the data dir, claim codes, renewal endpoint, remote config). */
  provisioning?: ProvisioningOptions;
  /** The gateway's config schema as a check, for remote configuration (the cloud does not import the gateway). */
  validateGatewayConfig?: GatewayConfigValidator;
}

function readOrCreateSecret(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dirname(file), { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

export class CloudService {
  private readonly alarmListeners = new Set<(a: AlarmSummary) => void>();

  private constructor(
    readonly url: string,
    readonly db: SqlDb,
    readonly registry: Registry,
    readonly alarms: AlarmService,
    readonly store: TelemetryStore,
    readonly liveHub: LiveHub,
    readonly metricsRegistry: PromRegistry,
    private readonly parts: {
      http: FastifyInstance;
      ingest?: IngestWorker | undefined;
      escalation?: EscalationScheduler | undefined;
      webhooks: WebhookOutbox;
      deliveries: DeliveryEngine;
      broker?: EmbeddedBroker | undefined;
      siren: MqttSirenCommander;
      logger: Logger;
      provisioning: ProvisioningParts;
    },
  ) {}

  static async start(config: CloudConfig, deps: CloudServiceDeps): Promise<CloudService> {
    const clock = deps.clock ?? systemClock;
    const logger = deps.logger.child({ module: 'cloud' });
    const base = deps.repoRoot ?? process.cwd();
    const path = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
    const dataPath = (p: string): string => (isAbsolute(p) ? p : resolve(process.cwd(), p));
    // Read before anything opens: a bad profile file or a duplicate id stops the start naming the files.
    const profiles = ProfileCatalog.load({ dirs: config.profileDirs.map(path) });

    const broker = config.embeddedBroker
      ? await startEmbeddedBroker({
          host: config.embeddedBroker.host,
          port: config.embeddedBroker.port,
          logger: deps.logger,
          ...(config.embeddedBroker.tls ? { tls: { ...config.embeddedBroker.tls, ca: path(config.embeddedBroker.tls.ca), cert: path(config.embeddedBroker.tls.cert), key: path(config.embeddedBroker.tls.key), crl: config.embeddedBroker.tls.crl ? path(config.embeddedBroker.tls.crl) : undefined } } : {}),
        })
      : undefined;

    const db: SqlDb =
      config.store.kind === 'sqlite'
        ? new SqliteDb(dataPath(config.store.path))
        : new PgDb({ connectionString: config.store.url, max: config.store.poolSize, ...(config.store.schema ? { schema: config.store.schema } : {}) });

    const metricsRegistry = new PromRegistry();
    collectDefaultMetrics({ register: metricsRegistry, prefix: 'safeloop_cloud_' });

    const registry = new Registry({ db, now: () => clock.now() });
    await registry.migrate();
    const seed = config.seed ? loadSeedFile(path(config.seed)) : undefined;
    if (seed) await registry.applySeed(seed);
    const siteLayouts = new SiteLayoutStore({ db, now: () => clock.now() });
    await siteLayouts.migrate();
    if (seed && config.seed) await siteLayouts.applySeed(seed.layouts, dirname(path(config.seed)));
    await ensureInitialAdmin(registry.users, { passwordFile: config.auth.initialAdminPasswordFile ? path(config.auth.initialAdminPasswordFile) : undefined, logger });

    // Point names from device profiles (the library plus config.profileDirs); the desired configurations
    // that say which device uses which profile are read once provisioning is up.
    let remoteConfig: ProvisioningParts['remoteConfig'] | undefined;
    const pointNames = new PointNames({
      registry,
      catalog: profiles,
      desiredOfSite: async (siteId) => (remoteConfig ? remoteConfig.desiredOfSite(siteId) : []),
      clock,
      logger: deps.logger,
    });

    const liveHub = new LiveHub({ registry, logger: deps.logger });
    // Provider credentials are read here: a missing file or variable stops the start with its name.
    const notify = await setupNotify(config.notify, { db, clock, logger: deps.logger, baseDir: base });
    if (seed) await notify.roster.applySeed(seed.duty, clock.now());
    const webhooks = notify.webhooks;

    const siren = new MqttSirenCommander({ logger: deps.logger });
    const notifier = new NotificationDispatcher({ registry, liveHub, logger: deps.logger, clock, siren, ...notify.dispatcherDeps });
    const alarms = new AlarmService({ db, registry, notifier, logger: deps.logger, clock, metricsRegistry, pointTitle: (title, point) => pointNames.title(title, point), ...(config.alarms.policy ? { policy: config.alarms.policy } : {}) });
    await alarms.migrate();
    notify.engine.onReached = (alarmId) => alarms.recordPushOutcome(alarmId, true, { note: 'reached on a later delivery attempt' });
    if (notify.configured.length === 0) logger.warn({}, 'no SMS, voice or work-chat provider configured: alarms reach people in-app only and are marked push_failed');
    else logger.info({ providers: notify.configured }, 'notification providers configured');

    const store = createTelemetryStore(db, config.store.kind === 'postgres' ? { retentionDays: config.store.retentionDays } : {});
    await store.init();

    const ruleFiles = config.ruleFiles.length > 0 ? mergeRuleSets(config.ruleFiles.map((f) => loadRuleFile(path(f)))) : undefined;
    const rules = new RulesEngine({ logger: deps.logger, clock, sites: registry }, ruleFiles);
    await rules.init(db);

    const clientId = ingestClientId(config);
    const ingest = config.workers.ingest
      ? new IngestWorker({
          db,
          mqtt: {
            url: config.mqtt.url,
            protocolVersion: config.mqtt.protocolVersion,
            ...(config.mqtt.tls ? { tls: { ca: readFileSync(path(config.mqtt.tls.ca)), cert: readFileSync(path(config.mqtt.tls.cert)), key: readFileSync(path(config.mqtt.tls.key)) } } : {}),
            // A fixed client id keeps a persistent session: what gateways publish during a restart is queued.
            ...(clientId !== undefined ? { clientId } : {}),
            ...(config.mqtt.sessionExpirySec === undefined ? {} : { sessionExpirySec: config.mqtt.sessionExpirySec }),
          },
          ...(config.mqtt.shareGroup ? { shareGroup: config.mqtt.shareGroup } : {}),
          directory: registry,
          alarms,
          store,
          rules,
          metrics: createIngestMetrics(metricsRegistry),
          logger: deps.logger,
          clock,
          onTelemetryCommitted: (readings) => liveHub.publishLatest(readings),
          onGatewayStatus: (gatewayId, online, at) => registry.setGatewayStatus(gatewayId, online, at),
          liveWanted: () => liveHub.clientCount > 0,
          ...(config.store.kind === 'postgres' && config.workers.ingestThread
            ? { bulkThread: { setup: new URL('./ingest-thread-setup.ts', import.meta.url).href, data: { store: { url: config.store.url, poolSize: config.store.poolSize, schema: config.store.schema, retentionDays: config.store.retentionDays, backendNice: config.workers.ingestThreadBackendNice }, rules: ruleFiles } satisfies ServiceBulkThreadData } }
            : {}),
        })
      : undefined;

    const provisioning = await startProvisioning(
      { db, registry, alarms, clock, logger: deps.logger, dataDir: dirname(dataPath(config.auth.secretFile)), brokerUrl: config.mqtt.url, validateGatewayConfig: deps.validateGatewayConfig },
      deps.provisioning ?? {
        warnDays: config.provisioning.warnDays,
        // The embedded broker re-reads its CRL after a revocation (point embeddedBroker.tls.crl at <data dir>/ca/crl.pem).
        ...(broker && config.embeddedBroker?.tls?.crl ? { onCrlChanged: () => broker.reloadCrl() } : {}),
        ...(config.provisioning.brokerUrl ? { brokerUrl: config.provisioning.brokerUrl } : {}),
        ...(config.provisioning.renew ? { renew: { host: config.provisioning.renew.host, port: config.provisioning.renew.port, ...(config.provisioning.renew.hostnames ? { hostnames: config.provisioning.renew.hostnames } : {}) } } : {}),
      },
    );
    remoteConfig = provisioning.remoteConfig;
    const auth = new AuthService({ db, users: registry.users, clock, secret: readOrCreateSecret(dataPath(config.auth.secretFile)), tokenTtlMs: config.auth.tokenTtlSec * 1000 });
    const staticDir = config.web.enabled ? path(config.web.dir ?? join(base, 'cloud/web')) : undefined;
    if (staticDir && !config.web.dir) {
      // The dashboard's browser libraries (echarts) are copied from node_modules; no network needed.
      const { buildVendor } = (await import('../web/build-vendor.mjs')) as { buildVendor: () => string[] };
      buildVendor();
    }
    const rulesAccess = {
      list: () => rules.ruleSet,
      put: (input: unknown, by: { username: string }) => rules.publish(db, input, by.username),
    };
    const http = buildHttpServer({ db, registry, alarms, liveHub, auth, metricsRegistry, telemetry: store, rules: rulesAccess, logger: deps.logger, staticDir, clock, provisioning: provisioning.provisioning, remoteConfig: provisioning.remoteConfig, pointNames, metricsToken: readOrCreateSecret(dataPath(config.metrics.tokenFile)), trustProxy: config.http.trustProxy, deliveries: notify.store, inbox: notify.inbox, siteLayouts });

    const escalation = config.workers.escalation
      ? new EscalationScheduler({ alarms, clock, logger: deps.logger, intervalMs: config.workers.escalationTickSec * 1000 })
      : undefined;

    const address = await http.listen({ host: config.http.host, port: config.http.port });
    const url = address.replace('[::1]', 'localhost');
    const service = new CloudService(url, db, registry, alarms, store, liveHub, metricsRegistry, {
      http,
      ingest,
      escalation,
      webhooks,
      deliveries: notify.engine,
      broker,
      siren,
      logger,
      provisioning,
    });
    liveHub.subscribe({
      userId: '__cloud_service__',
      scope: { kind: 'all' },
      send: (event, data) => {
        if (event === 'alarm') for (const l of service.alarmListeners) l(data as AlarmSummary);
      },
    });
    try {
      if (ingest) {
        await ingest.start();
        siren.attach(ingest.mqttClient);
        if (ingest.mqttClient) provisioning.remoteConfig.attach(ingest.mqttClient);
      }
      provisioning.expiryWatch.start();
      escalation?.start();
      webhooks.start();
      notify.engine.start();
    } catch (err) {
      await service.stop();
      throw err;
    }
    logger.info({ url, store: config.store.kind }, 'cloud started');
    return service;
  }

  /** Every alarm change (for the demo console and embedders); returns an unsubscribe function. */
  onAlarm(listener: (a: AlarmSummary) => void): () => void {
    this.alarmListeners.add(listener);
    return () => this.alarmListeners.delete(listener);
  }

  /** Ask a gateway to silence or reset its local siren. */
  sirenTopic(gatewayId: string): string {
    return topics.down(gatewayId, 'cmd');
  }

  async stop(): Promise<void> {
    const { logger } = this.parts;
    const steps: Array<[string, () => Promise<unknown>]> = [
      ['http', () => this.parts.http.close()],
      ['provisioning', () => this.parts.provisioning.stop()],
      ['escalation', () => this.parts.escalation?.stop() ?? Promise.resolve()],
      ['webhooks', () => this.parts.webhooks.stop()],
      ['deliveries', () => this.parts.deliveries.stop()],
      ['ingest', () => this.parts.ingest?.stop() ?? Promise.resolve()],
      ['db', () => this.db.close()],
      ['broker', () => this.parts.broker?.stop() ?? Promise.resolve()],
    ];
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (err) {
        logger.error({ part: name, err: errorMessage(err) }, 'stop failed');
      }
    }
  }
}

/** The configured ingest client id; default (single worker) safeloop-ingest-{hostname}, so the session persists. */
function ingestClientId(config: CloudConfig): string | undefined {
  if (config.mqtt.clientId) return config.mqtt.clientId;
  if (config.mqtt.shareGroup) return undefined;
  return `safeloop-ingest-${hostname().replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40)}`;
}
