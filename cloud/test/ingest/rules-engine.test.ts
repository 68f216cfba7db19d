/**
 * The rules engine against SQLite and PostgreSQL: every rule kind, deadband and on/off delays,
 * stale or bad data never clears, pending state in the database survives a restart (D6),
 * rule sets versioned in the database and picked up at runtime.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger, type TelemetryEvent } from '@safeloop/contract';
import { limitConditionKey } from '../../src/ingest/index.ts';
import { RulesEngine, type RuleSetInput, type SiteDirectory } from '../../src/rules/index.ts';
import { createTelemetryStore, type OutboxOp, type TelemetryStore } from '../../src/store/index.ts';
import { openDb, reading, type TestDb } from './helpers.ts';

const T0 = Date.UTC(2026, 10, 28, 9, 0, 0);
const S = 1000;

const RULES: RuleSetInput = {
  version: 1,
  rules: [
    { id: 'lel', kind: 'limit', points: ['GT-*/lel'], unit: '%LEL', limits: [{ level: 'GAS_1', direction: 'high', value: 25, deadband: 2 }] },
    { id: 'lvl', kind: 'limit', points: ['TK-*/level'], limits: [{ level: 'HH', direction: 'high', value: 18, onDelaySec: 10, offDelaySec: 5 }] },
    { id: 'rate', kind: 'rate', points: ['LS-*/disp'], windowSec: 60, maxRisePerMin: 1, level: 'H', colour: 'yellow' },
    {
      id: 'flood',
      kind: 'compound',
      mode: 'all',
      durationSec: 600,
      colour: 'orange',
      conditions: [
        { point: 'LV-1/water_level', op: '>=', value: 123.5 },
        { point: 'RG-1/rain_24h', op: '>=', value: 50 },
      ],
    },
    {
      id: 'pond',
      kind: 'tailings-aggregate',
      items: [{ id: 'phreatic', points: ['PZ-*/depth'], direction: 'low', thresholds: { blue: 8.5, yellow: 7.5, orange: 6.6, red: 6 } }],
    },
    { id: 'stale', kind: 'stale', points: ['ST-*/*'], maxAgeSec: 1, commLoss: true, clearHoldSec: 0 },
    { id: 'stale-held', kind: 'stale', points: ['SH-*/*'], maxAgeSec: 1, clearHoldSec: 2 },
    { id: 'coal-only', kind: 'limit', siteTypes: ['coal'], points: ['*/ch4'], limits: [{ level: 'GAS_1', direction: 'high', value: 1 }] },
    { id: 'offline', kind: 'gateway-offline', sites: ['s1'], graceSec: 30 },
  ],
};

