import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ReportConfigSchema } from './config.ts';
import { ReportByException } from './report-by-exception.ts';
import { T0, reading } from './test-helpers.ts';

const at = (sec: number, value: number | string, q: 'good' | 'bad' = 'good') =>
  reading(0, { point: 's/dev1/temp', value, quality: q, gatewayTime: T0 + sec * 1000, sourceTime: T0 + sec * 1000 });

void describe('ReportByException', () => {
  void it('passes every reading when no deadband is configured', () => {
    const f = new ReportByException({ config: ReportConfigSchema.parse({}) });
    assert.equal(f.filter([at(0, 1), at(1, 1), at(2, 1)]).length, 3);
  });

  void it('sends on change beyond the deadband, measured from the last value sent', () => {
    const f = new ReportByException({ config: ReportConfigSchema.parse({ default: { deadband: 0.5, heartbeatSec: 0 } }) });
    const out = f.filter([at(0, 10), at(1, 10.3), at(2, 10.5), at(3, 10.6), at(4, 10.7), at(5, 11.2)]);
    assert.deepEqual(out.map((r) => r.value), [10, 10.6, 11.2]);
    assert.equal(f.suppressed, 3);
  });

  void it('sends a heartbeat after heartbeatSec without change', () => {
    const f = new ReportByException({ config: ReportConfigSchema.parse({ default: { deadband: 1, heartbeatSec: 10 } }) });
    const out = f.filter([at(0, 5), at(5, 5), at(9.9, 5), at(10, 5), at(15, 5), at(20, 5)]);
    assert.deepEqual(out.map((r) => r.gatewayTime - T0), [0, 10_000, 20_000]);
  });

  void it('always passes a quality change, whatever the value', () => {
    const f = new ReportByException({ config: ReportConfigSchema.parse({ default: { deadband: 100, heartbeatSec: 0 } }) });
    const out = f.filter([at(0, 5), at(1, 5, 'bad'), at(2, 5, 'bad'), at(3, 5)]);
    assert.deepEqual(out.map((r) => r.quality), ['good', 'bad', 'good']);
  });

  void it('uses per-point settings keyed device/point, and treats non-numeric values as changed when different', () => {
    const f = new ReportByException({
      config: ReportConfigSchema.parse({ default: { deadband: 100, heartbeatSec: 0 }, points: { 'dev1/temp': { deadband: 0 } } }),
    });
    assert.deepEqual(f.filter([at(0, 1), at(1, 1), at(2, 1.01)]).map((r) => r.value), [1, 1.01]);
    assert.deepEqual(f.filter([at(3, 'open'), at(4, 'open'), at(5, 'closed')]).map((r) => r.value), ['open', 'closed']);
    const other = reading(0, { point: 's/dev2/temp', value: 1 });
    assert.equal(f.filter([other, { ...other, value: 50 }]).length, 1, 'default deadband 100 applies to other points');
  });

  void it('rejects a malformed point key in the config', () => {
    assert.throws(() => ReportConfigSchema.parse({ points: { 'a/b/c': { deadband: 1 } } }), /device\/point/);
  });
});
