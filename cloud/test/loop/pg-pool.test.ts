/**
 * Regression: raise() looked the site up through the pool while holding a transaction connection.
 * With as many concurrent raises as pool connections, every transaction waited for a connection that
 * only another waiting transaction could free — the pool deadlocked and alarms stopped. Inside a
 * transaction the alarm service now uses only that transaction's connection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PgDb, createPgSchema, dropPgSchema } from '../../src/db/index.ts';
import { AlarmService, EscalationScheduler } from '../../src/alarms/index.ts';
import { nullNotifier } from '../../src/notify/index.ts';
import { FakeClock, PG_URL, logger, seededRegistry } from './harness.ts';

test('concurrent raises, shelves and timer passes on a 2-connection pool complete', { timeout: 60_000 }, async () => {
  const schema = `t_pool_${randomBytes(5).toString('hex')}`;
  await createPgSchema(PG_URL, schema);
  const db = new PgDb({ connectionString: PG_URL, schema, max: 2 });
  try {
    const clock = new FakeClock();
    const registry = await seededRegistry(db, clock);
    const alarms = new AlarmService({ db, registry, notifier: nullNotifier, logger, clock });
    await alarms.migrate();
    const raises = Array.from({ length: 12 }, (_v, i) =>
      alarms.raise({ conditionKey: `c${i}`, siteId: 'tank-farm', origin: 'cloud', ruleId: 'r', kind: 'warning', colour: i % 3 === 0 ? 'red' : 'yellow', title: `w${i}`, inputs: {}, at: clock.now() }),
    );
    const done = await Promise.race([Promise.all(raises), new Promise<'stuck'>((r) => setTimeout(() => r('stuck'), 30_000).unref())]);
    assert.notEqual(done, 'stuck', 'pool deadlock');
    assert.equal((await alarms.queries.list({ kind: 'all' }, { state: 'open' })).total, 12);
    const red = await alarms.queries.list({ kind: 'all' }, { state: 'open', colour: 'red' });
    assert.ok(red.items.every((a) => a.escalationLevel === 5), 'red alarms climbed at once');
    clock.advance(20 * 60_000);
    const s = new EscalationScheduler({ alarms, clock, logger });
    const fired = await Promise.all([s.tick(clock.now()), s.tick(clock.now()), s.tick(clock.now())]);
    assert.ok(fired.reduce((x, y) => x + y, 0) >= 8, 'the 15-minute steps of the yellow warnings fired');
  } finally {
    await db.close();
    await dropPgSchema(PG_URL, schema);
  }
});
