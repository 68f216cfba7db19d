/**
 * Regression tests for alarm transitions that were lost, doubled or decided on a stale or the wrong alarm
 * when raises, clears, pages and people's actions meet. SQLite and PostgreSQL; the interleavings that only PostgreSQL allows
 * (SQLite runs one write transaction at a time) run there only.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { SafeLoopError } from '@safeloop/contract';
import type { SqlDb } from '../../src/db/index.ts';
import { AlarmService, type Actor, type AlarmConditionInput, type AlarmSummary } from '../../src/alarms/index.ts';
import type { AlarmNotification, AlarmNotifier } from '../../src/notify/types.ts';
import type { Registry } from '../../src/tenancy/registry.ts';
import { DB_KINDS, FakeClock, logger, openDb, seededRegistry, type DbHandle } from './harness.ts';

const manager: Actor = { userId: 'u-m', username: 'manager', role: 'enterprise_manager', scope: { kind: 'enterprise', enterpriseId: 'ent-demo-chem' } };

/** Records pages and live pushes. */
function recordingNotifier(): AlarmNotifier & { sent: AlarmNotification[]; changed: AlarmSummary[] } {
  const sent: AlarmNotification[] = [];
  const changed: AlarmSummary[] = [];
  return {
    sent,
    changed,
    alarmChanged: (a) => changed.push(a),
    notify: (n) => {
      sent.push(n);
      return Promise.resolve({ recipients: [`${n.reason}:operator`], failures: [] });
    },
    siren: () => Promise.resolve(),
  };
}

