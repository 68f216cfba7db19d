import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { SafeLoopError } from '@safeloop/contract';
import { AlarmService, EscalationScheduler, type Actor, type AlarmConditionInput } from '../../src/alarms/index.ts';
import type { AlarmNotification, AlarmNotifier } from '../../src/notify/types.ts';
import { DB_KINDS, FakeClock, logger, openDb, seededRegistry } from './harness.ts';

function recordingNotifier(): AlarmNotifier & { sent: AlarmNotification[]; sirens: string[] } {
  const sent: AlarmNotification[] = [];
  const sirens: string[] = [];
  return {
    sent,
    sirens,
    alarmChanged: () => undefined,
    notify: (n) => {
      sent.push(n);
      return Promise.resolve({ recipients: [`${n.reason}:${n.targets.join(',')}`], failures: [] });
    },
    siren: (a, action) => {
      sirens.push(`${a.id}:${action}`);
      return Promise.resolve();
    },
  };
}

const operator: Actor = { userId: 'u-op', username: 'operator', role: 'enterprise_operator', ip: '10.0.0.5', scope: { kind: 'enterprise', enterpriseId: 'ent-demo-chem' } };
const county: Actor = { userId: 'u-county', username: 'county', role: 'county_monitor', ip: '10.0.0.9', scope: { kind: 'region', regionCode: '360102' } };
const county2: Actor = { userId: 'u-county2', username: 'county2', role: 'county_monitor', scope: { kind: 'region', regionCode: '360111' } };

function gas(clock: FakeClock, n = 1, level: 'GAS_1' | 'GAS_2' = 'GAS_2'): AlarmConditionInput {
  return {
    conditionKey: `limit:tank-farm/gd-${n}/conc:${level}`,
    siteId: 'tank-farm',
    point: `tank-farm/gd-${n}/conc`,
    origin: 'cloud',
    ruleId: 'limit',
    kind: 'point',
    level,
    title: `可燃气体浓度 ${level}`,
    value: 52,
    limit: 50,
    unit: '%LEL',
    inputs: { [`tank-farm/gd-${n}/conc`]: 52 },
    at: clock.now(),
  };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    if (err instanceof SafeLoopError) return err.code;
    throw err;
  }
}

