/**
 * Issue 16, on the real HTTP server over SQLite and PostgreSQL: overdue marks by the site's deadlines
 * and who acts next on every alarm; the notification inbox (an escalation sent while the county monitor
 * was logged out is there when they log in, read marks are per person and per place); 督办 from the
 * county reaches the enterprise's inbox with its note and deadline and is audited; comments; the
 * supervising level is told when feedback awaits its review.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { AlarmConditionInput } from '../../src/alarms/index.ts';
import { DB_KINDS, type FakeClock } from './harness.ts';
import { buildStack, login } from './stack.ts';

function gas(clock: FakeClock, detector: string, level: 'GAS_1' | 'GAS_2'): AlarmConditionInput {
  const point = `tank-farm/${detector}/conc`;
  return {
    conditionKey: `limit:${point}:${level}`, siteId: 'tank-farm', point, origin: 'cloud', ruleId: `limit-${detector}`, kind: 'point', level,
    title: `罐区可燃气体 ${detector}`, value: level === 'GAS_2' ? 55 : 27, limit: level === 'GAS_2' ? 50 : 25, unit: '%LEL',
    inputs: {}, at: clock.now(),
  };
}

type View = { id: string; state: string; overdue: { kind: string; dueAt: number } | null; ackDueAt: number | null; feedbackDueAt: number | null; nextActor: string };
type Inbox = { items: { id: string; reason: string; alarmId: string; readAt: number | null; from: { username: string; name: string | null } | null; note: string | null; dueAt: number | null; text: string }[]; unread: number };
type Audit = { audit: { action: string; actorName: string; details: Record<string, unknown> }[] };

for (const kind of DB_KINDS) {
  describe(`duty actions on ${kind}`, () => {
    test('overdue after the acknowledge deadline, not before, not while shelved; feedback overdue after clearing; who acts next', async () => {
      const s = await buildStack(kind);
      try {
        const operator = await login(s.app, 'operator');
        const manager = await login(s.app, 'manager');
        const a = await s.alarms.raise(gas(s.clock, 'gd-1', 'GAS_1'));
        const view = async (): Promise<View> => (await operator.get(`/api/alarms/${a.alarmId}`)).body as View;
        let v = await view();
        assert.equal(v.overdue, null);
        assert.equal(v.nextActor, 'enterprise_ack');
        assert.equal(v.ackDueAt, s.clock.now() + 5 * 60_000, 'the default acknowledge deadline is 5 min');
        s.clock.advance(5 * 60_000 + 1000);
        v = await view();
        assert.deepEqual(v.overdue, { kind: 'acknowledge', dueAt: v.ackDueAt });
        const listed = ((await operator.get('/api/alarms?state=open')).body as { items: View[] }).items.find((x) => x.id === a.alarmId);
        assert.equal(listed?.overdue?.kind, 'acknowledge', 'the list carries the mark too');

        // shelved on purpose: not overdue while shelved
        assert.equal((await manager.post(`/api/alarms/${a.alarmId}/shelve`, { reason: '检修', minutes: 30 })).status, 200);
        v = await view();
        assert.equal(v.overdue, null);
        assert.equal(v.nextActor, 'none');
        assert.equal((await manager.post(`/api/alarms/${a.alarmId}/unshelve`, {})).status, 200);

        assert.equal((await operator.post(`/api/alarms/${a.alarmId}/acknowledge`, { note: '到场' })).status, 200);
        v = await view();
        assert.equal(v.overdue, null);
        assert.equal(v.nextActor, 'enterprise_handle');
        await s.alarms.clear({ conditionKey: gas(s.clock, 'gd-1', 'GAS_1').conditionKey, at: s.clock.now(), value: 3 });
        assert.equal((await operator.post(`/api/alarms/${a.alarmId}/start-handling`, {})).status, 200);
        v = await view();
        assert.equal(v.nextActor, 'enterprise_feedback');
        s.clock.advance(31 * 60_000);
        v = await view();
        assert.equal(v.overdue?.kind, 'feedback', 'no feedback 30 min after clearing');
        const fb = await operator.post(`/api/alarms/${a.alarmId}/feedback`, { cause: '阀门渗漏', measures: '更换垫片', result: '已恢复', disposition: 'handled' });
        assert.equal(fb.status, 200, fb.text);
        v = fb.body as View;
        assert.equal(v.overdue, null);
        assert.equal(v.nextActor, 'close', 'a 一级 alarm needs no review');
      } finally {
        await s.close();
      }
    });

    test('inbox: an escalation sent while the county was logged out waits there; read marks are per person', async () => {
      const s = await buildStack(kind);
      try {
        const a = await s.alarms.raise(gas(s.clock, 'gd-2', 'GAS_1'));
        // Nobody from the county is logged in while the alarm climbs the ladder.
        for (let i = 0; i < 8; i++) {
          s.clock.advance(10 * 60_000);
          await s.scheduler.tick(s.clock.now());
        }
        const county = await login(s.app, 'county');
        const county2 = await login(s.app, 'county2');
        const operator = await login(s.app, 'operator');
        const inbox = (await county.get('/api/inbox')).body as Inbox;
        const esc = inbox.items.find((i) => i.alarmId === a.alarmId && i.reason === 'escalated');
        assert.ok(esc, JSON.stringify(inbox));
        assert.equal(esc.readAt, null);
        assert.match(esc.text, /报警升级/);
        assert.ok(inbox.unread >= 1);
        assert.deepEqual(((await county2.get('/api/inbox')).body as Inbox).items, [], 'another county got nothing');
        const op = (await operator.get('/api/inbox')).body as Inbox;
        assert.ok(op.items.some((i) => i.alarmId === a.alarmId && i.reason === 'raised'), 'the operator has the first notice');

        // Marking one read is the county's own: the operator's stays unread, and nobody marks another's.
        const mark = await county.post('/api/inbox/read', { ids: [esc.id] });
        assert.equal(mark.status, 200, mark.text);
        assert.equal((mark.body as { marked: number }).marked, 1);
        assert.equal(((await county.get('/api/inbox?unread=true')).body as Inbox).items.some((i) => i.id === esc.id), false);
        const opRaised = op.items.find((i) => i.reason === 'raised');
        assert.equal(((await county2.post('/api/inbox/read', { ids: [opRaised?.id] })).body as { marked: number }).marked, 0);
        assert.equal(((await operator.get('/api/inbox')).body as Inbox).items.find((i) => i.id === opRaised?.id)?.readAt, null);
        const all = await operator.post('/api/inbox/read', {});
        assert.equal((all.body as { unread: number }).unread, 0);
        assert.equal((await s.app.inject({ method: 'GET', url: '/api/inbox' })).statusCode, 401, 'the inbox needs a login');
      } finally {
        await s.close();
      }
    });

    test('督办: the county urges with a note and a deadline; the enterprise inbox has it; audited; refused to others and on closed alarms', async () => {
      const s = await buildStack(kind);
      try {
        const county = await login(s.app, 'county');
        const operator = await login(s.app, 'operator');
        const county2 = await login(s.app, 'county2');
        const a = await s.alarms.raise(gas(s.clock, 'gd-3', 'GAS_2'));
        const urged = await county.post(`/api/alarms/${a.alarmId}/urge`, { note: '请立即组织排查并在30分钟内反馈', deadlineMin: 30 });
        assert.equal(urged.status, 200, urged.text);
        const inbox = (await operator.get('/api/inbox')).body as Inbox;
        const u = inbox.items.find((i) => i.reason === 'urged' && i.alarmId === a.alarmId);
        assert.ok(u, JSON.stringify(inbox.items.map((i) => i.reason)));
        assert.equal(u.from?.username, 'county');
        assert.equal(u.from?.name, '东湖区应急管理局');
        assert.equal(u.note, '请立即组织排查并在30分钟内反馈');
        assert.equal(u.dueAt, s.clock.now() + 30 * 60_000);
        assert.match(u.text, /报警督办/);
        const audit = ((await county.get(`/api/alarms/${a.alarmId}`)).body as Audit).audit;
        const entry = audit.find((e) => e.action === 'urge');
        assert.equal(entry?.actorName, 'county');
        assert.equal(entry?.details.note, '请立即组织排查并在30分钟内反馈');
        assert.ok(audit.some((e) => e.action === 'notified' && e.details.reason === 'urged' && (e.details.recipients as string[]).includes('operator')));

        assert.equal((await operator.post(`/api/alarms/${a.alarmId}/urge`, { note: 'x', deadlineMin: 5 })).status, 403, 'an operator cannot 督办');
        assert.equal((await county2.post(`/api/alarms/${a.alarmId}/urge`, { note: 'x', deadlineMin: 5 })).status, 404, 'another county does not see it');
        const empty = await county.post(`/api/alarms/${a.alarmId}/urge`, { note: '   ', deadlineMin: 5 });
        assert.equal(empty.status, 400);
        assert.match(empty.text, /note/);
        assert.equal((await county.post(`/api/alarms/${a.alarmId}/urge`, { note: 'x', deadlineMin: 0 })).status, 400);

        const before = (await county.get(`/api/alarms/${a.alarmId}`)).body as { actedLevels: number[] };
        const c = await operator.post(`/api/alarms/${a.alarmId}/comment`, { note: '已通知维修班' });
        assert.equal(c.status, 200, c.text);
        const cc = await county2.post(`/api/alarms/${a.alarmId}/comment`, { note: 'x' });
        assert.equal(cc.status, 404, 'another county cannot comment either');
        assert.deepEqual((c.body as { actedLevels: number[] }).actedLevels, before.actedLevels, 'a comment does not count as acting (the ladder still reaches the commenter)');
        const after = ((await county.get(`/api/alarms/${a.alarmId}`)).body as Audit).audit;
        assert.ok(after.some((e) => e.action === 'comment' && e.details.note === '已通知维修班' && e.actorName === 'operator'));
        const people = ((await county.get(`/api/alarms/${a.alarmId}`)).body as { people: Record<string, { name: string; role: string }> }).people;
        assert.deepEqual(people.county, { name: '东湖区应急管理局', role: 'county_monitor' }, 'the record names people, not only usernames');
        assert.equal(people.operator?.role, 'enterprise_operator');

        // feedback on a 二级 alarm: the county is asked to review (inbox), and is who acts next
        assert.equal((await operator.post(`/api/alarms/${a.alarmId}/acknowledge`, {})).status, 200);
        await s.alarms.clear({ conditionKey: gas(s.clock, 'gd-3', 'GAS_2').conditionKey, at: s.clock.now(), value: 2 });
        const fb = await operator.post(`/api/alarms/${a.alarmId}/feedback`, { cause: '法兰泄漏', measures: '紧固', result: '恢复', disposition: 'handled' });
        assert.equal(fb.status, 200, fb.text);
        assert.equal((fb.body as View).nextActor, 'supervisor_review');
        const cin = (await county.get('/api/inbox')).body as Inbox;
        assert.ok(cin.items.some((i) => i.reason === 'review_requested' && i.alarmId === a.alarmId), JSON.stringify(cin.items.map((i) => i.reason)));
        assert.equal((await county.post(`/api/alarms/${a.alarmId}/review`, { approved: true, comment: '同意' })).status, 200);
        assert.equal((await county.post(`/api/alarms/${a.alarmId}/close`, {})).status, 200);
        const closed = await county.post(`/api/alarms/${a.alarmId}/urge`, { note: '再查', deadlineMin: 5 });
        assert.equal(closed.status, 409);
        assert.match(closed.text, /CLOUD_ERR_ALARM_CLOSED/);
      } finally {
        await s.close();
      }
    });
  });
}
