/**
 * The whole HTTP surface in-process for the security tests: every route the cloud registers
 * (tenancy, alarms, users, tokens, rules, provisioning, remote config, commissioning, the live
 * stream), on the demo tenancy plus a fourth tenant in another province that no demo user may see.
 * Each tenant gets its own objects (alarm with attachment, commissioning report, desired gateway
 * configuration, a victim user with an API token, a site-specific rule) so a route taking an id can
 * be called with another tenant's id.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry as PromRegistry } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import { AlarmService } from '../../src/alarms/index.ts';
import { AuthService } from '../../src/auth/index.ts';
import { LiveHub, NotificationDispatcher, WebhookOutbox } from '../../src/notify/index.ts';
import { RecordingSirenCommander } from '../loop/recorders.ts';
import { buildHttpServer, type TelemetryReader } from '../../src/http/server.ts';
import { SiteLayoutStore } from '../../src/site-views/layout-store.ts';
import { startProvisioning, type ProvisioningParts } from '../../src/provisioning/index.ts';
import { RulesEngine } from '../../src/rules/index.ts';
import { SeedSchema, type Registry } from '../../src/tenancy/index.ts';
import { FakeClock, logger, openDb, seededRegistry, type DbHandle, type DbKind } from '../loop/harness.ts';

export const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(32, 1)]).toString('base64');
export const METRICS_TOKEN = 'metrics-token-for-the-matrix-test-0123456789';

export interface Tenant {
  key: string;
  enterprise: string;
  enterpriseName: string;
  region: string;
  site: string;
  gateway: string;
  /** Objects created by setupTenants(). */
  alarmId: string;
  attachmentId: string;
  reportId: string;
  /** An open claim code of the tenant's site (its listed id, never the code). */
  claimCodeId: string;
  victimUserId: string;
  victimUsername: string;
  tokenId: string;
  /** Strings that must never reach a caller outside this tenant. */
  markers: string[];
}

export const TENANTS: Omit<Tenant, 'alarmId' | 'attachmentId' | 'reportId' | 'claimCodeId' | 'victimUserId' | 'victimUsername' | 'tokenId' | 'markers'>[] = [
  { key: 'chem', enterprise: 'ent-demo-chem', enterpriseName: '示例化工有限公司', region: '360102', site: 'tank-farm', gateway: 'gw-demo-01' },
  { key: 'mine', enterprise: 'ent-demo-mine', enterpriseName: '示例矿业有限公司', region: '360102', site: 'tailings-pond', gateway: 'gw-demo-02' },
  { key: 'other', enterprise: 'ent-other-chem', enterpriseName: '青山湖化工有限公司', region: '360111', site: 'other-tanks', gateway: 'gw-other-01' },
  { key: 'far', enterprise: 'ent-far', enterpriseName: '远方化工FAR有限公司', region: '440103', site: 'far-site', gateway: 'gw-far' },
];

/** Which tenants each seeded login may see (the tenancy design, written out by hand). */
export const SEES: Record<string, string[]> = {
  operator: ['chem'],
  manager: ['chem'],
  principal: ['chem'],
  'mine-operator': ['mine'],
  'other-operator': ['other'],
  'far-operator': ['far'],
  county: ['chem', 'mine'],
  county2: ['other'],
  city: ['chem', 'mine', 'other'],
  city2: [],
  province: ['chem', 'mine', 'other'],
  tech: ['chem', 'mine', 'other'],
  admin: ['chem', 'mine', 'other', 'far'],
};

const FAR_SEED = SeedSchema.parse({
  regions: [
    { code: '44', name: '广东省' },
    { code: '4401', name: '广州市' },
    { code: '440103', name: '荔湾区' },
  ],
  enterprises: [{ id: 'ent-far', name: '远方化工FAR有限公司', regionCode: '440103' }],
  sites: [{ id: 'far-site', enterpriseId: 'ent-far', name: '远方罐区', type: 'hazchem', lat: 23.1, lon: 113.2 }],
  gateways: [{ id: 'gw-far', enterpriseId: 'ent-far', siteIds: ['far-site'] }],
  users: [{ username: 'far-operator', password: 'safeloop', name: '远方值班员', role: 'enterprise_operator', enterpriseId: 'ent-far' }],
});

export const RULES = {
  version: 1,
  rules: [
    ...TENANTS.map((t) => ({ id: `rule-${t.site}`, kind: 'limit', sites: [t.site], points: ['gd-*/conc'], limits: [{ level: 'GAS_1', direction: 'high', value: 25 }] })),
    { id: 'template-hazchem', kind: 'limit', siteTypes: ['hazchem'], points: ['gd-*/conc'], limits: [{ level: 'GAS_2', direction: 'high', value: 50 }] },
  ],
};

