/**
 * The whole warn → handle → feedback stack in-process, for the loop tests. Notifications go through
 * the real provider clients (Alibaba Cloud SMS + voice, a 企业微信 robot) to local servers that check
 * each request as the provider documents it (cloud/test/notify/provider-servers.ts).
 */
import { Registry as PromRegistry } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import { AlarmService, EscalationScheduler } from '../../src/alarms/index.ts';
import { AuthService } from '../../src/auth/index.ts';
import { LiveHub, NotificationDispatcher, NotifyConfigSchema, setupNotify, type NotifyParts, type WebhookOutbox } from '../../src/notify/index.ts';
import { startFakeAliyun, startFakeWecom, type FakeProvider } from '../notify/provider-servers.ts';
import { RecordingSirenCommander } from './recorders.ts';
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
  /** The local Alibaba Cloud endpoint (SendSms and SingleCallByTts). */
  aliyun: FakeProvider;
  /** The local 企业微信 robot webhook of the tank farm's duty group. */
  wecom: FakeProvider;
  notify: NotifyParts;
  siren: RecordingSirenCommander;
  webhooks: WebhookOutbox;
  auth: AuthService;
  metrics: PromRegistry;
  app: FastifyInstance;
  telemetryCalls: string[];
  close(): Promise<void>;
}

const ALIYUN = { accessKeyId: 'LTAI-loop-test', accessKeySecret: 'loop-test-secret' };
process.env.SAFELOOP_TEST_ALIYUN_ID = ALIYUN.accessKeyId;
process.env.SAFELOOP_TEST_ALIYUN_SECRET = ALIYUN.accessKeySecret;
process.env.SAFELOOP_TEST_WECOM_KEY = 'wecom-loop-key';

/** The notify config the loop tests run with (endpoints filled in per stack). */
export function loopNotifyConfig(aliyunUrl: string, wecomUrl: string, delivery: Record<string, unknown> = {}): unknown {
  const ak = { accessKeyId: { env: 'SAFELOOP_TEST_ALIYUN_ID' }, accessKeySecret: { env: 'SAFELOOP_TEST_ALIYUN_SECRET' } };
  return {
    publicUrl: 'https://safeloop.example.gov.cn',
    sms: { provider: 'aliyun', endpoint: `${aliyunUrl}/`, ...ak, signName: '安全生产预警', templateCode: 'SMS_LOOP' },
    voice: { provider: 'aliyun', endpoint: `${aliyunUrl}/`, ...ak, ttsCode: 'TTS_LOOP' },
    robots: [{ kind: 'wecom', name: 'chem-duty', baseUrl: wecomUrl, key: { env: 'SAFELOOP_TEST_WECOM_KEY' }, enterpriseId: 'ent-demo-chem' }],
    delivery: { timeoutMs: 2_000, backoffSec: [30, 120, 600], voiceAfterSec: 180, ...delivery },
  };
}

export async function buildStack(kind: DbKind, opts: { delivery?: Record<string, unknown> } = {}): Promise<Stack> {
  const h = await openDb(kind);
  const clock = new FakeClock();
  const aliyun = await startFakeAliyun({ ...ALIYUN, now: () => clock.now() });
  const wecom = await startFakeWecom({ key: 'wecom-loop-key' });
  try {
    const registry = await seededRegistry(h.db, clock);
    const hub = new LiveHub({ registry, logger });
    const siren = new RecordingSirenCommander();
    const notify = await setupNotify(NotifyConfigSchema.parse(loopNotifyConfig(aliyun.url, wecom.url, opts.delivery)), { db: h.db, clock, logger });
    await notify.roster.applySeed(
      {
        rosters: [{ siteId: 'tank-farm', utcOffsetMin: 480, shifts: [{ name: '白班', from: '08:00', to: '20:00', members: ['operator'] }, { name: '夜班', from: '20:00', to: '08:00', members: ['operator'] }] }],
        contacts: [{ username: 'operator', wecomUserId: 'wang.operator' }],
      },
      clock.now(),
    );
    const webhooks = notify.webhooks;
    const notifier = new NotificationDispatcher({ registry, liveHub: hub, logger, clock, siren, ...notify.dispatcherDeps });
    const metrics = new PromRegistry();
    const alarms = new AlarmService({ db: h.db, registry, notifier, logger, clock, metricsRegistry: metrics });
    await alarms.migrate();
    notify.engine.onReached = (alarmId) => alarms.recordPushOutcome(alarmId, true, { note: 'reached on a later delivery attempt' });
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
    const app = buildHttpServer({ db: h.db, registry, alarms, liveHub: hub, auth, metricsRegistry: metrics, telemetry, logger, clock, sseHeartbeatMs: 60_000, metricsToken: METRICS_TOKEN, deliveries: notify.store, inbox: notify.inbox });
    await app.ready();
    return {
      h,
      clock,
      registry,
      alarms,
      scheduler,
      hub,
      aliyun,
      wecom,
      notify,
      siren,
      webhooks,
      auth,
      metrics,
      app,
      telemetryCalls,
      close: async () => {
        await app.close();
        await h.close();
        await aliyun.close();
        await wecom.close();
      },
    };
  } catch (err) {
    await h.close();
    await aliyun.close();
    await wecom.close();
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
