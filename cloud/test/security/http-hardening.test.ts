/**
 * The HTTP surface an attacker probes before any route: odd paths, framework errors, headers, the
 * live stream's credentials, the metrics endpoint, and the trace that probing leaves.
 * Regression: `GET /%61pi/rules` with no token answered 200 with every tenant's rules, because the
 * authentication hook looked at the raw URL (`startsWith('/api/')`) and the router decoded it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { BURST_COUNT } from '../../src/auth/index.ts';
import { buildSecurityStack, call, METRICS_TOKEN, session, setupTenants } from './security-stack.ts';

function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1', () => sock.write(text));
    let out = '';
    sock.on('data', (d: Buffer) => (out += d.toString('utf8')));
    sock.on('end', () => resolve(out));
    sock.on('error', reject);
    sock.setTimeout(5000, () => sock.destroy(new Error('timeout')));
  });
}

test('paths are normalised or refused before routing; every error keeps the documented shape', async () => {
  const s = await buildSecurityStack('sqlite');
  try {
    const op = await session(s.app, 'far-operator');
    for (const url of ['/%61pi/rules', '/%61%70%69/rules', '/api/rule%73', '/%61pi/alarms/export.csv', '/%61pi/stream']) {
      const r = await call(s.app, 'GET', url);
      assert.equal(r.status, 401, `${url}: ${r.status} ${r.text}`);
      assert.equal((r.body as { error: { code: string } }).error.code, 'CLOUD_ERR_UNAUTHENTICATED');
    }
    const rules = await call(s.app, 'GET', '/%61pi/rules', op.token);
    assert.equal(rules.status, 200, 'a decoded spelling reaches the same route and the same policy');
    assert.ok(!rules.text.includes('rule-tank-farm') && rules.text.includes('rule-far-site') && rules.text.includes('template-hazchem'), rules.text);
    const long = await call(s.app, 'GET', `/api/sites/${'a'.repeat(500)}`, op.token);
    assert.equal(long.status, 414);
    assert.equal((long.body as { error: { code: string } }).error.code, 'CLOUD_ERR_URI_TOO_LONG');

    await s.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (s.app.server.address() as AddressInfo).port;
    // over a real socket: light-my-request resolves dot segments itself, a client on the network does not
    for (const url of ['//api/rules', '/api//rules', '/api/./rules', '/api/x/../rules', '/API/rules', '/Api/rules', '/api/%2e%2e/rules', '/api%2Frules', '/api/rules%00', '/api/%zz', '/api/rules%5c', '/api/./me']) {
      const r = await rawRequest(port, `GET ${url} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${op.token}\r\nConnection: close\r\n\r\n`);
      assert.match(r, /^HTTP\/1\.1 400 /, `${url}: ${r.slice(0, 200)}`);
      assert.match(r, /"code":"CLOUD_ERR_BAD_PATH"/, url);
    }
    const anonymous = await rawRequest(port, 'GET /%61pi/rules HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(anonymous, /^HTTP\/1\.1 401 /, 'the same over a socket');
    const malformed = await rawRequest(port, 'GET /api/me HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
    assert.match(malformed, /^HTTP\/1\.1 400 /);
    assert.match(malformed, /\{"error":\{"code":"CLOUD_ERR_BAD_REQUEST","message":"malformed HTTP request"\}\}/);
    const huge = await rawRequest(port, `GET /api/me HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.match(huge, /^HTTP\/1\.1 431 /);
    assert.match(huge, /"code":"CLOUD_ERR_HEADERS_TOO_LARGE"/);
  } finally {
    await s.close();
  }
});

test('security headers, no-store, metrics behind its token, no server paths in answers', async () => {
  const s = await buildSecurityStack('sqlite');
  try {
    const tenants = await setupTenants(s);
    const admin = await session(s.app, 'admin');
    const me = await admin.call('GET', '/api/me');
    assert.equal(me.headers['cache-control'], 'no-store');
    assert.equal(me.headers['x-frame-options'], 'DENY');
    assert.equal(me.headers['x-content-type-options'], 'nosniff');
    assert.equal(me.headers['referrer-policy'], 'no-referrer');
    const csp = String(me.headers['content-security-policy']);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/, 'no inline script allowed');
    assert.equal((await call(s.app, 'GET', '/api/me')).headers['cache-control'], 'no-store', 'errors too');
    const report = await admin.call('GET', `/api/sites/tank-farm/commissioning-reports/${tenants[0]?.reportId ?? ''}/html`);
    assert.match(String(report.headers['content-security-policy']), /^sandbox/, 'the report keeps its own, stricter policy');

    assert.equal((await call(s.app, 'GET', '/metrics')).status, 401);
    assert.equal((await call(s.app, 'GET', '/metrics', 'wrong-token')).status, 401);
    assert.equal((await call(s.app, 'GET', '/metrics', METRICS_TOKEN)).status, 200);
    assert.equal((await call(s.app, 'GET', '/metrics', admin.token)).status, 401, 'a user session is not the scrape token');

    const revoked = await admin.call('POST', '/api/gateways/gw-demo-01/revoke', { reason: 'stolen' });
    assert.equal(revoked.status, 200, revoked.text);
    assert.ok(!revoked.text.includes(s.dir) && !/crl/i.test(revoked.text), `no server file path: ${revoked.text}`);
    const code = await admin.call('POST', '/api/sites/tank-farm/claim-codes', {});
    assert.match((code.body as { caFingerprint: string }).caFingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  } finally {
    await s.close();
  }
});

test('refused object accesses are recorded with caller, route and object; a burst raises one security event for the administrators', async () => {
  const s = await buildSecurityStack('sqlite');
  try {
    const tenants = await setupTenants(s);
    const chem = tenants.find((t) => t.key === 'chem');
    assert.ok(chem);
    const prober = await session(s.app, 'other-operator');
    const admin = await session(s.app, 'admin');
    const heard: unknown[] = [];
    const adminId = ((await admin.call('GET', '/api/me')).body as { id: string }).id;
    const unsubscribe = s.hub.subscribe({ userId: adminId, scope: { kind: 'all' }, send: (event, data) => event === 'notification' && heard.push(data) });
    try {
      const r = await prober.call('GET', `/api/alarms/${chem.alarmId}`);
      assert.equal(r.status, 404);
      const refusals = (await admin.call('GET', '/api/access-refusals')).body as { username: string; route: string; object: string; status: number; method: string }[];
      assert.deepEqual(
        refusals.map((x) => [x.username, x.method, x.route, JSON.parse(x.object) as unknown, x.status]),
        [['other-operator', 'GET', '/api/alarms/:id', { id: chem.alarmId }, 404]],
      );
      assert.equal(((await admin.call('GET', '/api/security-events')).body as unknown[]).length, 0, 'one probe is not a burst');
      const urls = [`/api/alarms/${chem.alarmId}/acknowledge`, `/api/sites/${chem.site}`, `/api/gateways/${chem.gateway}/config`, `/api/sites/${chem.site}/commissioning-reports/${chem.reportId}`];
      for (let i = 1; i < BURST_COUNT + 5; i++) {
        const u = urls[i % urls.length] ?? '';
        await prober.call(u.endsWith('acknowledge') ? 'POST' : 'GET', u, u.endsWith('acknowledge') ? {} : undefined);
      }
      const events = (await admin.call('GET', '/api/security-events')).body as { kind: string; username: string; details: { refusals: number } }[];
      assert.equal(events.length, 1, 'one event per window, not one per refusal');
      assert.equal(events[0]?.kind, 'refusal-burst');
      assert.equal(events[0]?.username, 'other-operator');
      assert.equal(heard.length, 1, 'the administrator heard about it live');
      assert.equal((await prober.call('GET', '/api/security-events')).status, 403);
      const alarm = (await admin.call('GET', `/api/alarms/${chem.alarmId}`)).body as { audit: { actorName: string }[] };
      assert.ok(!alarm.audit.some((a) => a.actorName === 'other-operator'), 'an out-of-scope alarm’s own trail does not confirm it exists to anyone');
    } finally {
      unsubscribe();
    }
  } finally {
    await s.close();
  }
});

test('the live stream takes a single-use ticket, never the session token in the URL', async () => {
  const s = await buildSecurityStack('sqlite');
  try {
    await s.app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(s.app.server.address() as AddressInfo).port}`;
    const county = await session(s.app, 'county');
    assert.equal((await fetch(`${url}/api/stream?access_token=${county.token}`)).status, 401);
    const { ticket } = (await county.call('POST', '/api/stream/ticket')).body as { ticket: string };
    const ac = new AbortController();
    const res = await fetch(`${url}/api/stream?ticket=${ticket}`, { signal: ac.signal });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store, no-transform');
    const first = await res.body?.getReader().read();
    assert.match(Buffer.from(first?.value ?? new Uint8Array()).toString('utf8'), /connected as county/);
    ac.abort();
    assert.equal((await fetch(`${url}/api/stream?ticket=${ticket}`)).status, 401, 'a ticket opens one stream');
    const late = (await county.call('POST', '/api/stream/ticket')).body as { ticket: string };
    s.clock.advance(61_000);
    assert.equal((await fetch(`${url}/api/stream?ticket=${late.ticket}`)).status, 401, 'and only for a minute');
    assert.equal((await fetch(`${url}/api/stream?ticket=stt_forged`)).status, 401);
  } finally {
    await s.close();
  }
});
