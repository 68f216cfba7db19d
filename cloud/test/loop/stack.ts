/** The whole warn → handle → feedback stack in-process, for the loop tests. */
import { Registry as PromRegistry } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import { AlarmService, EscalationScheduler } from '../../src/alarms/index.ts';
import { AuthService } from '../../src/auth/index.ts';
import { LiveHub, NotificationDispatcher, RecordingSirenCommander, RecordingSmsProvider, WebhookOutbox } from '../../src/notify/index.ts';
import { buildHttpServer, type TelemetryReader } from '../../src/http/server.ts';
import type { Registry } from '../../src/tenancy/index.ts';
import { FakeClock, logger, openDb, seededRegistry, type DbHandle, type DbKind } from './harness.ts';

/** The Prometheus scrape token of the test stack (/metrics answers 401 without it). */
export const METRICS_TOKEN = 'loop-test-metrics-token-0123456789';

export interface Stack {
  h: DbHandle;
  clock: FakeClock;
  registry: Registry;
  alarms: AlarmService;
  scheduler: EscalationScheduler;
  hub: LiveHub;
  sms: RecordingSmsProvider;
  siren: RecordingSirenCommander;
  webhooks: WebhookOutbox;
  auth: AuthService;
  metrics: PromRegistry;
  app: FastifyInstance;
  telemetryCalls: string[];
  close(): Promise<void>;
}

export async function buildStack(kind: DbKind): Promise<Stack> {
  const h = await openDb(kind);
  try {
    const clock = new FakeClock();
    const registry = await seededRegistry(h.db, clock);
    const hub = new LiveHub({ registry, logger });
    const sms = new RecordingSmsProvider();
    const siren = new RecordingSirenCommander();
    const webhooks = new WebhookOutbox({ db: h.db, clock, logger });
    await webhooks.migrate();
    const notifier = new NotificationDispatcher({ registry, liveHub: hub, logger, sms, siren, webhooks });
    const metrics = new PromRegistry();
    const alarms = new AlarmService({ db: h.db, registry, notifier, logger, clock, metricsRegistry: metrics });
    await alarms.migrate();
    const scheduler = new EscalationScheduler({ alarms, clock, logger });
    const auth = new AuthService({ db: h.db, users: registry.users, clock, secret: 'test-secret-test-secret-test-secret!!' });
    const telemetryCalls: string[] = [];
    const telemetry: TelemetryReader = {
      latest: (q) => {
        telemetryCalls.push(`latest:${JSON.stringify(q)}`);
        const siteId = 'siteId' in q ? q.siteId : 'x';
        return Promise.resolve([
          { point: `${siteId}/gd-1/conc`, siteId, gatewayId: 'gw', value: 3, unit: '%LEL', quality: 'good', reason: null, sourceTime: clock.now(), gatewayTime: clock.now(), eventId: '01J0000000000000000000000A', historical: false, stale: false, goodSince: clock.now(), timeSuspect: null },
        ]);
      },
      history: (point) => {
        telemetryCalls.push(`history:${point}`);
        return Promise.resolve([{ point, minute: clock.now(), min: 1, max: 2, avg: 1.5, count: 60 }]);
      },
    };
    const app = buildHttpServer({ db: h.db, registry, alarms, liveHub: hub, auth, metricsRegistry: metrics, telemetry, logger, clock, sseHeartbeatMs: 60_000, metricsToken: METRICS_TOKEN });
    await app.ready();
    return {
      h,
      clock,
      registry,
      alarms,
      scheduler,
      hub,
      sms,
      siren,
      webhooks,
      auth,
      metrics,
      app,
      telemetryCalls,
      close: async () => {
        await app.close();
        await h.close();
      },
    };
  } catch (err) {
    await h.close();
    throw err;
  }
}

export interface Client {
  token: string;
  get(url: string): Promise<{ status: number; body: unknown; text: string }>;
  post(url: string, body?: unknown, ip?: string): Promise<{ status: number; body: unknown; text: string }>;
}

export async function login(app: FastifyInstance, username: string, password = 'safeloop'): Promise<Client> {
  const r = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
  if (r.statusCode !== 200) throw new Error(`login ${username}: ${r.statusCode} ${r.body}`);
  const token = (r.json() as { token: string }).token;
  const parse = (text: string): unknown => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  };
  return {
    token,
    get: async (url) => {
      const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
      return { status: res.statusCode, body: parse(res.body), text: res.body };
    },
    post: async (url, body, ip) => {
      const res = await app.inject({ method: 'POST', url, payload: (body ?? {}) as object, headers: { authorization: `Bearer ${token}` }, ...(ip ? { remoteAddress: ip } : {}) });
      return { status: res.statusCode, body: parse(res.body), text: res.body };
    },
  };
}
