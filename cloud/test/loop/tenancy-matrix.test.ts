/**
 * Broken object-level authorisation suite (RELIABILITY.md §5 item 6, F6): a generated matrix over
 * every endpoint that takes an id or a tenant filter — enterprise vs sibling enterprise, county vs
 * sibling county, city vs another city — for read, update and list. Denied calls answer 403/404 and
 * carry none of the victim's data; updates change nothing. Positive controls prove the matrix can fail.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { DB_KINDS } from './harness.ts';
import { buildStack, login, type Client, type Stack } from './stack.ts';

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(32, 1)]).toString('base64');

interface Victim {
  site: string;
  enterprise: string;
  enterpriseName: string;
  gateway: string;
  marker: string;
  alarmId: string;
  attachmentId: string;
}

const SITES = [
  { site: 'tank-farm', enterprise: 'ent-demo-chem', enterpriseName: '示例化工有限公司', gateway: 'gw-demo-01' },
  { site: 'tailings-pond', enterprise: 'ent-demo-mine', enterpriseName: '示例矿业有限公司', gateway: 'gw-demo-02' },
  { site: 'other-tanks', enterprise: 'ent-other-chem', enterpriseName: '青山湖化工有限公司', gateway: 'gw-other-01' },
];

/** Who may see what: caller → sites in their scope. */
const VISIBLE: Record<string, string[]> = {
  operator: ['tank-farm'],
  'mine-operator': ['tailings-pond'],
  'other-operator': ['other-tanks'],
  county: ['tank-farm', 'tailings-pond'],
  county2: ['other-tanks'],
  city: ['tank-farm', 'tailings-pond', 'other-tanks'],
  city2: [],
  province: ['tank-farm', 'tailings-pond', 'other-tanks'],
  tech: ['tank-farm', 'tailings-pond', 'other-tanks'],
};

type Call = { name: string; kind: 'read' | 'update' | 'list'; run: (c: Client, v: Victim) => Promise<{ status: number; text: string; body: unknown }> };

function calls(now: number): Call[] {
  const read = (name: string, url: (v: Victim) => string): Call => ({ name, kind: 'read', run: (c, v) => c.get(url(v)) });
  const list = (name: string, url: (v: Victim) => string): Call => ({ name, kind: 'list', run: (c, v) => c.get(url(v)) });
  const update = (action: string, body: unknown): Call => ({ name: `POST ${action}`, kind: 'update', run: (c, v) => c.post(`/api/alarms/${v.alarmId}/${action}`, body) });
  return [
    read('GET site', (v) => `/api/sites/${v.site}`),
    read('GET site latest', (v) => `/api/sites/${v.site}/latest`),
    read('GET point history', (v) => `/api/points/history?point=${v.site}/gd-1/conc&from=${now - 3_600_000}&to=${now}`),
    read('GET gateway', (v) => `/api/gateways/${v.gateway}`),
    read('GET alarm', (v) => `/api/alarms/${v.alarmId}`),
    read('GET assignees', (v) => `/api/alarms/${v.alarmId}/assignees`),
    read('GET attachment', (v) => `/api/alarms/${v.alarmId}/attachments/${v.attachmentId}`),
    update('acknowledge', {}),
    update('handover', { toUserId: 'nobody' }),
    update('start-handling', {}),
    update('feedback', { cause: 'a', measures: 'b', result: 'c', disposition: 'false_alarm' }),
    update('review', { approved: true, comment: 'x' }),
    update('close', {}),
    update('shelve', { reason: 'x', minutes: 10 }),
    update('suppress', { reason: 'x', minutes: 10 }),
    update('unshelve', {}),
    list('list alarms by site', (v) => `/api/alarms?state=all&siteId=${v.site}`),
    list('list alarms by enterprise', (v) => `/api/alarms?state=all&enterpriseId=${v.enterprise}`),
    list('list sites by enterprise', (v) => `/api/sites?enterpriseId=${v.enterprise}`),
    list('list alarm groups by site', (v) => `/api/alarm-groups?siteId=${v.site}`),
    list('export csv by site', (v) => `/api/alarms/export.csv?state=all&siteId=${v.site}`),
    list('stats by enterprise', (v) => `/api/stats?enterpriseId=${v.enterprise}`),
  ];
}

