/**
 * Done-when test for issue 6: the whole loop through the real HTTP server on SQLite and PostgreSQL.
 * A gas leak raises an alarm (AlarmSink), the operator acknowledges and hands it over, the timer
 * escalates an ignored second alarm to the county, feedback is submitted, the county reviews and
 * closes, and the audit trail shows every step. Also E1, E3, E4, E8.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { AlarmConditionInput } from '../../src/alarms/index.ts';
import { DB_KINDS, type FakeClock } from './harness.ts';
import { buildStack, login, METRICS_TOKEN } from './stack.ts';

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 7)]);

function gasLeak(clock: FakeClock, detector: string, level: 'GAS_1' | 'GAS_2'): AlarmConditionInput {
  const point = `tank-farm/${detector}/conc`;
  return {
    conditionKey: `limit:${point}:${level}`,
    siteId: 'tank-farm',
    point,
    origin: 'cloud',
    ruleId: `limit-${detector}`,
    kind: 'point',
    level,
    title: `罐区可燃气体泄漏 ${detector} ${level}`,
    value: level === 'GAS_2' ? 55 : 27,
    limit: level === 'GAS_2' ? 50 : 25,
    unit: '%LEL',
    inputs: { [point]: level === 'GAS_2' ? 55 : 27 },
    at: clock.now(),
  };
}

type AlarmBody = { id: string; state: string; condition: string; escalationLevel: number; audit: { action: string; outcome: string; actorName: string; actorRole: string; sourceIp: string | null }[]; feedback: { cause: string; attachments: { id: string; mime: string }[] }[] };

for (const kind of DB_KINDS) {
  describe(`full loop on ${kind}`, () => {
    test('gas leak → ack → handover → escalation → feedback → review → close, audited', async () => {
      const s = await buildStack(kind);
      try {
        const [operator, manager, county, county2, admin] = await Promise.all(['operator', 'manager', 'county', 'county2', 'admin'].map((u) => login(s.app, u)));
        assert.ok(operator && manager && county && county2 && admin);
        const events: string[] = [];
        s.hub.subscribe({ userId: 'watcher', scope: { kind: 'region', regionCode: '360102' }, send: (e, d) => events.push(`${e}:${(d as { state?: string }).state ?? ''}`) });

        // 1. the gas leak
        const leak = await s.alarms.raise(gasLeak(s.clock, 'gd-1', 'GAS_2'));
        const list = await operator.get('/api/alarms?state=open');
        assert.equal(list.status, 200);
        const items = (list.body as { items: { id: string; state: string }[]; total: number }).items;
        assert.deepEqual(items.map((i) => [i.id, i.state]), [[leak.alarmId, 'pushed']]);
        const paged = s.aliyun.accepted.find((r) => r.params.Action === 'SendSms' && r.params.PhoneNumbers === '13800000001');
        assert.ok(paged, 'the on-duty operator was paged by SMS');
        assert.match(paged.params.TemplateParam ?? '', /二级报警.*tank-farm\/gd-1\/conc.*55%LEL/);
        assert.ok(events.includes('alarm:pushed'), 'live push to dashboards in scope');

        // 2. acknowledge and hand over
        const ack = await operator.post(`/api/alarms/${leak.alarmId}/acknowledge`, { note: '已到现场' }, '10.1.2.3');
        assert.equal(ack.status, 200, ack.text);
        assert.deepEqual(s.siren.sent.map((c) => [c.gatewayId, c.action]), [['gw-demo-01', 'silence']]);
        const assignees = (await operator.get(`/api/alarms/${leak.alarmId}/assignees`)).body as { id: string; username: string }[];
        assert.deepEqual(assignees.map((u) => u.username).sort(), ['manager', 'operator', 'principal']);
        const managerId = assignees.find((u) => u.username === 'manager')?.id;
        assert.ok(managerId);
        const ho = await operator.post(`/api/alarms/${leak.alarmId}/handover`, { toUserId: managerId, note: '交技术负责人处理' });
        assert.equal(ho.status, 200, ho.text);
        assert.equal((await manager.post(`/api/alarms/${leak.alarmId}/start-handling`, {})).status, 200);
        s.clock.advance(5 * 60_000);
        await s.alarms.clear({ conditionKey: gasLeak(s.clock, 'gd-1', 'GAS_2').conditionKey, at: s.clock.now(), value: 2 });

        // 3. a second alarm nobody looks at climbs to the county
        const ignored = await s.alarms.raise(gasLeak(s.clock, 'gd-2', 'GAS_1'));
        assert.equal((await county.get(`/api/alarms/${ignored.alarmId}`)).status, 200, 'the county sees its region');
        s.clock.advance(31 * 60_000);
        await s.scheduler.tick(s.clock.now());
        const esc = (await county.get(`/api/alarms/${ignored.alarmId}`)).body as AlarmBody;
        assert.equal(esc.escalationLevel, 3);
        assert.equal(esc.state, 'pushed');
        assert.ok(esc.audit.some((e) => e.action === 'escalated'));
        assert.ok(s.aliyun.accepted.some((r) => r.params.Action === 'SendSms' && r.params.PhoneNumbers === '13800000010'), 'the county monitor was paged');
        const metrics = (await s.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).body;
        assert.match(metrics, /safeloop_alarm_escalations_total\{level="3"\} 1\n/);
        assert.match(metrics, /safeloop_alarms_raised_total 2\n/);

        // E8: closing an active alarm without feedback is refused and changes nothing
        const early = await county.post(`/api/alarms/${ignored.alarmId}/close`, {});
        assert.equal(early.status, 409);
        assert.equal((early.body as { error: { code: string } }).error.code, 'CLOUD_ERR_ALARM_ACTIVE');
        assert.equal(((await county.get(`/api/alarms/${ignored.alarmId}`)).body as AlarmBody).state, 'pushed');

        // E3: parallel acknowledgements of the ignored alarm → exactly one transition
        const racers = await Promise.all(Array.from({ length: 20 }, (_v, i) => (i % 2 ? operator : manager).post(`/api/alarms/${ignored.alarmId}/acknowledge`, {})));
        assert.equal(racers.filter((r) => r.status === 200).length, 1);
        assert.ok(racers.filter((r) => r.status !== 200).every((r) => r.status === 409 && r.text.includes('CLOUD_ERR_ALREADY_ACKNOWLEDGED')));

        // 4. the leak (handled and cleared, so it did not escalate) gets its feedback with a photo
        assert.equal(((await county.get(`/api/alarms/${leak.alarmId}`)).body as AlarmBody).escalationLevel, 0);
        const badPhoto = await manager.post(`/api/alarms/${leak.alarmId}/feedback`, {
          cause: 'x', measures: 'y', result: 'z', disposition: 'handled', attachments: [{ name: 'a.png', mime: 'image/png', dataBase64: Buffer.from('not a png').toString('base64') }],
        });
        assert.equal(badPhoto.status, 400, 'type-checked attachment');
        const fb = await manager.post(`/api/alarms/${leak.alarmId}/feedback`, {
          cause: '2号储罐法兰垫片老化泄漏',
          measures: '关闭进料阀，更换垫片，现场通风',
          result: '浓度降至 2 %LEL，恢复正常',
          disposition: 'handled',
          attachments: [{ name: '现场.png', mime: 'image/png', dataBase64: PNG.toString('base64') }],
        });
        assert.equal(fb.status, 200, fb.text);

        // 5. GAS_2 needs the county's review; the operator cannot close yet, another county cannot see it
        const tooSoon = await operator.post(`/api/alarms/${leak.alarmId}/close`, {});
        assert.equal(tooSoon.status, 409);
        assert.ok(tooSoon.text.includes('CLOUD_ERR_REVIEW_REQUIRED'));
        assert.equal((await manager.post(`/api/alarms/${leak.alarmId}/review`, { approved: true, comment: 'ok' })).status, 403);
        assert.equal((await county2.post(`/api/alarms/${leak.alarmId}/review`, { approved: true, comment: 'ok' })).status, 404);
        assert.equal((await county.post(`/api/alarms/${leak.alarmId}/review`, { approved: true, comment: '现场核查属实，措施到位' }, '172.16.0.9')).status, 200);
        const closed = await county.post(`/api/alarms/${leak.alarmId}/close`, { note: '闭环' });
        assert.equal(closed.status, 200, closed.text);
        assert.deepEqual(s.siren.sent.map((c) => c.action), ['silence', 'silence', 'reset']);

        // 6. the audit trail shows every step, who, role and where from (after the feedback: the county told to review)
        const detail = (await county.get(`/api/alarms/${leak.alarmId}`)).body as AlarmBody;
        assert.equal(detail.state, 'closed');
        assert.deepEqual(
          detail.audit.filter((e) => e.outcome === 'ok').map((e) => `${e.action}/${e.actorName}`),
          ['raised/cloud', 'pushed/notifier', 'acknowledge/operator', 'handover/operator', 'start-handling/manager', 'cleared/rules', 'feedback/manager', 'notified/system', 'review/county', 'close/county'],
        );
        assert.deepEqual(detail.audit.filter((e) => e.outcome === 'rejected').map((e) => `${e.action}/${e.actorName}`), ['close/operator', 'review/manager']);
        const ackEntry = detail.audit.find((e) => e.action === 'acknowledge') as unknown as { sourceIp: string; details: { changed: Record<string, { from: unknown; to: unknown }> } };
        assert.equal(ackEntry.sourceIp, '10.1.2.3');
        assert.deepEqual(ackEntry.details.changed.state, { from: 'pushed', to: 'acknowledged' });
        assert.deepEqual(ackEntry.details.changed.ackedBy, { from: null, to: 'operator' });
        assert.equal(detail.audit.find((e) => e.action === 'review' && e.outcome === 'ok')?.actorRole, 'county_monitor');
        const photo = detail.feedback[0]?.attachments[0];
        assert.ok(photo);
        const file = await s.app.inject({ method: 'GET', url: `/api/alarms/${leak.alarmId}/attachments/${photo.id}`, headers: { authorization: `Bearer ${county.token}` } });
        assert.equal(file.statusCode, 200);
        assert.deepEqual(file.rawPayload, PNG);
        // no API edits the trail
        for (const method of ['PUT', 'PATCH', 'DELETE'] as const) {
          const edit: { statusCode: number } = await s.app.inject({ method, url: `/api/alarms/${leak.alarmId}`, headers: { authorization: `Bearer ${admin.token}` } });
          assert.equal(edit.statusCode, 404);
        }

        // reports
        const csv = await county.get('/api/alarms/export.csv?state=all');
        assert.equal(csv.status, 200);
        assert.ok(csv.text.includes('2号储罐法兰垫片老化泄漏'));
        const stats = (await county.get(`/api/stats?from=${s.clock.now() - 86_400_000}&to=${s.clock.now() + 1}`)).body as { total: number; meanTimeToAcknowledgeSec: number; feedbackCompletionRate: number };
        assert.equal(stats.total, 2);
        assert.equal(stats.feedbackCompletionRate, 1);
        assert.ok(stats.meanTimeToAcknowledgeSec >= 0);
      } finally {
        await s.close();
      }
    });

    test('E1 cleared before ack stays listed; E4 shelve expiry re-annunciates through the API', async () => {
      const s = await buildStack(kind);
      try {
        const [operator, manager] = await Promise.all([login(s.app, 'operator'), login(s.app, 'manager')]);
        const a = await s.alarms.raise(gasLeak(s.clock, 'gd-7', 'GAS_1'));
        s.clock.advance(30_000);
        await s.alarms.clear({ conditionKey: gasLeak(s.clock, 'gd-7', 'GAS_1').conditionKey, at: s.clock.now() });
        const listed = (await operator.get('/api/alarms')).body as { items: { id: string; state: string; condition: string }[] };
        assert.deepEqual(listed.items.map((i) => [i.id, i.state, i.condition]), [[a.alarmId, 'pushed', 'cleared']]);
        const trail = ((await operator.get(`/api/alarms/${a.alarmId}`)).body as AlarmBody).audit.map((e) => e.action);
        assert.deepEqual(trail, ['raised', 'pushed', 'cleared']);
        assert.equal((await operator.post(`/api/alarms/${a.alarmId}/acknowledge`, {})).status, 200);

        const b = await s.alarms.raise(gasLeak(s.clock, 'gd-8', 'GAS_1'));
        assert.equal((await operator.post(`/api/alarms/${b.alarmId}/shelve`, { reason: '检修', minutes: 15 })).status, 403, 'operators do not shelve');
        assert.equal((await manager.post(`/api/alarms/${b.alarmId}/shelve`, { reason: '传感器检修', minutes: 15 })).status, 200);
        assert.equal((await manager.post(`/api/alarms/${b.alarmId}/shelve`, { reason: 'x', minutes: 100_000 })).status, 400, 'maximum shelve time enforced');
        s.clock.advance(16 * 60_000);
        await s.scheduler.tick(s.clock.now());
        const after = (await operator.get(`/api/alarms/${b.alarmId}`)).body as AlarmBody & { shelveKind: string | null };
        assert.equal(after.shelveKind, null);
        assert.equal(after.state, 'pushed');
        assert.ok(after.audit.some((e) => e.action === 'shelve_expired'));
        assert.ok(after.audit.some((e) => e.action === 'notified'));
      } finally {
        await s.close();
      }
    });
  });
}