for (const kind of DB_KINDS) {
  describe(`alarm service on ${kind}`, () => {
    test('raise, E1 clear before ack, lifecycle guards (E8), review and close', async () => {
      const h = await openDb(kind);
      try {
        const clock = new FakeClock();
        const registry = await seededRegistry(h.db, clock);
        const notifier = recordingNotifier();
        const alarms = new AlarmService({ db: h.db, registry, notifier, logger, clock });
        await alarms.migrate();
        const r1 = await alarms.raise(gas(clock));
        assert.equal(r1.created, true);
        const again = await alarms.raise(gas(clock));
        assert.deepEqual(again, { alarmId: r1.alarmId, created: false }, 'same condition while open updates, never a twin');
        let a = await alarms.queries.require(r1.alarmId, operator.scope);
        assert.equal(a.state, 'pushed');
        assert.equal(a.enterpriseId, 'ent-demo-chem');
        assert.equal(a.regionCode, '360102');
        assert.equal(a.reviewRequired, true, 'GAS_2 needs a review');
        assert.equal(notifier.sent[0]?.reason, 'raised');

        // E1: clears before acknowledgement → stays unacknowledged and listed
        clock.advance(60_000);
        await alarms.clear({ conditionKey: gas(clock).conditionKey, at: clock.now(), value: 10 });
        a = await alarms.queries.require(r1.alarmId, operator.scope);
        assert.equal(a.condition, 'cleared');
        assert.equal(a.state, 'pushed');
        const open = await alarms.queries.list(operator.scope, { state: 'open' });
        assert.ok(open.items.some((x) => x.id === a.id), 'cleared-unacknowledged stays listed');

        // out of scope: another county cannot see or touch it
        assert.equal(await codeOf(alarms.acknowledge(r1.alarmId, county2)), 'CLOUD_ERR_NOT_FOUND');
        // E8: close without feedback
        assert.equal(await codeOf(alarms.close(r1.alarmId, operator)), 'CLOUD_ERR_FEEDBACK_REQUIRED');
        await alarms.acknowledge(r1.alarmId, operator, { note: '收到' });
        assert.equal(await codeOf(alarms.acknowledge(r1.alarmId, operator)), 'CLOUD_ERR_ALREADY_ACKNOWLEDGED');
        await alarms.startHandling(r1.alarmId, operator);
        await alarms.submitFeedback(r1.alarmId, operator, { cause: '法兰泄漏', measures: '关阀、紧固', result: '浓度恢复正常', disposition: 'handled' });
        assert.equal(await codeOf(alarms.close(r1.alarmId, operator)), 'CLOUD_ERR_REVIEW_REQUIRED');
        assert.equal(await codeOf(alarms.review(r1.alarmId, operator, { approved: true, comment: 'x' })), 'CLOUD_ERR_FORBIDDEN');
        await alarms.review(r1.alarmId, county, { approved: true, comment: '核查属实' });
        const closed = await alarms.close(r1.alarmId, county);
        assert.equal(closed.state, 'closed');
        const trail = await alarms.queries.audit(r1.alarmId);
        assert.deepEqual(
          trail.filter((e) => e.outcome === 'ok').map((e) => e.action),
          ['raised', 'pushed', 'cleared', 'acknowledge', 'start-handling', 'feedback', 'notified', 'review', 'close'], // notified: the county asked to review
        );
        assert.ok(trail.some((e) => e.outcome === 'rejected' && e.action === 'close'), 'rejected attempts audited');
        assert.equal(trail.find((e) => e.action === 'acknowledge')?.sourceIp, '10.0.0.5');
        // the audit trail cannot be edited, even in SQL
        await assert.rejects(h.db.exec('UPDATE alarm_audit SET action = $1', ['forged']), /append-only/);
        await assert.rejects(h.db.exec('DELETE FROM alarm_audit'), /append-only/);

        // re-activation after close opens a new occurrence
        const r2 = await alarms.raise(gas(clock));
        assert.equal(r2.created, true);
        assert.notEqual(r2.alarmId, r1.alarmId);
        assert.equal((await alarms.queries.require(r2.alarmId, operator.scope)).occurrence, 2);
      } finally {
        await h.close();
      }
    });

    test('E3: parallel acknowledgements give exactly one transition', async () => {
      const h = await openDb(kind);
      try {
        const clock = new FakeClock();
        const registry = await seededRegistry(h.db, clock);
        const alarms = new AlarmService({ db: h.db, registry, notifier: recordingNotifier(), logger, clock });
        await alarms.migrate();
        const { alarmId } = await alarms.raise(gas(clock));
        const results = await Promise.all(Array.from({ length: 40 }, () => codeOf(alarms.acknowledge(alarmId, operator))));
        assert.equal(results.filter((r) => r === 'ok').length, 1);
        assert.ok(results.filter((r) => r !== 'ok').every((r) => r === 'CLOUD_ERR_ALREADY_ACKNOWLEDGED'), results.join(','));
        const trail = await alarms.queries.audit(alarmId);
        assert.equal(trail.filter((e) => e.action === 'acknowledge' && e.outcome === 'ok').length, 1);
        assert.equal(trail.filter((e) => e.action === 'acknowledge').length, 40, 'all attempts audited');
      } finally {
        await h.close();
      }
    });

    test('escalation timers fire once across two workers; E4 shelve expiry re-annunciates; E10 re-alarm', async () => {
      const h = await openDb(kind);
      try {
        const clock = new FakeClock();
        const registry = await seededRegistry(h.db, clock);
        const notifier = recordingNotifier();
        const w1 = new AlarmService({ db: h.db, registry, notifier, logger, clock });
        const w2 = new AlarmService({ db: h.db, registry, notifier, logger, clock });
        await w1.migrate();
        const s1 = new EscalationScheduler({ alarms: w1, clock, logger });
        const s2 = new EscalationScheduler({ alarms: w2, clock, logger });
        const ignored = await w1.raise(gas(clock, 2, 'GAS_1'));
        clock.advance(16 * 60_000);
        const [n1, n2] = await Promise.all([s1.tick(clock.now()), s2.tick(clock.now())]);
        assert.equal(n1 + n2, 1, 'the 15-minute step fired once');
        clock.advance(15 * 60_000);
        await Promise.all([s1.tick(clock.now()), s2.tick(clock.now())]);
        const a = await w1.queries.require(ignored.alarmId, county.scope);
        assert.equal(a.escalationLevel, 3, 'reached the county after 30 minutes');
        const trail = await w1.queries.audit(ignored.alarmId);
        assert.deepEqual(trail.filter((e) => e.action === 'escalated').map((e) => (e.details.target as string)), ['technical', 'principal', 'county']);
        assert.ok(notifier.sent.some((n) => n.reason === 'escalated' && n.targets.includes('county')));

        // E4: shelve 15 min while active → at expiry back to unacknowledged
        const manager: Actor = { userId: 'u-m', username: 'manager', role: 'enterprise_manager', scope: { kind: 'enterprise', enterpriseId: 'ent-demo-chem' } };
        const s = await w1.raise(gas(clock, 3, 'GAS_1'));
        await w1.acknowledge(s.alarmId, operator);
        assert.equal(await codeOf(w1.shelve(s.alarmId, operator, { reason: 'x', minutes: 15 })), 'CLOUD_ERR_FORBIDDEN');
        assert.equal(await codeOf(w1.shelve(s.alarmId, manager, { reason: 'x', minutes: 100_000 })), 'CLOUD_ERR_VALIDATION');
        await w1.shelve(s.alarmId, manager, { reason: '检修', minutes: 15 });
        await w1.clear({ conditionKey: gas(clock, 3, 'GAS_1').conditionKey, at: clock.now() });
        await w1.raise(gas(clock, 3, 'GAS_1'));
        clock.advance(16 * 60_000);
        await s1.tick(clock.now());
        const sh = await w1.queries.require(s.alarmId, operator.scope);
        assert.equal(sh.shelveKind, null);
        assert.equal(sh.state, 'pushed', 're-annunciated as unacknowledged');
        assert.equal(sh.shelvedOccurrences, 1, 'occurrence during shelve recorded');

        // E10: acknowledged and still active past the re-alarm time
        await w1.acknowledge(s.alarmId, operator);
        clock.advance(61 * 60_000);
        await s1.tick(clock.now());
        assert.equal((await w1.queries.require(s.alarmId, operator.scope)).state, 'pushed');
        assert.ok((await w1.queries.audit(s.alarmId)).some((e) => e.action === 'realarm'));
      } finally {
        await h.close();
      }
    });

    test('E9: a latched alarm stays active after returning to normal until reset; E2: re-activation is recorded', async () => {
      const h = await openDb(kind);
      try {
        const clock = new FakeClock();
        const registry = await seededRegistry(h.db, clock);
        const notifier = recordingNotifier();
        const alarms = new AlarmService({ db: h.db, registry, notifier, logger, clock });
        await alarms.migrate();
        const manager: Actor = { userId: 'u-m', username: 'manager', role: 'enterprise_manager', ip: '10.0.0.7', scope: { kind: 'enterprise', enterpriseId: 'ent-demo-chem' } };
        const input = { ...gas(clock, 50, 'GAS_1'), latched: true };
        const { alarmId } = await alarms.raise(input);
        assert.equal(await codeOf(alarms.reset(alarmId, manager)), 'CLOUD_ERR_ALARM_ACTIVE', 'value still abnormal');
        await alarms.clear({ conditionKey: input.conditionKey, at: clock.advance(1000) });
        let a = await alarms.queries.require(alarmId, manager.scope);
        assert.equal(a.condition, 'active', 'latched: still active');
        assert.ok(a.returnedAt !== null);
        assert.equal(await codeOf(alarms.reset(alarmId, operator)), 'CLOUD_ERR_FORBIDDEN', 'operators do not reset latches');
        await alarms.reset(alarmId, manager, { note: '现场确认后复位' });
        a = await alarms.queries.require(alarmId, manager.scope);
        assert.equal(a.condition, 'cleared');
        assert.deepEqual(notifier.sirens, [`${alarmId}:reset`]);
        assert.equal(await codeOf(alarms.reset(alarmId, manager)), 'CLOUD_ERR_ILLEGAL_TRANSITION');

        // E2: raise → ack → clear → re-activate before close: same alarm, explicit record
        const plain = gas(clock, 51, 'GAS_1');
        const r = await alarms.raise(plain);
        await alarms.acknowledge(r.alarmId, operator);
        await alarms.clear({ conditionKey: plain.conditionKey, at: clock.advance(1000) });
        const again = await alarms.raise({ ...plain, at: clock.advance(120_000) });
        assert.deepEqual(again, { alarmId: r.alarmId, created: false });
        const trail = (await alarms.queries.audit(r.alarmId)).map((e) => e.action);
        assert.deepEqual(trail, ['raised', 'pushed', 'acknowledge', 'cleared', 'reactivated', 'notified']);
        const b = await alarms.queries.require(r.alarmId, operator.scope);
        assert.equal(b.condition, 'active');
        assert.equal(b.reactivations, 1);
        assert.equal(b.state, 'pushed', 'return to alarm after acknowledgement: unacknowledged again (issue 18)');
        assert.equal(b.ackedAt, null);
      } finally {
        await h.close();
      }
    });

    test('a red warning goes up the whole ladder at once and pages people even during a flood', async () => {
      const h = await openDb(kind);
      try {
        const clock = new FakeClock();
        const registry = await seededRegistry(h.db, clock);
        const notifier = recordingNotifier();
        const alarms = new AlarmService({ db: h.db, registry, notifier, logger, clock });
        await alarms.migrate();
        for (let i = 0; i < 12; i++) await alarms.raise(gas(clock, 200 + i, 'GAS_1'));
        assert.equal(notifier.sent.filter((n) => n.reason === 'flood').length, 1, 'flooding');
        const { level: _level, ...base } = gas(clock, 300);
        const red = await alarms.raise({ ...base, kind: 'warning', colour: 'red', conditionKey: 'warning:tank-farm:red', title: '罐区红色预警' });
        const a = await alarms.queries.require(red.alarmId, county.scope);
        assert.equal(a.escalationLevel, 5, 'province reached at once');
        assert.equal(a.reviewRequired, true);
        const forRed = notifier.sent.filter((n) => n.alarm.id === red.alarmId);
        assert.deepEqual(forRed.map((n) => n.reason), ['raised', 'escalated', 'escalated', 'escalated', 'escalated', 'escalated']);
        assert.deepEqual(forRed.slice(1).map((n) => n.targets[0]), ['technical', 'principal', 'county', 'city', 'province']);
      } finally {
        await h.close();
      }
    });

    test('flood and chattering are grouped, nothing hidden', async () => {
      const h = await openDb(kind);
      try {
        const clock = new FakeClock();
        const registry = await seededRegistry(h.db, clock);
        const notifier = recordingNotifier();
        const alarms = new AlarmService({ db: h.db, registry, notifier, logger, clock });
        await alarms.migrate();
        for (let i = 0; i < 30; i++) {
          clock.advance(1000);
          await alarms.raise(gas(clock, 100 + i, 'GAS_1'));
        }
        const all = await alarms.queries.list(operator.scope, { state: 'open', pageSize: 100 });
        assert.equal(all.total, 30, 'every alarm persisted and listed');
        const groups = await alarms.queries.groups(operator.scope, { siteId: 'tank-farm' });
        const flood = groups.find((g) => g.kind === 'flood');
        assert.ok(flood);
        assert.equal(flood.alarmCount, 30);
        assert.equal(all.items.filter((a) => a.groupId === flood.id).length, 30);
        const perAlarm = notifier.sent.filter((n) => n.reason === 'raised').length;
        assert.equal(perAlarm, 10, 'individual notifications stop when the flood starts');
        assert.equal(notifier.sent.filter((n) => n.reason === 'flood').length, 1);

        const key = gas(clock, 999, 'GAS_1').conditionKey;
        const c = await alarms.raise(gas(clock, 999, 'GAS_1'));
        for (let i = 0; i < 2; i++) {
          clock.advance(5_000);
          await alarms.clear({ conditionKey: key, at: clock.now() });
          clock.advance(5_000);
          await alarms.raise({ ...gas(clock, 999, 'GAS_1'), at: clock.now() });
        }
        const ch = await alarms.queries.require(c.alarmId, operator.scope);
        assert.equal(ch.chattering, true);
        assert.equal(ch.reactivations, 2);
        assert.ok((await alarms.queries.groups(operator.scope)).some((g) => g.kind === 'chatter' && g.conditionKey === key));
      } finally {
        await h.close();
      }
    });
  });
}
