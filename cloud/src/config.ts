/**
 * The cloud's YAML configuration (`safeloop cloud --config FILE`), validated by one schema.
 */
import { z } from 'zod';
import { EscalationPolicySchema } from './alarms/policy.ts';
import { NotifyConfigSchema } from './notify/notify-config.ts';

const TlsFilesSchema = z.object({ ca: z.string().min(1), cert: z.string().min(1), key: z.string().min(1) });

export const StoreConfigSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('sqlite'), path: z.string().min(1).default('./data/cloud/safeloop.db') }),
  z.object({
    kind: z.literal('postgres'),
    url: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection string'),
    schema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).optional(),
    /** Days of raw telemetry kept (older partitions dropped); aggregates are kept longer. */
    retentionDays: z.number().int().min(1).default(90),
    poolSize: z.number().int().min(1).max(200).default(10),
  }),
]);
export type StoreConfig = z.infer<typeof StoreConfigSchema>;

export const CloudConfigSchema = z.object({
  http: z
    .object({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8080),
      /**
       * Behind a reverse proxy: trust its X-Forwarded-For (true, or the proxy's address/CIDR) so the
       * audit and the login throttle see the caller's address, not the proxy's.
       */
      trustProxy: z.union([z.boolean(), z.string().min(1)]).optional(),
    })
    .default({ host: '127.0.0.1', port: 8080 }),
  store: StoreConfigSchema.default({ kind: 'sqlite', path: './data/cloud/safeloop.db' }),
  mqtt: z.object({
    url: z.string().regex(/^(mqtt|mqtts|tcp|ssl|tls):\/\//, 'must be mqtt:// or mqtts://'),
    tls: TlsFilesSchema.optional(),
    protocolVersion: z.union([z.literal(4), z.literal(5)]).default(5),
    /** MQTT 5 shared-subscription group; several workers with the same group split the load. Omit for MQTT 3.1.1. */
    shareGroup: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/).optional(),
    /**
     * Ingest client id; a fixed id gives a persistent broker session (messages published while the cloud
     * restarts are queued). Default without shareGroup: safeloop-ingest-{hostname}. With shareGroup give each
     * worker its own id, or its session is clean.
     */
    clientId: z.string().max(64).optional(),
    /**
     * MQTT 5 session expiry of the persistent ingest session. Default 3600 for a single worker, 30 with
     * shareGroup: the broker keeps giving a dead member its share until its session expires.
     */
    sessionExpirySec: z.number().int().min(0).max(7 * 86400).optional(),
  }),
  /**
   * Run an in-process MQTT broker (demo / single machine). Off loopback it needs `tls` (client
   * certificates from the project's CA, per-gateway topic ACL) or it refuses to start.
   */
  embeddedBroker: z
    .object({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535),
      tls: TlsFilesSchema.extend({ crl: z.string().min(1).optional(), cloudIdentities: z.array(z.string().min(1)).min(1).optional() }).optional(),
    })
    .optional(),
  /** YAML seed with regions, enterprises, sites, gateways and users, applied at start (idempotent). */
  seed: z.string().optional(),
  /** Rule files (YAML/JSON) loaded at start; rules can later be changed through the API. */
  ruleFiles: z.array(z.string()).default([]),
  /**
   * Folders of device profile files beside the built-in library (the same files a gateway's
   * `profileDirs` names), so alarm titles and site pages show the names of site-added profiles.
   * Relative paths resolve like `seed`'s (against the checkout when run by `safeloop cloud`); a bad
   * file or a duplicate id stops the start (and `cloud --check`) naming the file.
   */
  profileDirs: z.array(z.string().min(1)).default([]),
  auth: z
    .object({
      /** File holding the token-signing secret; created with a random secret if missing. */
      secretFile: z.string().default('./data/cloud/token-secret'),
      tokenTtlSec: z.number().int().min(60).max(7 * 86400).default(12 * 3600),
      /** First start with no users: the administrator's password from this file (else generated and logged once). */
      initialAdminPasswordFile: z.string().optional(),
    })
    .default({ secretFile: './data/cloud/token-secret', tokenTtlSec: 12 * 3600 }),
  /** Prometheus scrapes /metrics with `Authorization: Bearer <token from this file>` (created with a random token if missing). */
  metrics: z.object({ tokenFile: z.string().default('./data/cloud/metrics-token') }).default({ tokenFile: './data/cloud/metrics-token' }),
  web: z.object({ enabled: z.boolean().default(true), dir: z.string().optional() }).default({ enabled: true }),
  workers: z
    .object({
      ingest: z.boolean().default(true),
      /**
       * PostgreSQL: big telemetry batches are stored and evaluated on a worker thread of the ingest worker,
       * so alarms and small batches never wait behind them on one event loop. Ignored with SQLite.
       */
      ingestThread: z.boolean().default(true),
      /**
       * Nice steps for the PostgreSQL backends of the bulk thread's pool, when the server runs on this machine
       * and the service may renice them (same user, or CAP_SYS_NICE); skipped with a warning otherwise. 0: off.
       */
      ingestThreadBackendNice: z.number().int().min(0).max(19).default(10),
      escalation: z.boolean().default(true),
      escalationTickSec: z.number().min(0.1).max(600).default(5),
    })
    .default({ ingest: true, ingestThread: true, ingestThreadBackendNice: 10, escalation: true, escalationTickSec: 5 }),
  /** Gateway provisioning: the broker address handed to claimed gateways, the mTLS renewal endpoint. */
  provisioning: z
    .object({
      /** mqtts:// URL gateways use after claiming (default: mqtt.url). */
      brokerUrl: z.string().regex(/^(mqtt|mqtts|ssl|tls):\/\//, 'must be mqtt:// or mqtts://').optional(),
      /** Serve certificate renewal over mutual TLS on this address. */
      renew: z.object({ host: z.string().default('0.0.0.0'), port: z.number().int().min(0).max(65535), hostnames: z.array(z.string()).optional() }).optional(),
      /** Warn this many days before a gateway certificate expires. */
      warnDays: z.number().int().min(1).max(365).default(30),
    })
    .default({ warnDays: 30 }),
  /**
   * Alarm handling deadlines and escalation ladders (alarms/policy.ts): acknowledge and feedback
   * deadlines behind the overdue marks, per site type if needed. Defaults are DOMAIN.md §6.
   */
  alarms: z.object({ policy: EscalationPolicySchema.optional() }).default({}),
  /** SMS / voice provider, work-chat robots, webhook subscribers, delivery policy (cloud/src/notify). */
  notify: NotifyConfigSchema.default(NotifyConfigSchema.parse({})),
});
export type CloudConfig = z.infer<typeof CloudConfigSchema>;
