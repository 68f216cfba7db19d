import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '@safeloop/contract';
import type { AlarmConditionInput, AlarmSink } from '../../src/alarms/alarm-sink.ts';
import { AlarmOutbox, type OutboxOp } from '../../src/store/index.ts';
import { openDb } from './helpers.ts';

function condition(key: string, value: number): AlarmConditionInput {
  return { conditionKey: key, siteId: 's1', point: 's1/GT-1/lel', origin: 'cloud', ruleId: 'gas-limit', kind: 'point', level: 'GAS_1', title: 'LEL high', value, limit: 25, inputs: {}, at: 1 };
}

const said = (o: OutboxOp): string => (o.op === 'raise' ? `raise ${o.input.conditionKey} ${String(o.input.value)}` : `clear ${o.input.conditionKey}`);

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`alarm outbox on ${kind}`, () => {
    test('decisions enqueued in one call are all delivered, each condition\'s in the order given, past one statement', async () => {
      const t = await openDb(kind);
      try {
        const calls: string[] = [];
        const sink: AlarmSink = {
          raise: (input) => (calls.push(said({ op: 'raise', input })), Promise.resolve({ alarmId: input.conditionKey, created: true })),
          clear: (input) => (calls.push(said({ op: 'clear', input })), Promise.resolve()),
        };
        const outbox = new AlarmOutbox({ db: t.db, sink, logger: silentLogger });
        await outbox.init();
        // A raise, its clear and a raise again of one condition (the order matters), then enough decisions
        // to need more than one INSERT statement.
        const ops: OutboxOp[] = [
          { op: 'raise', input: condition('k0', 1) },
          { op: 'clear', input: { conditionKey: 'k0', at: 2 } },
          { op: 'raise', input: condition('k0', 3) },
          ...Array.from({ length: 450 }, (_, i): OutboxOp => ({ op: 'raise', input: condition(`m${String(i).padStart(3, '0')}`, i) })),
        ];
        await t.db.transaction((tx) => outbox.enqueue(tx, ops));
        while ((await outbox.dispatch()) > 0);
        // The outbox keeps order per condition (a condition's head goes first), not across conditions.
        assert.deepEqual([...calls].sort(), ops.map(said).sort());
        assert.deepEqual(calls.filter((c) => c.includes(' k0')), ['raise k0 1', 'clear k0', 'raise k0 3']);
      } finally {
        await t.close();
      }
    });

    test('an enqueue inside a transaction that rolls back leaves nothing to deliver', async () => {
      const t = await openDb(kind);
      try {
        const calls: string[] = [];
        const sink: AlarmSink = { raise: (i) => (calls.push(i.conditionKey), Promise.resolve({ alarmId: 'a', created: true })), clear: () => Promise.resolve() };
        const outbox = new AlarmOutbox({ db: t.db, sink, logger: silentLogger });
        await outbox.init();
        await assert.rejects(
          t.db.transaction(async (tx) => {
            await outbox.enqueue(tx, [{ op: 'raise', input: condition('r1', 1) }, { op: 'raise', input: condition('r2', 2) }]);
            throw new Error('commit never happens');
          }),
          /commit never happens/,
        );
        assert.equal(await outbox.dispatch(), 0);
        assert.deepEqual(calls, []);
      } finally {
        await t.close();
      }
    });
  });
}
