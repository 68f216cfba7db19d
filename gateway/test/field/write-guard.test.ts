/** Field writes only through the allow-list; an off-list write never reaches the bus (RELIABILITY.md §5.5, F5). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SafeLoopError, silentLogger, type Clock } from '@safeloop/contract';
import { startModbusTcpSimulator } from '@safeloop/test-rigs';
import { createWriteGuard, guardedWrite } from '../../src/field/index.ts';
import { createModbusTcpDriver } from '../../src/field/modbus-tcp-driver.ts';

const refused = (pattern: RegExp) => (e: unknown) => e instanceof SafeLoopError && e.code === 'GW_ERR_WRITE_REFUSED' && pattern.test(e.message);

void test('the guard allows only what an entry covers: unit, table, address range, value range, rate', () => {
  let t = 0;
  const clock: Clock = { now: () => 1_700_000_000_000 + t, monotonic: () => t };
  const guard = createWriteGuard([{ unitId: 1, table: 'coil', from: 10, to: 11, maxPerMinute: 2 }, { table: 'holding', from: 100, to: 103, min: 0, max: 500 }], { clock });
  assert.equal(guard.allows({ unitId: 1, table: 'coil', start: 10, values: [1] }), true);
  assert.equal(guard.allows({ unitId: 2, table: 'coil', start: 10, values: [1] }), false, 'other unit');
  assert.equal(guard.allows({ unitId: 1, table: 'holding', start: 10, values: [1] }), false, 'other table');
  assert.equal(guard.allows({ unitId: 9, table: 'holding', start: 102, values: [1, 2, 3] }), false, 'runs past the range');
  assert.equal(guard.allows({ unitId: 9, table: 'holding', start: 102, values: [1, 2] }), true);
  assert.throws(() => guard.check({ unitId: 9, table: 'holding', start: 100, values: [501] }), refused(/value outside 0..500/));
  guard.check({ unitId: 1, table: 'coil', start: 11, values: [1] });
  guard.check({ unitId: 1, table: 'coil', start: 11, values: [0] });
  assert.throws(() => guard.check({ unitId: 1, table: 'coil', start: 11, values: [1] }), refused(/more than 2 writes a minute/));
  t += 60_001;
  guard.check({ unitId: 1, table: 'coil', start: 11, values: [1] });
  assert.throws(() => createWriteGuard([]).check({ unitId: 1, table: 'coil', start: 0, values: [1] }), refused(/allow-list is empty/));
  assert.throws(() => createWriteGuard([{ table: 'holding', from: 5, to: 1 }]), /entry 0: to: from must be ≤ to/);
});

void test('an off-list write is refused before the bus; an allowed one reaches the device', async () => {
  const sim = await startModbusTcpSimulator({ port: 0, devices: [{ unitId: 1, profileId: 'generic-esd-valve' }] });
  const driver = createModbusTcpDriver({ host: '127.0.0.1', port: sim.port, logger: silentLogger });
  try {
    await driver.open({ timeoutMs: 1000 });
    const guard = createWriteGuard([{ unitId: 1, table: 'coil', from: 0, to: 0, min: 0, max: 1 }]);
    const before = sim.requestCount(1);
    await assert.rejects(guardedWrite(guard, driver, { unitId: 1, table: 'coil', start: 1, values: [1] }, { timeoutMs: 500 }), refused(/no allow-list entry/));
    await assert.rejects(guardedWrite(guard, driver, { unitId: 1, table: 'holding', start: 0, values: [1] }, { timeoutMs: 500 }), refused(/./));
    assert.equal(sim.requestCount(1), before, 'nothing reached the device');
    assert.equal(driver.counters().requests, 0, 'nothing was sent on the bus');
    await guardedWrite(guard, driver, { unitId: 1, table: 'coil', start: 0, values: [1] }, { timeoutMs: 500 });
    assert.equal(sim.requestCount(1), before + 1);
    assert.deepEqual(await driver.readBlock(1, { table: 'coil', start: 0, count: 1 }, { timeoutMs: 500 }), [1]);
  } finally {
    await driver.close();
    await sim.stop();
  }
});