async function setup(s: Stack, admin: Client): Promise<Victim[]> {
  const victims: Victim[] = [];
  for (const x of SITES) {
    const marker = `MARK-${x.site}-告警`;
    const { alarmId } = await s.alarms.raise({
      conditionKey: `limit:${x.site}/gd-1/conc:GAS_1`, siteId: x.site, point: `${x.site}/gd-1/conc`, origin: 'cloud', ruleId: 'r', kind: 'point',
      level: 'GAS_1', title: marker, value: 30, inputs: {}, at: s.clock.now(),
    });
    for (const [action, body] of [['acknowledge', {}], ['start-handling', {}], ['feedback', { cause: marker, measures: 'm', result: 'r', disposition: 'handled', attachments: [{ name: 'p.png', mime: 'image/png', dataBase64: PNG }] }]] as const) {
      const r = await admin.post(`/api/alarms/${alarmId}/${action}`, body);
      assert.equal(r.status, 200, r.text);
    }
    const detail = (await admin.get(`/api/alarms/${alarmId}`)).body as { feedback: { attachments: { id: string }[] }[] };
    const attachmentId = detail.feedback[0]?.attachments[0]?.id ?? '';
    // a second, fresh alarm per site so that update calls have something in every state to try
    victims.push({ ...x, marker, alarmId, attachmentId });
  }
  return victims;
}

