/**
 * Channels and the HTTP surface on a real port: SSE live push scoped per user, signed webhooks with
 * retries and backoff from a persisted outbox, a failing SMS provider that blocks neither the other
 * channels nor the lifecycle, health, metrics and the OpenAPI document.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature, webhookBackoffMs } from '../../src/notify/index.ts';
import { buildStack, login, METRICS_TOKEN } from './stack.ts';

async function readSse(url: string, token: string, until: (events: { event: string; data: unknown }[]) => boolean, act: () => Promise<void>): Promise<{ event: string; data: unknown }[]> {
  const ac = new AbortController();
  // Browsers cannot send the header to EventSource: they trade the session for a single-use ticket.
  const t = await fetch(`${url}/api/stream/ticket`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  assert.equal(t.status, 201);
  const { ticket } = (await t.json()) as { ticket: string };
  const res = await fetch(`${url}/api/stream?ticket=${encodeURIComponent(ticket)}`, { signal: ac.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const reader = res.body?.getReader();
  assert.ok(reader);
  const events: { event: string; data: unknown }[] = [];
  let buf = '';
  const first = await reader.read(); // ": connected"
  buf += Buffer.from(first.value ?? new Uint8Array()).toString('utf8');
  await act();
  const deadline = Date.now() + 5_000;
  while (!until(events) && Date.now() < deadline) {
    const chunk = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), 500))]);
    if (chunk && chunk.value) buf += Buffer.from(chunk.value).toString('utf8');
    let idx;
    while ((idx = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, idx);
      buf = buf.slice(idx + 2);
      const ev = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (ev && data) events.push({ event: ev, data: JSON.parse(data) as unknown });
    }
  }
  ac.abort();
  await reader.cancel().catch(() => undefined);
  return events;
}

describe('notifications and HTTP surface (sqlite)', () => {
  test('SSE: alarm and latest events reach users in scope only', async () => {
    const s = await buildStack('sqlite');
    try {
      await s.app.listen({ port: 0, host: '127.0.0.1' });
      const url = `http://127.0.0.1:${(s.app.server.address() as AddressInfo).port}`;
      const [county, county2] = await Promise.all([login(s.app, 'county'), login(s.app, 'county2')]);
      const act = async (): Promise<void> => {
        await s.alarms.raise({ conditionKey: 'k1', siteId: 'tank-farm', point: 'tank-farm/gd-1/conc', origin: 'cloud', ruleId: 'r', kind: 'point', level: 'GAS_2', title: 'SSE-MARK', value: 60, inputs: {}, at: s.clock.now() });
        s.hub.publishLatest([{ point: 'tank-farm/gd-1/conc', value: 60, unit: '%LEL', quality: 'good', sourceTime: s.clock.now(), gatewayTime: s.clock.now() }]);
      };
      const mine = await readSse(url, county.token, (e) => e.some((x) => x.event === 'latest') && e.some((x) => x.event === 'alarm'), act);
      assert.ok(mine.some((e) => e.event === 'alarm' && (e.data as { title: string }).title === 'SSE-MARK'));
      assert.ok(mine.some((e) => e.event === 'latest' && (e.data as { siteId: string }).siteId === 'tank-farm'));
      const theirs = await readSse(url, county2.token, () => false, async () => {
        await s.alarms.raise({ conditionKey: 'k2', siteId: 'tank-farm', point: 'tank-farm/gd-2/conc', origin: 'cloud', ruleId: 'r', kind: 'point', level: 'GAS_1', title: 'SSE-MARK-2', value: 30, inputs: {}, at: s.clock.now() });
        s.hub.publishLatest([{ point: 'tank-farm/gd-2/conc', value: 30, quality: 'good', sourceTime: s.clock.now(), gatewayTime: s.clock.now() }]);
      });
      assert.deepEqual(theirs, [], 'another county hears nothing');
      assert.equal((await fetch(`${url}/api/stream`)).status, 401);
      assert.equal((await fetch(`${url}/api/stream?access_token=${encodeURIComponent(county.token)}`)).status, 401, 'the session token is never taken from the URL');
      assert.equal(s.hub.clientCount, 0, 'closed streams unsubscribe');
    } finally {
      await s.close();
    }
  });

  test('webhooks are signed, retried with backoff, delivered once; a failing SMS provider blocks nothing', async () => {
    const s = await buildStack('sqlite');
    const received: { headers: IncomingMessage['headers']; body: string }[] = [];
    let failFirst = 2;
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        if (failFirst-- > 0) {
          res.writeHead(503).end();
          return;
        }
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    try {
      const port = (hook.address() as AddressInfo).port;
      await s.webhooks.addSubscription({ url: `http://127.0.0.1:${port}/hook`, secret: 'whsec-county', regionCode: '360102' });
      await s.webhooks.addSubscription({ url: `http://127.0.0.1:${port}/other`, secret: 'whsec-other', regionCode: '360111' });
      s.aliyun.fail('error', 1);
      s.wecom.fail('error', 1);
      const { alarmId } = await s.alarms.raise({ conditionKey: 'w1', siteId: 'tank-farm', point: 'tank-farm/gd-1/conc', origin: 'cloud', ruleId: 'r', kind: 'point', level: 'GAS_2', title: 'WEBHOOK', value: 60, inputs: {}, at: s.clock.now() });
      const a = await s.alarms.queries.get(alarmId, { kind: 'all' });
      assert.equal(a?.state, 'push_failed', 'nobody reached: push_failed, and the lifecycle moved on');
      const trail = await s.alarms.queries.audit(alarmId);
      const failed = trail.find((e) => e.action === 'push_failed');
      assert.ok(JSON.stringify(failed?.details.failures).includes('ServiceUnavailable'), 'the failure is recorded');
      assert.deepEqual(failed?.details.recipients, ['operator']);

      assert.equal(await s.webhooks.deliverDue(), 1, 'only the subscription whose region holds the alarm');
      assert.equal(received.length, 0);
      let st = await s.webhooks.status();
      assert.deepEqual(st, [{ status: 'pending', n: 1 }]);
      assert.equal(await s.webhooks.deliverDue(), 0, 'not before the backoff');
      s.clock.advance(webhookBackoffMs(1));
      assert.equal(await s.webhooks.deliverDue(), 1);
      s.clock.advance(webhookBackoffMs(2));
      assert.equal(await s.webhooks.deliverDue(), 1);
      assert.equal(received.length, 1);
      s.clock.advance(3_600_000);
      assert.equal(await s.webhooks.deliverDue(), 0, 'delivered once');
      st = await s.webhooks.status();
      assert.deepEqual(st, [{ status: 'delivered', n: 1 }]);
      const got = received[0];
      assert.ok(got);
      const ts = Number(got.headers['x-safeloop-timestamp']);
      const sig = String(got.headers['x-safeloop-signature']);
      assert.equal(verifyWebhookSignature('whsec-county', ts, sig, got.body, ts + 1000), true);
      assert.equal(verifyWebhookSignature('whsec-other', ts, sig, got.body, ts), false);
      assert.equal(verifyWebhookSignature('whsec-county', ts, sig, got.body.replace('WEBHOOK', 'FORGED'), ts), false);
      assert.equal(verifyWebhookSignature('whsec-county', ts, sig, got.body, ts + 3_600_000), false, 'stale timestamps refused');
      assert.equal((JSON.parse(got.body) as { alarm: { title: string } }).alarm.title, 'WEBHOOK');
    } finally {
      await new Promise<void>((r) => hook.close(() => r()));
      await s.close();
    }
  });

  test('health, metrics, OpenAPI from the zod schemas, error shape', async () => {
    const s = await buildStack('sqlite');
    try {
      assert.deepEqual((await s.app.inject({ method: 'GET', url: '/healthz' })).json(), { ok: true });
      assert.equal((await s.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401, 'metrics need the scrape token');
      const m = await s.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      assert.match(m.body, /safeloop_alarms_raised_total 0/);
      const doc = (await s.app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as { openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { required?: string[] } }> } }>> };
      assert.equal(doc.openapi, '3.0.3');
      for (const p of ['/api/alarms', '/api/alarms/{id}', '/api/alarms/{id}/feedback', '/api/sites', '/api/stats', '/api/auth/login', '/api/points/history']) {
        assert.ok(doc.paths[p], `OpenAPI lists ${p}`);
      }
      const fb = doc.paths['/api/alarms/{id}/feedback']?.post?.requestBody?.content['application/json']?.schema.required;
      assert.deepEqual(fb?.sort(), ['cause', 'disposition', 'measures', 'result']);
      const op = await login(s.app, 'operator');
      const bad = await op.get('/api/alarms?level=PURPLE');
      assert.equal(bad.status, 400);
      assert.equal((bad.body as { error: { code: string } }).error.code, 'CLOUD_ERR_VALIDATION');
      assert.match((bad.body as { error: { message: string } }).error.message, /level/);
      const missing = await op.get('/api/alarms/01ARZ3NDEKTSV4RRFFQ69G5FAV');
      assert.deepEqual(missing.body, { error: { code: 'CLOUD_ERR_NOT_FOUND', message: 'alarm 01ARZ3NDEKTSV4RRFFQ69G5FAV not found' } });
    } finally {
      await s.close();
    }
  });
});
