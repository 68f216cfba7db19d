/**
 * Path 1 of the conformance table: the shared evaluator alone, on simulated time. The gateway and
 * cloud paths run the same rows end to end (see alarm-conformance.ts for where).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AlarmLimitSchema, AlarmStateStore, type PointAlarmConfig, type Reading } from '../src/index.ts';
import { CONFORMANCE, CONFORMANCE_POLICY, describe, expandSteps } from './alarm-conformance.ts';

const T0 = Date.UTC(2026, 11, 3, 8, 0, 0);
const POINT = 'site-a/det-01/gas';

for (const row of CONFORMANCE) {
  void test(`conformance ${row.id}: ${row.title} [${row.clause}]`, () => {
    const cfg: PointAlarmConfig = {
      limits: row.limits.map((l) => AlarmLimitSchema.parse(l)),
      unit: row.unit,
      ...(row.range ? { range: row.range } : {}),
      overRangeLatch: CONFORMANCE_POLICY.overRangeLatch,
      faultClearHoldMs: CONFORMANCE_POLICY.faultClearHoldSec * 1000,
      faultClearReadings: CONFORMANCE_POLICY.faultClearReadings,
    };
    const store = new AlarmStateStore(new Map([[POINT, cfg]]));
    const seen: string[] = [];
    for (const s of expandSteps(row)) {
      const gatewayTime = T0 + s.t * 1000;
      const r: Reading = { point: POINT, value: s.value, quality: s.quality, sourceTime: gatewayTime + s.skewSec * 1000, gatewayTime, ...(s.reason ? { reason: s.reason } : {}) };
      seen.push(...store.evaluate([r]).map(describe));
    }
    assert.deepEqual(seen, row.expect);
  });
}

void test('state survives a restart: an active alarm is neither re-raised nor forgotten', () => {
  const cfg: PointAlarmConfig = { limits: [AlarmLimitSchema.parse({ level: 'GAS_2', direction: 'high', value: 50 })] };
  const a = new AlarmStateStore(new Map([[POINT, cfg]]));
  const r = (v: number, t: number): Reading => ({ point: POINT, value: v, quality: 'good', sourceTime: T0 + t, gatewayTime: T0 + t });
  assert.deepEqual(a.evaluate([r(60, 0)]).map(describe), ['raise GAS_2']);
  const b = new AlarmStateStore(new Map([[POINT, cfg]]));
  b.restore(JSON.parse(JSON.stringify(a.snapshot())));
  assert.deepEqual(b.evaluate([r(61, 1000)]).map(describe), [], 'still active after restart: no second raise');
  assert.deepEqual(b.evaluate([r(3, 2000)]).map(describe), ['clear GAS_2'], 'a clear that happened while down is seen on the first reading');
});