function gas(clock: FakeClock, n: number, extra: Partial<AlarmConditionInput> = {}): AlarmConditionInput {
  return {
    conditionKey: `limit:tank-farm/gd-${n}/conc:GAS_1`,
    siteId: 'tank-farm',
    point: `tank-farm/gd-${n}/conc`,
    origin: 'cloud',
    ruleId: 'limit',
    kind: 'point',
    level: 'GAS_1',
    title: '可燃气体浓度 GAS_1',
    value: 30,
    limit: 25,
    unit: '%LEL',
    inputs: { [`tank-farm/gd-${n}/conc`]: 30 },
    at: clock.now(),
    ...extra,
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

async function service(h: DbHandle, clock: FakeClock): Promise<{ alarms: AlarmService; notifier: ReturnType<typeof recordingNotifier>; registry: Registry }> {
  const registry = await seededRegistry(h.db, clock);
  const notifier = recordingNotifier();
  const alarms = new AlarmService({ db: h.db, registry, notifier, logger, clock });
  await alarms.migrate();
  return { alarms, notifier, registry };
}

/**
 * `db` whose transactions stop once, right after they have read an alarm by id, and run `meanwhile` on
 * another connection before going on: an action that has loaded the alarm and is about to write it.
 */
function pausingAfterAlarmRead(db: SqlDb, meanwhile: () => Promise<void>): SqlDb {
  let armed = true;
  const wrap = (tx: SqlDb): SqlDb => ({
    dialect: tx.dialect,
    query: async <T extends object>(sql: string, params?: Parameters<SqlDb['query']>[1]) => {
      const rows = await tx.query<T>(sql, params);
      if (armed && sql.startsWith('SELECT a.* FROM alarms a WHERE a.id = $1')) {
        armed = false;
        await meanwhile();
      }
      return rows;
    },
    exec: (sql, params) => tx.exec(sql, params),
    defer: (sql, params) => tx.defer(sql, params),
    execScript: (sql) => tx.execScript(sql),
    transaction: (fn) => tx.transaction(fn),
    close: () => tx.close(),
  });
  return { ...wrap(db), transaction: (fn) => db.transaction((tx) => fn(wrap(tx))) };
}

for (const kind of DB_KINDS) {
  describe(`alarm races on ${kind}`, () => {
    /**
     * 1. A latched alarm's value returned to normal: returned_at set, version bumped, pushed live as
     *    "back to normal, ready to reset".
     * 2. The value went abnormal again before anyone reset it. The raise set returned_at back to NULL
     *    but left version and updated_at alone and pushed nothing.
     * 3. Dashboards kept offering the reset, and a reset that had loaded the alarm while it was back to
     *    normal still matched its version and cleared a condition that was abnormal again.
     */
    test('a raise that PostgreSQL aborts as a deadlock is run again at once: one alarm, one page', async () => {
      const h = await openDb(kind);
      try {
        const clock = new FakeClock();
        const registry = await seededRegistry(h.db, clock);
        const notifier = recordingNotifier();
        let armed = false;
        let aborted = 0;
        // Once armed, the first transaction (the raise's) fails as PostgreSQL reports a deadlock it broke (SQLSTATE 40P01).
        const db = new Proxy(h.db, {
          get(target, key) {
            const v = Reflect.get(target, key) as unknown;
            if (key === 'transaction' && armed && aborted === 0) {
              return (...args: unknown[]) => {
                aborted += 1;
                return Promise.reject(Object.assign(new Error('deadlock detected'), { code: '40P01' }));
              };
            }
            return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
          },
        });
        const alarms = new AlarmService({ db, registry, notifier, logger, clock });
        await alarms.migrate();
        armed = true;
        const input = gas(clock, 70);
        const { alarmId, created } = await alarms.raise(input);
        assert.equal(aborted, 1, 'the first attempt was aborted');
        assert.equal(created, true);
        assert.equal((await alarms.queries.require(alarmId, manager.scope)).condition, 'active');
        assert.equal(notifier.sent.filter((n) => n.alarm.id === alarmId).length, 1, 'paged once');
      } finally {
        await h.close();
      }
    });

    test('a latched alarm abnormal again after returning to normal is versioned, audited and pushed live', async () => {
      const h = await openDb(kind);
      try {
        const clock = new FakeClock();
        const { alarms, notifier } = await service(h, clock);
        const input = gas(clock, 60, { latched: true });
        const { alarmId } = await alarms.raise(input);
        await alarms.clear({ conditionKey: input.conditionKey, at: clock.advance(1000) });
        const returned = await alarms.queries.require(alarmId, manager.scope);
        assert.notEqual(returned.returnedAt, null);
        notifier.changed.length = 0;

        const backAt = clock.advance(1000);
        await alarms.raise({ ...input, at: backAt, value: 40 });
        const again = await alarms.queries.require(alarmId, manager.scope);
        assert.equal(again.returnedAt, null);
        assert.equal(again.condition, 'active');
        assert.equal(again.version, returned.version + 1, 'abnormal again is a new version');
        assert.equal(again.updatedAt, backAt);
        assert.deepEqual(
          notifier.changed.map((c) => [c.id, c.returnedAt, c.version]),
          [[alarmId, null, again.version]],
          'pushed live: no longer ready to reset',
        );
        const trail = (await alarms.queries.audit(alarmId)).map((e) => e.action);
        assert.deepEqual(trail, ['raised', 'pushed', 'returned_to_normal', 'reactivated']);
        assert.equal(await codeOf(alarms.reset(alarmId, manager)), 'CLOUD_ERR_ALARM_ACTIVE');
      } finally {
        await h.close();
      }
    });

    /**
     * 1. An acknowledged alarm's condition cleared; the edge (gateway) rule and the cloud rule then raised
     *    the same condition at once, and ingest runs them on two threads.
     * 2. Both raise transactions read the alarm as cleared, and the return-to-alarm UPDATE had no guard,
     *    so on PostgreSQL each reactivated it: reactivations 2, two "returned" pages, two audit entries.
     *    A latched alarm back to normal was likewise reactivated (audited, pushed) once per raise.
     */
    test('parallel raises of a cleared condition return it to alarm exactly once', async () => {
      const h = await openDb(kind);
      try {
        const clock = new FakeClock();
        const { alarms, notifier } = await service(h, clock);
        for (let round = 0; round < 3; round++) {
          const input = gas(clock, 70 + round);
          const { alarmId } = await alarms.raise(input);
          await alarms.acknowledge(alarmId, manager);
          await alarms.clear({ conditionKey: input.conditionKey, at: clock.advance(1000) });
          const at = clock.advance(120_000);
          const results = await Promise.all(Array.from({ length: 6 }, (_, i) => alarms.raise({ ...input, at, value: 30 + i, origin: i % 2 ? 'edge' : 'cloud' })));
          assert.ok(results.every((r) => r.alarmId === alarmId && !r.created));
          const a = await alarms.queries.require(alarmId, manager.scope);
          assert.equal(a.reactivations, 1, `round ${round}: one return to alarm`);
          assert.equal(a.state, 'pushed');
          assert.equal(notifier.sent.filter((n) => n.reason === 'returned' && n.alarm.id === alarmId).length, 1, `round ${round}: one return page`);
          const trail = await alarms.queries.audit(alarmId);
          assert.equal(trail.filter((e) => e.action === 'reactivated').length, 1, `round ${round}: one audit entry`);
          assert.equal(trail.filter((e) => e.action === 'notified').length, 1);
        }

        const latched = gas(clock, 79, { latched: true });
        const { alarmId } = await alarms.raise(latched);
        await alarms.clear({ conditionKey: latched.conditionKey, at: clock.advance(1000) });
        const returned = await alarms.queries.require(alarmId, manager.scope);
        const at = clock.advance(1000);
        await Promise.all(Array.from({ length: 6 }, () => alarms.raise({ ...latched, at })));
        const again = await alarms.queries.require(alarmId, manager.scope);
        assert.equal(again.version, returned.version + 1, 'latched: reactivated once');
        assert.equal((await alarms.queries.audit(alarmId)).filter((e) => e.action === 'reactivated').length, 1);
      } finally {
        await h.close();
      }
    });

    /**
     * 1. A condition returned to normal and several clears of it arrived at once (edge and cloud rules).
     * 2. Each read the alarm as active; the UPDATE's `AND condition = 'active'` let only one change the
     *    row, but every clear still wrote a "cleared" audit entry and ran chatter detection, so on
     *    PostgreSQL one clear looked like several transitions and the alarm was marked chattering.
     */
    test('parallel clears of one condition clear it once: one audit entry, no false chattering', async () => {
      const h = await openDb(kind);
      try {
        const clock = new FakeClock();
        const { alarms, notifier } = await service(h, clock);
        for (let round = 0; round < 3; round++) {
          const input = gas(clock, 80 + round);
          const { alarmId } = await alarms.raise(input);
          const at = clock.advance(1000);
          notifier.changed.length = 0;
          await Promise.all(Array.from({ length: 6 }, () => alarms.clear({ conditionKey: input.conditionKey, at, value: 10 })));
          const a = await alarms.queries.require(alarmId, manager.scope);
          assert.equal(a.condition, 'cleared');
          assert.equal(a.chattering, false, `round ${round}: one clear is not chattering`);
          const trail = await alarms.queries.audit(alarmId);
          assert.equal(trail.filter((e) => e.action === 'cleared').length, 1, `round ${round}: one audit entry`);
          assert.deepEqual(notifier.changed.map((c) => c.id), [alarmId], `round ${round}: pushed live once`);
        }
        assert.deepEqual((await alarms.queries.groups(manager.scope)).filter((g) => g.kind === 'chatter'), []);

        const latched = gas(clock, 89, { latched: true });
        const { alarmId } = await alarms.raise(latched);
        const at = clock.advance(1000);
        await Promise.all(Array.from({ length: 6 }, () => alarms.clear({ conditionKey: latched.conditionKey, at })));
        assert.equal((await alarms.queries.audit(alarmId)).filter((e) => e.action === 'returned_to_normal').length, 1, 'latched: one return to normal');
      } finally {
        await h.close();
      }
    });

    /**
     * 1. A site floods: the first ten alarms paged one by one and reached people; the eleventh started the
     *    flood and sent the flood page, which reached nobody.
     * 2. Later members took their push state from the group's earliest alarm (one of the ten, pushed),
     *    not from the alarm that sent the flood page, so they showed "pushed" though nobody had been told.
     * 3. Nor did a late delivery of the flood page move the members that had recorded push_failed.
     */
    test('flood members follow the flood page: push_failed while it reached nobody, pushed when it later does', async () => {
      const h = await openDb(kind);
      try {
        const clock = new FakeClock();
        const { alarms, notifier } = await service(h, clock);
        notifier.notify = (n) => {
          notifier.sent.push(n);
          return Promise.resolve(n.reason === 'flood' ? { recipients: [], failures: [{ channel: 'sms', error: 'down' }], reached: false } : { recipients: ['operator'], failures: [] });
        };
        const ids: string[] = [];
        for (let i = 0; i < 15; i++) {
          clock.advance(1000);
          ids.push((await alarms.raise(gas(clock, 100 + i))).alarmId);
        }
        const page = notifier.sent.find((n) => n.reason === 'flood');
        assert.equal(page?.alarm.id, ids[10], 'the eleventh alarm sent the flood page');
        const stateOf = async (id: string): Promise<string> => (await alarms.queries.require(id, manager.scope)).state;
        assert.equal(await stateOf(ids[0]!), 'pushed', 'the earliest alarm of the group reached people itself');
        const members = ids.slice(11);
        assert.deepEqual(await Promise.all(members.map(stateOf)), members.map(() => 'push_failed'), 'the flood page reached nobody');

        clock.advance(30_000);
        await alarms.recordPushOutcome(ids[10]!, true, { note: 'reached on a later delivery attempt' });
        assert.deepEqual(await Promise.all(members.map(stateOf)), members.map(() => 'pushed'), 'the late delivery reached the members too');
        const trail = await alarms.queries.audit(members[0]!);
        assert.deepEqual(trail.map((e) => e.action), ['raised', 'push_failed', 'pushed']);
      } finally {
        await h.close();
      }
    });

    if (kind === 'postgres') {
      test('a reset that loaded the alarm while it was back to normal is refused once it is abnormal again', async () => {
        const h = await openDb(kind);
        try {
          const clock = new FakeClock();
          const { alarms, registry } = await service(h, clock);
          const input = gas(clock, 61, { latched: true });
          const { alarmId } = await alarms.raise(input);
          await alarms.clear({ conditionKey: input.conditionKey, at: clock.advance(1000) });
          // The reset reads the alarm (back to normal), then the value goes abnormal again before it writes.
          const racing = pausingAfterAlarmRead(h.db, async () => {
            await alarms.raise({ ...input, at: clock.advance(1000), value: 40 });
          });
          const resetter = new AlarmService({ db: racing, registry, notifier: recordingNotifier(), logger, clock });
          assert.equal(await codeOf(resetter.reset(alarmId, manager)), 'CLOUD_ERR_ALARM_ACTIVE');
          const a = await alarms.queries.require(alarmId, manager.scope);
          assert.equal(a.condition, 'active', 'the abnormal condition was not reset away');
          assert.equal(a.returnedAt, null);
          const resets = (await alarms.queries.audit(alarmId)).filter((e) => e.action === 'reset');
          assert.deepEqual(resets.map((e) => e.outcome), ['rejected']);
        } finally {
          await h.close();
        }
      });
    }
  });
}
