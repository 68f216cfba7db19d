/**
 * Done-when tests for the notification side (issue 14), on SQLite and PostgreSQL: a 二级 gas alarm
 * pages the on-duty operator by SMS and the 企业微信 group robot and, unacknowledged after the
 * configured time, by a voice call — each attempt a delivery record the API shows; with every
 * provider failing the alarm is push_failed, retried with backoff, escalates, and becomes pushed
 * only once a retry reaches somebody.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { AlarmConditionInput } from '../../src/alarms/index.ts';
import { DB_KINDS, type FakeClock } from '../loop/harness.ts';
import { buildStack, login } from '../loop/stack.ts';

function gas(clock: FakeClock, detector: string, level: 'GAS_1' | 'GAS_2'): AlarmConditionInput {
  const point = `tank-farm/${detector}/conc`;
  return {
    conditionKey: `limit:${point}:${level}`, siteId: 'tank-farm', point, origin: 'edge', ruleId: 'edge-limit', kind: 'point', level,
    title: `可燃气体 ${detector} ${level}`, value: level === 'GAS_2' ? 56 : 28, limit: level === 'GAS_2' ? 50 : 25, unit: '%LEL', inputs: {}, at: clock.now(),
  };
}

type Delivery = { channel: string; recipient: string; address: string; attempt: number; status: string; providerMessageId: string | null; error: string | null; dueAt: number | null; people?: string[] };
type Deliveries = { state: string; deliveries: Delivery[] };

for (const kind of DB_KINDS) {
  describe(`deliveries on ${kind}`, () => {
    test('二级: SMS + 企业微信 to the on-duty operator, a voice call when unacknowledged, records in the API', async () => {
      const s = await buildStack(kind);
      try {
        const [operator, county2] = await Promise.all([login(s.app, 'operator'), login(s.app, 'county2')]);
        const { alarmId } = await s.alarms.raise(gas(s.clock, 'gd-1', 'GAS_2'));
        let d = (await operator.get(`/api/alarms/${alarmId}/deliveries`)).body as Deliveries;
        assert.equal(d.state, 'pushed');
        const sms = d.deliveries.find((x) => x.channel === 'sms');
        assert.deepEqual([sms?.recipient, sms?.address, sms?.status, sms?.attempt], ['operator', '138****0001', 'sent', 1]);
        assert.match(sms?.providerMessageId ?? '', /\^0$/, 'the provider BizId is kept');
        const robot = d.deliveries.find((x) => x.channel === 'wecom');
        assert.deepEqual([robot?.recipient, robot?.status, robot?.people], ['群:chem-duty', 'sent', ['operator']]);
        const wecomBody = s.wecom.accepted[0]?.body as { text: { content: string; mentioned_mobile_list: string[]; mentioned_list: string[] } };
        assert.deepEqual(wecomBody.text.mentioned_mobile_list, ['13800000001']);
        assert.deepEqual(wecomBody.text.mentioned_list, ['wang.operator']);
        assert.match(wecomBody.text.content, /二级报警[\s\S]*示例化工[\s\S]*https:\/\/safeloop\.example\.gov\.cn\/#\/alarms\//);
        const voice = d.deliveries.find((x) => x.channel === 'voice');
        assert.deepEqual([voice?.status, voice?.dueAt], ['scheduled', s.clock.now() + 180_000], 'the call waits for the acknowledgement time');
        assert.equal(s.aliyun.accepted.filter((r) => r.params.Action === 'SingleCallByTts').length, 0);

        s.clock.advance(170_000);
        assert.equal(await s.notify.engine.processDue(), 0, 'not yet');
        s.clock.advance(11_000);
        assert.equal(await s.notify.engine.processDue(), 1);
        const call = s.aliyun.accepted.find((r) => r.params.Action === 'SingleCallByTts');
        assert.equal(call?.params.CalledNumber, '13800000001', 'escalated to a voice call');
        d = (await operator.get(`/api/alarms/${alarmId}/deliveries`)).body as Deliveries;
        assert.deepEqual(d.deliveries.filter((x) => x.channel === 'voice').map((x) => [x.status, x.providerMessageId]), [['sent', call ? `${s.aliyun.accepted.indexOf(call) + 1}^100` : '']]);
        assert.equal((await county2.get(`/api/alarms/${alarmId}/deliveries`)).status, 404, 'another county cannot see who was paged');

        // acknowledged in time: the call is not made
        const second = await s.alarms.raise(gas(s.clock, 'gd-2', 'GAS_2'));
        assert.equal((await operator.post(`/api/alarms/${second.alarmId}/acknowledge`, {})).status, 200);
        s.clock.advance(181_000);
        await s.notify.engine.processDue();
        d = (await operator.get(`/api/alarms/${second.alarmId}/deliveries`)).body as Deliveries;
        assert.deepEqual(d.deliveries.filter((x) => x.channel === 'voice').map((x) => x.status), ['cancelled']);
        assert.equal(s.aliyun.accepted.filter((r) => r.params.Action === 'SingleCallByTts').length, 1);
      } finally {
        await s.close();
      }
    });

    test('every provider failing: push_failed, retried with backoff, escalates; pushed only when a retry reaches somebody', async () => {
      const s = await buildStack(kind);
      try {
        const operator = await login(s.app, 'operator');
        s.aliyun.fail('error');
        s.wecom.fail('throttle');
        const { alarmId } = await s.alarms.raise(gas(s.clock, 'gd-3', 'GAS_1'));
        let d = (await operator.get(`/api/alarms/${alarmId}/deliveries`)).body as Deliveries;
        assert.equal(d.state, 'push_failed');
        assert.deepEqual(
          d.deliveries.map((x) => [x.channel, x.attempt, x.status]).sort(),
          [['sms', 1, 'failed'], ['sms', 2, 'scheduled'], ['wecom', 1, 'throttled'], ['wecom', 2, 'scheduled']],
        );
        const due = Object.fromEntries(d.deliveries.filter((x) => x.status === 'scheduled').map((x) => [x.channel, (x.dueAt ?? 0) - s.clock.now()]));
        assert.deepEqual(due, { sms: 30_000, wecom: 120_000 }, 'backoff per channel; throttling waits longer');
        assert.match(d.deliveries.find((x) => x.status === 'failed')?.error ?? '', /ServiceUnavailable/);

        s.clock.advance(30_000);
        assert.equal(await s.notify.engine.processDue(), 1);
        s.clock.advance(16 * 60_000);
        await s.notify.engine.processDue();
        await s.scheduler.tick(s.clock.now());
        const a = (await operator.get(`/api/alarms/${alarmId}`)).body as { state: string; escalationLevel: number; audit: { action: string }[] };
        assert.equal(a.state, 'push_failed', 'still nobody reached');
        assert.equal(a.escalationLevel, 1, 'escalation treats push_failed as unacknowledged');
        assert.ok(!a.audit.some((e) => e.action === 'pushed'), 'nothing marked pushed');
        d = (await operator.get(`/api/alarms/${alarmId}/deliveries`)).body as Deliveries;
        assert.ok(d.deliveries.some((x) => x.recipient === 'manager' && x.channel === 'sms' && x.status === 'failed'), 'the escalation page failed too, and is recorded');

        // the providers recover: the next retry reaches the operator and the alarm becomes pushed
        s.aliyun.fail('error', 0);
        s.wecom.fail('throttle', 0);
        s.clock.advance(10 * 60_000);
        await s.notify.engine.processDue();
        const after = (await operator.get(`/api/alarms/${alarmId}`)).body as { state: string; audit: { action: string; actorName: string }[] };
        assert.equal(after.state, 'pushed');
        assert.deepEqual(after.audit.filter((e) => e.action.startsWith('push')).map((e) => e.action), ['push_failed', 'pushed']);
        d = (await operator.get(`/api/alarms/${alarmId}/deliveries`)).body as Deliveries;
        assert.ok(d.deliveries.some((x) => x.channel === 'sms' && x.recipient === 'operator' && x.status === 'sent' && x.attempt >= 3));
        assert.equal(d.deliveries.filter((x) => x.status === 'sending').length, 0);
      } finally {
        await s.close();
      }
    });
  });
}

describe('duty roster (sqlite)', () => {
  test('the night shift is paged at night; a site without a roster pages every operator', async () => {
    const s = await buildStack('sqlite');
    try {
      await s.registry.users.upsert({ username: 'night-op', password: 'safeloop', name: '夜班 值班员', role: 'enterprise_operator', enterpriseId: 'ent-demo-chem', phone: '13800000009' });
      await s.notify.roster.applySeed(
        { rosters: [{ siteId: 'tank-farm', utcOffsetMin: 480, shifts: [{ name: '白班', from: '08:00', to: '20:00', members: ['operator'] }, { name: '夜班', from: '20:00', to: '08:00', members: ['night-op'] }] }], contacts: [] },
        s.clock.now(),
      );
      s.clock.t = Date.UTC(2026, 10, 28, 17, 30); // 01:30 in Beijing
      await s.alarms.raise(gas(s.clock, 'gd-4', 'GAS_1'));
      const phones = (): string[] => s.aliyun.accepted.filter((r) => r.params.Action === 'SendSms').map((r) => r.params.PhoneNumbers ?? '');
      assert.deepEqual(phones(), ['13800000009']);
      s.clock.t = Date.UTC(2026, 10, 29, 3, 0); // 11:00
      await s.alarms.raise(gas(s.clock, 'gd-5', 'GAS_1'));
      assert.deepEqual(phones(), ['13800000009', '13800000001']);
      // a site without a roster: both operators of the enterprise
      await s.registry.upsertSite({ id: 'tank-farm-2', enterpriseId: 'ent-demo-chem', name: '二号罐区', type: 'hazchem', lat: 28.68, lon: 115.93 });
      const before = phones().length;
      const { alarmId } = await s.alarms.raise({ ...gas(s.clock, 'gd-6', 'GAS_1'), siteId: 'tank-farm-2', point: 'tank-farm-2/gd-6/conc', conditionKey: 'k-no-roster' });
      assert.deepEqual(phones().slice(before).sort(), ['13800000001', '13800000009']);
      const pushed = (await s.alarms.queries.audit(alarmId)).find((e) => e.action === 'pushed');
      assert.deepEqual(pushed?.details.notes, ['no duty roster for the site: every operator paged']);
    } finally {
      await s.close();
    }
  });
});