export interface SecurityStack {
  h: DbHandle;
  dir: string;
  clock: FakeClock;
  registry: Registry;
  alarms: AlarmService;
  hub: LiveHub;
  auth: AuthService;
  provisioning: ProvisioningParts;
  app: FastifyInstance;
  close(): Promise<void>;
}

export async function buildSecurityStack(kind: DbKind = 'sqlite'): Promise<SecurityStack> {
  const h = await openDb(kind);
  const dir = mkdtempSync(join(tmpdir(), 'safeloop-sec-'));
  try {
    const clock = new FakeClock();
    const registry = await seededRegistry(h.db, clock);
    await registry.applySeed(FAR_SEED);
    const hub = new LiveHub({ registry, logger });
    const webhooks = new WebhookOutbox({ db: h.db, clock, logger });
    await webhooks.migrate();
    const notifier = new NotificationDispatcher({ registry, liveHub: hub, logger, clock, siren: new RecordingSirenCommander(), webhooks });
    const metrics = new PromRegistry();
    const alarms = new AlarmService({ db: h.db, registry, notifier, logger, clock, metricsRegistry: metrics });
    await alarms.migrate();
    const auth = new AuthService({ db: h.db, users: registry.users, clock, secret: 'test-secret-test-secret-test-secret!!' });
    // The gateway's own schema is handed in by whoever composes the cloud (cloud/src never imports the gateway).
    const { checkGatewayConfig } = await import('@safeloop/gateway/config-check');
    const provisioning = await startProvisioning({ db: h.db, registry, alarms, clock, logger, dataDir: dir, brokerUrl: 'mqtt://127.0.0.1:1883', validateGatewayConfig: checkGatewayConfig });
    const rules = new RulesEngine({ logger, clock, sites: registry }, RULES as never);
    await rules.init(h.db);
    const telemetry: TelemetryReader = {
      latest: (q) => {
        const siteId = 'siteId' in q ? q.siteId : 'x';
        return Promise.resolve([{ point: `${siteId}/gd-1/conc`, siteId, gatewayId: 'gw', value: 3, unit: '%LEL', quality: 'good', reason: null, sourceTime: clock.now(), gatewayTime: clock.now(), eventId: '01J0000000000000000000000A', historical: false, stale: false, goodSince: clock.now(), timeSuspect: null }]);
      },
      history: (point) => Promise.resolve([{ point, minute: clock.now(), min: 1, max: 2, avg: 1.5, count: 60 }]),
    };
    const siteLayouts = new SiteLayoutStore({ db: h.db, now: () => clock.now() });
    await siteLayouts.migrate();
    // Every site has a plan image, so reading one is an ordinary 200 for those allowed.
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    for (const { id } of await h.db.query<{ id: string }>('SELECT id FROM sites')) await siteLayouts.putPlanImage(id, png, 'seed');
    const app = buildHttpServer({
      db: h.db,
      siteLayouts,
      registry,
      alarms,
      liveHub: hub,
      auth,
      metricsRegistry: metrics,
      telemetry,
      rules: { list: () => rules.ruleSet, put: (input: unknown, by: { username: string }) => rules.publish(h.db, input, by.username) },
      logger,
      clock,
      sseHeartbeatMs: 60_000,
      provisioning: provisioning.provisioning,
      remoteConfig: provisioning.remoteConfig,
      metricsToken: METRICS_TOKEN,
    });
    await app.ready();
    return {
      h,
      dir,
      clock,
      registry,
      alarms,
      hub,
      auth,
      provisioning,
      app,
      close: async () => {
        await app.close();
        await provisioning.stop();
        await h.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Another cloud worker on the same database: its own AuthService and HTTP server, nothing shared in memory. */
export async function secondWorker(s: SecurityStack): Promise<FastifyInstance> {
  const auth = new AuthService({ db: s.h.db, users: s.registry.users, clock: s.clock, secret: 'test-secret-test-secret-test-secret!!' });
  const app = buildHttpServer({ db: s.h.db, registry: s.registry, alarms: s.alarms, liveHub: s.hub, auth, metricsRegistry: new PromRegistry(), logger, clock: s.clock });
  await app.ready();
  return app;
}

export interface Session {
  username: string;
  token: string;
  call(method: string, url: string, body?: unknown): Promise<{ status: number; text: string; body: unknown; headers: Record<string, unknown> }>;
}

export async function call(app: FastifyInstance, method: string, url: string, token?: string, body?: unknown): Promise<{ status: number; text: string; body: unknown; headers: Record<string, unknown> }> {
  const res = await app.inject({
    method: method as 'GET',
    url,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    ...(body !== undefined ? { payload: body as object } : {}),
  });
  let parsed: unknown = res.body;
  try {
    parsed = JSON.parse(res.body) as unknown;
  } catch {
    /* text */
  }
  return { status: res.statusCode, text: res.body, body: parsed, headers: res.headers };
}

export async function session(app: FastifyInstance, username: string, password = 'safeloop'): Promise<Session> {
  const r = await call(app, 'POST', '/api/auth/login', undefined, { username, password });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${r.text}`);
  const token = (r.body as { token: string }).token;
  return { username, token, call: (method, url, body) => call(app, method, url, token, body) };
}

/** Give every tenant its objects; returns the tenants with ids filled in. */
export async function setupTenants(s: SecurityStack): Promise<Tenant[]> {
  const admin = await session(s.app, 'admin');
  const out: Tenant[] = [];
  for (const t of TENANTS) {
    const marker = `MARK-${t.site}-告警`;
    const { alarmId } = await s.alarms.raise({
      conditionKey: `limit:${t.site}/gd-1/conc:GAS_1`, siteId: t.site, point: `${t.site}/gd-1/conc`, origin: 'cloud', ruleId: `rule-${t.site}`, kind: 'point',
      level: 'GAS_1', title: marker, value: 30, inputs: {}, at: s.clock.now(),
    });
    for (const [action, body] of [['acknowledge', {}], ['start-handling', {}], ['feedback', { cause: marker, measures: 'm', result: 'r', disposition: 'handled', attachments: [{ name: 'p.png', mime: 'image/png', dataBase64: PNG }] }]] as const) {
      const r = await admin.call('POST', `/api/alarms/${alarmId}/${action}`, body);
      if (r.status !== 200) throw new Error(`setup ${action} ${t.site}: ${r.status} ${r.text}`);
    }
    const detail = (await admin.call('GET', `/api/alarms/${alarmId}`)).body as { feedback: { attachments: { id: string }[] }[] };
    const attachmentId = detail.feedback[0]?.attachments[0]?.id ?? '';
    const report = await admin.call('POST', `/api/sites/${t.site}/commissioning-reports`, commissioningBody(t.gateway, marker));
    if (report.status !== 201) throw new Error(`setup report ${t.site}: ${report.status} ${report.text}`);
    const made = await admin.call('POST', `/api/sites/${t.site}/claim-codes`, { ttlMinutes: 60 });
    if (made.status !== 201) throw new Error(`setup claim code ${t.site}: ${made.status} ${made.text}`);
    const codes = (await admin.call('GET', `/api/sites/${t.site}/claim-codes`)).body as { id: string }[];
    const cfg = await admin.call('PUT', `/api/gateways/${t.gateway}/config`, { config: gatewayConfig(t.gateway, t.site) });
    if (cfg.status !== 200) throw new Error(`setup config ${t.gateway}: ${cfg.status} ${cfg.text}`);
    const victimUsername = `victim-${t.key}`;
    const victimUserId = await s.registry.users.upsert({ username: victimUsername, password: 'safeloop', name: `VICTIM-${t.key}-受害者`, role: 'enterprise_operator', enterpriseId: t.enterprise });
    const victim = await session(s.app, victimUsername);
    const tok = await victim.call('POST', '/api/tokens', { name: `TOKEN-${t.key}`, ttlDays: 30 });
    if (tok.status !== 201) throw new Error(`setup token ${t.key}: ${tok.status} ${tok.text}`);
    out.push({
      ...t,
      alarmId,
      attachmentId,
      reportId: (report.body as { id: string }).id,
      claimCodeId: codes[0]?.id ?? '',
      victimUserId,
      victimUsername,
      tokenId: (tok.body as { id: string }).id,
      markers: [t.enterpriseName, marker, `rule-${t.site}`, `VICTIM-${t.key}`, `TOKEN-${t.key}`],
    });
  }
  return out;
}

export function commissioningBody(gatewayId: string, marker: string): unknown {
  return {
    technician: 'matrix',
    performedAt: 1_700_000_000_000,
    gatewayId,
    summary: { passed: true, note: marker },
    markdown: `# report ${marker}`,
    html: `<h1>${marker}</h1>`,
  };
}

export function gatewayConfig(gatewayId: string, siteId: string): unknown {
  return { gateway: { id: gatewayId, siteId }, uplink: { transport: 'mqtt', url: 'mqtt://127.0.0.1:1883', allowInsecure: true }, devices: [] };
}

/** A digest of every table that holds state (not the append-only logs that refused calls add to). */
export async function stateDigest(s: SecurityStack): Promise<string> {
  const tables = (await s.h.db.query<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")).map((r) => r.name);
  const skip = /(audit|refusal|security_events|login_failures|schema_migrations|revoked_sessions|stream_tickets|sqlite_sequence)/;
  const parts: string[] = [];
  for (const t of tables) {
    if (skip.test(t)) continue;
    const rows = await s.h.db.query(`SELECT * FROM "${t}" ORDER BY 1`);
    parts.push(`${t}:${JSON.stringify(rows, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.length : v))}`);
  }
  return parts.join('\n');
}