for (const kind of DB_KINDS) {
  describe(`tenancy matrix on ${kind}`, () => {
    test('every id-taking endpoint × sibling enterprise / county / city: denied without data; allowed where in scope', async () => {
      const s = await buildStack(kind);
      try {
        const admin = await login(s.app, 'admin');
        const victims = await setup(s, admin);
        const matrix = calls(s.clock.now());
        let denied = 0;
        let allowed = 0;
        for (const [username, visible] of Object.entries(VISIBLE)) {
          const c = await login(s.app, username);
          for (const v of victims) {
            const inScope = visible.includes(v.site);
            for (const call of matrix) {
              if (call.kind === 'update' && inScope) continue; // role/state rules covered elsewhere
              const before = await s.alarms.queries.get(v.alarmId, { kind: 'all' });
              const r = await call.run(c, v);
              const where = `${username} → ${v.site}: ${call.name}`;
              if (!inScope) {
                if (call.kind === 'list') {
                  assert.ok(r.status === 200 || r.status === 404 || r.status === 403, `${where}: ${r.status}`);
                  if (r.status === 200) {
                    const b = r.body as { items?: unknown[]; total?: unknown } | unknown[];
                    if (Array.isArray(b)) assert.equal(b.length, 0, where);
                    else if (b && typeof b === 'object' && 'items' in b) assert.equal(b.items?.length, 0, where);
                  }
                } else {
                  assert.ok(r.status === 404 || r.status === 403, `${where}: expected 403/404, got ${r.status} ${r.text.slice(0, 200)}`);
                }
                assert.ok(!r.text.includes(v.marker) && !r.text.includes(v.enterpriseName), `${where}: leaked victim data: ${r.text.slice(0, 300)}`);
                const after = await s.alarms.queries.get(v.alarmId, { kind: 'all' });
                assert.equal(after?.version, before?.version, `${where}: alarm changed`);
                denied++;
              } else if (call.kind !== 'update') {
                assert.equal(r.status, 200, `${where}: positive control ${r.status} ${r.text.slice(0, 200)}`);
                if (call.name === 'GET alarm' || call.name === 'export csv by site' || call.name === 'list alarms by site') assert.ok(r.text.includes(v.marker), `${where}: data missing`);
                allowed++;
              }
            }
          }
        }
        assert.ok(denied > 250 && allowed > 80, `matrix size: ${denied} denied, ${allowed} allowed`);
      } finally {
        await s.close();
      }
    });

    test('roles, mass assignment, page size cap, authentication', async () => {
      const s = await buildStack(kind);
      try {
        const [operator, tech, county, admin] = await Promise.all(['operator', 'tech', 'county', 'admin'].map((u) => login(s.app, u)));
        assert.ok(operator && tech && county && admin);
        const { alarmId } = await s.alarms.raise({
          conditionKey: 'limit:tank-farm/gd-9/conc:GAS_1', siteId: 'tank-farm', point: 'tank-farm/gd-9/conc', origin: 'cloud', ruleId: 'r', kind: 'point',
          level: 'GAS_1', title: 't', value: 30, inputs: {}, at: s.clock.now(),
        });
        assert.equal((await tech.post(`/api/alarms/${alarmId}/acknowledge`, {})).status, 403, 'technicians read, they do not acknowledge');
        assert.equal((await county.post(`/api/alarms/${alarmId}/acknowledge`, {})).status, 403, 'monitors supervise, the enterprise acknowledges');
        // mass-assigned tenant and state fields are ignored
        const r = await operator.post(`/api/alarms/${alarmId}/acknowledge`, { note: 'ok', enterpriseId: 'ent-other-chem', regionCode: '36', siteId: 'other-tanks', state: 'closed', escalationLevel: 0 });
        assert.equal(r.status, 200, r.text);
        const a = await s.alarms.queries.get(alarmId, { kind: 'all' });
        assert.equal(a?.enterpriseId, 'ent-demo-chem');
        assert.equal(a?.regionCode, '360102');
        assert.equal(a?.siteId, 'tank-farm');
        assert.equal(a?.state, 'acknowledged');
        // users: admin only
        assert.equal((await operator.get('/api/users')).status, 403);
        assert.equal((await county.post('/api/users', { username: 'x1', password: 'Long-enough-1', name: 'x', role: 'admin' })).status, 403);
        const created = await admin.post('/api/users', { username: 'op2', password: 'Long-enough-2', name: '新值班员', role: 'enterprise_operator', enterpriseId: 'ent-demo-chem' });
        assert.equal(created.status, 201, created.text);
        assert.ok(!created.text.includes('password'), 'no hash in the answer');
        assert.equal((await admin.post('/api/users', { username: 'op3', password: 'Long-enough-2', name: 'x', role: 'enterprise_operator' })).status, 400, 'an operator needs an enterprise');
        // page size capped
        const page = (await operator.get('/api/alarms?state=all&pageSize=100000')).body as { pageSize: number };
        assert.equal(page.pageSize, 200);
        // authentication
        assert.equal((await s.app.inject({ method: 'GET', url: '/api/alarms' })).statusCode, 401);
        const forged = `${operator.token.slice(0, -2)}xx`;
        assert.equal((await s.app.inject({ method: 'GET', url: '/api/alarms', headers: { authorization: `Bearer ${forged}` } })).statusCode, 401);
        const leaving = await login(s.app, 'manager');
        assert.equal((await leaving.get('/api/me')).status, 200);
        assert.equal((await leaving.post('/api/auth/logout')).status, 204);
        assert.equal((await leaving.get('/api/me')).status, 401, 'logged-out session refused');
        assert.equal((await operator.get('/api/me')).status, 200, 'other sessions unaffected');
        s.clock.advance(13 * 3_600_000);
        assert.equal((await operator.get('/api/me')).status, 401, 'session tokens expire');
        const wrong = await s.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'operator', password: 'nope' } });
        assert.equal(wrong.statusCode, 401);
        assert.deepEqual(wrong.json(), { error: { code: 'CLOUD_ERR_UNAUTHENTICATED', message: 'wrong username or password' } });
        // API tokens for integrations
        const admin2 = await login(s.app, 'county');
        const tok = await admin2.post('/api/tokens', { name: 'county-dashboard', ttlDays: 90 });
        assert.equal(tok.status, 201);
        const apiToken = (tok.body as { token: string }).token;
        const viaToken = await s.app.inject({ method: 'GET', url: `/api/alarms/${alarmId}`, headers: { authorization: `Bearer ${apiToken}` } });
        assert.equal(viaToken.statusCode, 200);
        await s.auth.revokeApiToken((tok.body as { id: string }).id);
        assert.equal((await s.app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${apiToken}` } })).statusCode, 401);
      } finally {
        await s.close();
      }
    });
  });
}