const sites: SiteDirectory = { getSite: (id) => Promise.resolve(id === 'mine' ? { id, type: 'coal' } : { id, type: 'hazchem' }) };

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`rules engine on ${kind}`, () => {
    let t: TestDb;
    let store: TelemetryStore;
    let engine: RulesEngine;
    before(async () => {
      t = await openDb(kind);
      store = createTelemetryStore(t.db);
      await store.init();
      engine = new RulesEngine({ logger: silentLogger, sites, staleScanMs: 0 }, RULES as never);
      await engine.init(t.db);
    });
    after(async () => {
      await t.close();
    });

    async function feed(readings: TelemetryEvent[], now = Math.max(...readings.map((r) => r.sourceTime)), eng = engine): Promise<OutboxOp[]> {
      await store.prepare(readings);
      await eng.prepare('gw', readings);
      return t.db.transaction(async (tx) => eng.evaluate(tx, 'gw', await store.insert(tx, 'gw', readings, now), now));
    }
    async function timers(now: number, eng = engine): Promise<OutboxOp[]> {
      const out: OutboxOp[] = [];
      await eng.runTimers(t.db, now, (_tx, ops) => {
        out.push(...ops);
        return Promise.resolve(ops.length);
      });
      return out;
    }
    const at = (p: string, v: number | null, time: number, extra: Partial<TelemetryEvent> = {}): TelemetryEvent => reading(p, 1, v, { sourceTime: time, ...extra });
    const summary = (ops: OutboxOp[]): string[] => ops.map((o) => `${o.op} ${o.input.conditionKey}`);

    test('limit with deadband: raises at the limit, holds inside the deadband, clears beyond it; same key as the edge', async () => {
      const p = 's1/GT-1/lel';
      assert.deepEqual(await feed([at(p, 20, T0)]), []);
      const raised = await feed([at(p, 26, T0 + S)]);
      assert.deepEqual(summary(raised), [`raise ${limitConditionKey(p, 'GAS_1')}`]);
      const r = raised[0]!;
      assert.ok(r.op === 'raise');
      assert.equal(r.input.origin, 'cloud');
      assert.equal(r.input.ruleId, 'lel');
      assert.equal(r.input.colour, 'yellow');
      assert.equal(r.input.unit, '%LEL');
      assert.deepEqual((r.input.inputs[p] as { value: number }).value, 26);
      assert.deepEqual(await feed([at(p, 24, T0 + 2 * S)]), [], 'inside the deadband');
      assert.deepEqual(await feed([at(p, 27, T0 + 3 * S)]), [], 'already active: no second raise');
      assert.deepEqual(summary(await feed([at(p, 22.9, T0 + 4 * S)])), [`clear ${limitConditionKey(p, 'GAS_1')}`]);
      assert.equal(summary(await feed([at(p, 30, T0 + 5 * S)])).length, 1, 'a new occurrence');
    });

    test('a steady normal point does not rewrite its rule state for every reading (its lastTime at most once a minute)', async () => {
      const p = 's1/GT-9/lel';
      const row = async () =>
        (await t.db.query<{ updated_at: number; data: string }>("SELECT updated_at, data FROM rule_state WHERE state_key = $1", [`limit|lel|${p}`]))[0];
      await feed([at(p, 5, T0)]);
      const first = await row();
      assert.ok(first, 'the first reading creates the state');
      for (let i = 1; i <= 20; i++) await feed([at(p, 5 + (i % 3), T0 + i * S)], T0 + 100_000 + i);
      assert.equal(Number((await row())!.updated_at), Number(first.updated_at), 'twenty normal readings wrote nothing');
      await feed([at(p, 5, T0 + 61 * S)], T0 + 200_000);
      const later = await row();
      assert.equal(Number(later!.updated_at), T0 + 200_000, 'a minute later lastTime is written');
      assert.equal((JSON.parse(later!.data) as { eval: { lastTime: number } }).eval.lastTime, T0 + 61 * S);
      assert.equal(summary(await feed([at(p, 30, T0 + 62 * S)])).length, 1, 'and it still raises at once');
    });

    test('bad, uncertain or stale data never clears (it raises its fault alarm instead); good data does', async () => {
      const p = 's1/GT-2/lel';
      assert.equal((await feed([at(p, 40, T0)])).length, 1);
      assert.deepEqual(summary(await feed([at(p, 0, T0 + S, { quality: 'bad', reason: 'comm_lost' })])), ['raise fault:s1/GT-2:comm_lost']);
      assert.deepEqual(summary(await feed([at(p, 0, T0 + 2 * S, { quality: 'uncertain', reason: 'maintenance' })])), [`raise fault:${p}:maintenance`]);
      assert.deepEqual(await feed([at(p, null, T0 + 3 * S, { quality: 'bad', reason: 'stale' })]), []);
      assert.deepEqual(summary(await feed([at(p, 0, T0 + 4 * S)])), [`clear ${limitConditionKey(p, 'GAS_1')}`]);
    });

    test('on-delay: the condition must hold; a dip restarts it; the raise carries when it began', async () => {
      const p = 's1/TK-1/level';
      assert.deepEqual(await feed([at(p, 19, T0)]), []);
      assert.deepEqual(await feed([at(p, 19, T0 + 5 * S)]), []);
      assert.deepEqual(await feed([at(p, 17, T0 + 6 * S)]), [], 'dip');
      assert.deepEqual(await feed([at(p, 19, T0 + 7 * S)]), []);
      assert.deepEqual(await feed([at(p, 19, T0 + 16 * S)]), [], 'only 9 s since the dip');
      const ops = await feed([at(p, 19.5, T0 + 17 * S)]);
      assert.deepEqual(summary(ops), [`raise ${limitConditionKey(p, 'HH')}`]);
      assert.equal(ops[0]!.op === 'raise' && ops[0]!.input.at, T0 + 7 * S);
    });

    test('D6: a pending on-delay lives in the database — a restarted engine raises it once when due', async () => {
      const p = 's1/TK-2/level';
      assert.deepEqual(await feed([at(p, 19, T0)]), []);
      const restarted = new RulesEngine({ logger: silentLogger, sites, staleScanMs: 0 }, RULES as never);
      assert.deepEqual(await timers(T0 + 9 * S, restarted), [], 'not yet due');
      assert.deepEqual(summary(await timers(T0 + 10 * S + 1, restarted)), [`raise ${limitConditionKey(p, 'HH')}`]);
      assert.deepEqual(await timers(T0 + 20 * S, restarted), []);
      assert.deepEqual(await timers(T0 + 20 * S, engine), [], 'the first engine does not raise it again');
      // Off-delay by timer: good data inside the limit, then nothing more arrives.
      assert.deepEqual(await feed([at(p, 10, T0 + 30 * S)]), []);
      assert.deepEqual(summary(await timers(T0 + 35 * S + 1)), [`clear ${limitConditionKey(p, 'HH')}`]);
    });

    test('a change by a later reading of a point in one batch is stored, after earlier readings that changed nothing', async () => {
      const p = 's1/TK-9/level';
      assert.deepEqual(await feed([at(p, 10, T0)]), []);
      // Two steady readings (the state as loaded, unchanged), then one that starts the on-delay.
      assert.deepEqual(await feed([at(p, 10, T0 + 1 * S), at(p, 11, T0 + 2 * S), at(p, 19, T0 + 3 * S)]), []);
      const restarted = new RulesEngine({ logger: silentLogger, sites, staleScanMs: 0 }, RULES as never);
      assert.deepEqual(await timers(T0 + 12 * S, restarted), [], 'not yet due');
      assert.deepEqual(summary(await timers(T0 + 13 * S + 1, restarted)), [`raise ${limitConditionKey(p, 'HH')}`], 'the pending raise was stored');
      // And back: steady high readings, then one inside the limit that starts the off-delay.
      assert.deepEqual(await feed([at(p, 19, T0 + 20 * S), at(p, 19, T0 + 21 * S), at(p, 10, T0 + 22 * S)]), []);
      assert.deepEqual(summary(await timers(T0 + 27 * S + 1, restarted)), [`clear ${limitConditionKey(p, 'HH')}`], 'the pending clear was stored');
    });

    test('an off-delay timer does not clear when the point went stale (gateway offline) meanwhile', async () => {
      const p = 's1/TK-3/level';
      await feed([at(p, 19, T0)]);
      assert.equal((await feed([at(p, 19, T0 + 10 * S)])).length, 1);
      assert.deepEqual(await feed([at(p, 10, T0 + 20 * S)]), []);
      await t.db.transaction((tx) => store.markGatewayStale(tx, 'gw'));
      assert.deepEqual(await timers(T0 + 26 * S), []);
      assert.deepEqual(await feed([at(p, 10, T0 + 40 * S)]), [], 'off-delay starts again on fresh data');
      assert.deepEqual(summary(await timers(T0 + 46 * S)), [`clear ${limitConditionKey(p, 'HH')}`]);
    });

    test('rate of change over the window', async () => {
      const p = 's1/LS-1/disp';
      assert.deepEqual(await feed([at(p, 0, T0)]), []);
      assert.deepEqual(await feed([at(p, 0.2, T0 + 30 * S)]), []);
      const ops = await feed([at(p, 2, T0 + 60 * S)]);
      assert.deepEqual(summary(ops), [`raise rate:rate:${p}`]);
      assert.ok(ops[0]!.op === 'raise' && Math.abs((ops[0]!.input.inputs.ratePerMin as number) - 2) < 1e-9);
      assert.deepEqual(summary(await feed([at(p, 2, T0 + 150 * S)])), [`clear rate:rate:${p}`]);
    });

    test('compound: pond above flood-control level while 24 h rain ≥ 50 mm for 10 min → orange site warning', async () => {
      const lv = 's2/LV-1/water_level';
      const rg = 's2/RG-1/rain_24h';
      assert.deepEqual(await feed([at(lv, 124, T0), at(rg, 60, T0)]), []);
      const ops = await feed([at(rg, 62, T0 + 600 * S)]);
      assert.deepEqual(summary(ops), ['raise compound:flood:s2']);
      const r = ops[0]!;
      assert.ok(r.op === 'raise');
      assert.deepEqual([r.input.kind, r.input.colour, r.input.siteId, r.input.at], ['warning', 'orange', 's2', T0]);
      const conds = r.input.inputs.conditions as { point: string; actual: { value: number } }[];
      assert.deepEqual(conds.map((c) => [c.point, c.actual.value]), [[lv, 124], [rg, 62]]);
      assert.deepEqual(await feed([at(rg, 0, T0 + 601 * S, { quality: 'bad', reason: 'timeout' })]), [], 'unknown never clears');
      assert.deepEqual(summary(await feed([at(rg, 10, T0 + 602 * S)])), ['clear compound:flood:s2']);
    });

    test('tailings aggregation through the engine: blue → 4 blue piezometers make it yellow → bad data keeps it → good data clears', async () => {
      const pz = (i: number): string => `s3/PZ-${i}/depth`;
      const colourOf = (ops: OutboxOp[]): string[] => ops.map((o) => (o.op === 'raise' ? `raise ${o.input.colour}` : 'clear'));
      assert.deepEqual(colourOf(await feed([at(pz(1), 9, T0)])), [], 'normal');
      assert.deepEqual(colourOf(await feed([at(pz(1), 8, T0 + S), at(pz(2), 8, T0 + S), at(pz(3), 8, T0 + S)])), ['raise blue']);
      const ops = await feed([at(pz(4), 8.2, T0 + 2 * S)]);
      assert.deepEqual(colourOf(ops), ['raise yellow']);
      assert.ok(ops[0]!.op === 'raise');
      assert.equal(ops[0]!.input.conditionKey, 'tailings:pond:s3');
      assert.deepEqual(ops[0]!.input.inputs.items, { phreatic: 'yellow' });
      assert.deepEqual(await feed([at(pz(4), null, T0 + 3 * S, { quality: 'bad', reason: 'comm_lost' })]), [], 'bad data keeps the colour');
      assert.deepEqual(colourOf(await feed([1, 2, 3].map((i) => at(pz(i), 9, T0 + 4 * S)))), ['raise blue'], 'down to one blue point');
      assert.deepEqual(colourOf(await feed([at(pz(4), 9, T0 + 5 * S)])), ['clear']);
    });

    test('stale data: no fresh good reading within maxAge → alarm; comm_lost raises at once; fresh good data clears at the next scan', async () => {
      const p = 's1/ST-1/v';
      const now = Date.now();
      assert.deepEqual(await feed([at(p, 1, now)], now), []);
      assert.deepEqual(await timers(now + 500), []);
      const ops = await timers(now + 1001);
      assert.deepEqual(summary(ops), [`raise stale:${p}`]);
      assert.ok(ops[0]!.op === 'raise' && ops[0]!.input.kind === 'system');
      assert.deepEqual(await timers(now + 3000), [], 'raised once');
      assert.deepEqual(await feed([at(p, 2, now + 3000)], now + 3000), [], 'the hot path does not touch stale state');
      assert.deepEqual(summary(await timers(now + 3000)), [`clear stale:${p}`], 'the next scan clears it');
      assert.deepEqual(await timers(now + 3500), []);
      const q = 's1/ST-2/v';
      assert.deepEqual(summary(await feed([at(q, null, now, { quality: 'bad', reason: 'comm_lost' })], now)), [`raise stale:${q}`]);
    });

    test('stale data does not flap on a link that comes and goes: it clears only after good data has held', async () => {
      const p = 's1/SH-1/v';
      const now = Date.now();
      const mine = async (at: number): Promise<string[]> => summary(await timers(at)).filter((x) => x.endsWith(p)); // other tests' points go stale meanwhile
      await feed([at(p, 1, now)], now);
      assert.deepEqual(await mine(now + 1500), [`raise stale:${p}`]);
      // the link flaps: a good reading, then comm lost again, then good again — every 400 ms
      let t0 = now + 1600;
      for (let i = 0; i < 6; i++) {
        await feed([at(p, 2, t0)], t0);
        assert.deepEqual(await mine(t0 + 1), [], `good at step ${i} has not held yet`);
        await feed([at(p, null, t0 + 200, { quality: 'bad', reason: 'comm_lost' })], t0 + 200);
        assert.deepEqual(await mine(t0 + 201), [], 'comm_lost is newest: never clears');
        t0 += 400;
      }
      await feed([at(p, 3, t0)], t0);
      await feed([at(p, 3, t0 + 1000)], t0 + 1000);
      assert.deepEqual(await mine(t0 + 1000), [], 'good for 1 s of the 2 s hold');
      await feed([at(p, 3, t0 + 2000)], t0 + 2000);
      assert.deepEqual(await mine(t0 + 2001), [`clear stale:${p}`], 'good held 2 s: one clear');
      assert.deepEqual(await mine(t0 + 2500), [], 'and only one');
    });

    test('rules scoped by site type apply only to those sites; gateway-offline grace comes from its rule', async () => {
      assert.deepEqual(await feed([at('s1/M-1/ch4', 5, T0)]), [], 'hazchem site: coal rule skipped');
      assert.deepEqual(summary(await feed([at('mine/M-1/ch4', 5, T0)])), ['raise limit:mine/M-1/ch4:GAS_1']);
      assert.equal(engine.gatewayOfflineGraceMs(['s1']), 30_000);
      assert.equal(engine.gatewayOfflineGraceMs(['s9']), undefined);
    });

    test('rule sets are versioned in the database; a newer version reaches other engines at runtime; stale versions are refused', async () => {
      const a = new RulesEngine({ logger: silentLogger, reloadCheckMs: 0 });
      const b = new RulesEngine({ logger: silentLogger, reloadCheckMs: 0 });
      await a.publish(t.db, { version: 2, rules: [{ id: 'v2', kind: 'limit', points: ['X-*/v'], limits: [{ level: 'H', direction: 'high', value: 5 }] }] }, 'tester');
      await b.init(t.db);
      assert.equal(b.ruleSet.version, 2);
      await assert.rejects(a.publish(t.db, { version: 2, rules: [] }, 'tester'), (e: Error & { code?: string }) => e.code === 'CLOUD_ERR_RULES_VERSION');
      await a.publish(t.db, { version: 3, rules: [{ id: 'v3', kind: 'limit', points: ['X-*/v'], limits: [{ level: 'H', direction: 'high', value: 50 }] }] }, 'tester');
      await timers(T0, b);
      assert.equal(b.ruleSet.version, 3);
      assert.deepEqual(await feed([at('s9/X-1/v', 10, T0)], T0, b), [], 'new limit 50 in force');
      assert.throws(() => b.setRules({ version: 4, rules: [{ id: 'bad', kind: 'limit', points: [], limits: [] }] }), /rules\.0\.points/);
      assert.equal(b.ruleSet.version, 3, 'a bad set leaves the running one in place');
    });
  });
}
