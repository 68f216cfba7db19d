/**
 * Our Modbus TCP and RTU masters on the driver comparison's fault matrix (gateway/bench/driver-faults.ts):
 * against a scripted slave per personality — correct, silent, exception, short frame, garbled frame,
 * another unit's reply, a reply after the timeout that overlaps the next request — every outcome is the
 * right values or the right reason, never another request's values (on RTU the request after a
 * timeout fails fast while the unit is suspect, RELIABILITY.md C2). The same matrix is run against a modbus-serial-based driver by
 * gateway/bench/field-modbus-drivers.bench.ts (docs/BENCHMARKS.md, "Gateway field I/O").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { faultCase, verdict } from '../../bench/driver-faults.ts';
import { PERSONALITIES } from '../../bench/scripted-slaves.ts';

for (const kind of ['tcp', 'rtu'] as const) {
  void test(`our ${kind.toUpperCase()} master: every fault personality gives the right values or the right reason`, { timeout: 120_000 }, async () => {
    const outcomes: Record<string, string> = {};
    for (const p of PERSONALITIES) {
      const outcome = await faultCase('ours', kind, p);
      outcomes[p] = `${verdict(p, outcome)}: ${outcome}`;
    }
    assert.deepEqual(
      outcomes,
      Object.fromEntries(PERSONALITIES.map((p) => [p, `right: ${p === 'late' ? (kind === 'tcp' ? 'timeout; then ok 100,101' : 'timeout; then timeout') : p === 'garbled' ? (kind === 'tcp' ? 'comm_lost' : 'crc_error') : { correct: 'ok 0,1', silent: 'timeout', exception: 'exception', short: 'short_frame', wrongUnit: 'timeout' }[p]}`])),
    );
  });
}
