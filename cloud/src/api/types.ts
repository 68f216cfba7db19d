import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock, Logger } from '@safeloop/contract';
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Registry as PromRegistry } from 'prom-client';
import type { SqlDb } from '../db/index.ts';
import type { Registry } from '../tenancy/registry.ts';
import type { AlarmService } from '../alarms/alarm-service.ts';
import type { LiveHub } from '../notify/live-hub.ts';
import type { DeliveryStore } from '../notify/delivery-store.ts';
import type { InboxStore } from '../notify/inbox.ts';
import type { AuthService } from '../auth/auth-service.ts';
import type { SecurityLog } from '../auth/security-log.ts';
import type { ProvisioningService } from '../provisioning/provisioning-service.ts';
import type { RemoteConfigService } from '../provisioning/remote-config.ts';
import type { SiteLayoutStore } from '../site-views/layout-store.ts';
import type { PointNames } from '../point-names/point-names.ts';
import type { LatestQuery, LatestValue, MinuteAggregate, RawReadingRow } from '../store/telemetry-store.ts';

export type ZApp = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

/** What the API reads from the telemetry store (the store engineer's TelemetryStore satisfies it). */
export interface TelemetryReader {
  latest(query: LatestQuery): Promise<LatestValue[]>;
  history(point: string, from: number, to: number, resolution: 'raw' | '1m'): Promise<RawReadingRow[] | MinuteAggregate[]>;
}

/** Rules as data: list and replace (validation is the rules module's). */
export interface RulesAccess {
  list(): Promise<unknown> | unknown;
  put(rules: unknown, by: { username: string }): Promise<unknown> | unknown;
}

export interface HttpServerDeps {
  db: SqlDb;
  registry: Registry;
  alarms: AlarmService;
  liveHub: LiveHub;
  auth: AuthService;
  metricsRegistry: PromRegistry;
  telemetry?: TelemetryReader | undefined;
  rules?: RulesAccess | undefined;
  logger: Logger;
  /** The dashboard folder, served at /. */
  staticDir?: string | undefined;
  clock?: Clock | undefined;
  /** Trust X-Forwarded-For from a reverse proxy for the audit's source IP (default false). */
  trustProxy?: boolean | string | undefined;
  /** SSE heartbeat interval (default 15 s). */
  sseHeartbeatMs?: number | undefined;
  /** Gateway claim codes, certificates and revocation (cloud/src/provisioning). */
  provisioning?: ProvisioningService | undefined;
  /** Desired gateway configuration (cloud/src/provisioning). */
  remoteConfig?: RemoteConfigService | undefined;
  /** Point names, units and ranges from device profiles (GET /api/sites/:id fills its points from them). */
  pointNames?: PointNames | undefined;
  /** Delivery records of SMS / voice / work-chat pages (GET /api/alarms/:id/deliveries). */
  deliveries?: DeliveryStore | undefined;
  /** Site layouts and plan images (GET /api/sites/:id/view, PUT /api/sites/:id/layout). */
  siteLayouts?: SiteLayoutStore | undefined;
  /** Each person's stored notifications (GET /api/inbox). */
  inbox?: InboxStore | undefined;
  /** Claim attempts per client address per minute and in total (defaults 10 / 120). */
  claimRateLimit?: { perAddress: number; total: number } | undefined;
  /** The bearer token Prometheus sends to /metrics; without one /metrics answers 401. */
  metricsToken?: string | undefined;
  /** Refused accesses, user-management audit and security events (default: one on `db`). */
  securityLog?: SecurityLog | undefined;
}
