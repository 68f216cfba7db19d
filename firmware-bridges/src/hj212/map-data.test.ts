import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReadingSchema } from '@safeloop/contract';
import { Hj212LoggerSchema } from '../config.ts';
import { HJ212_FLAG_QUALITY } from './flags.ts';
import { mapHj212Data } from './map-data.ts';

const logger = Hj212LoggerSchema.parse({
  mn: 'MN001',
  password: '123456',
  deviceId: 'gas-1',
  points: [
    { code: 'a21028', field: 'Rtd', pointId: 'h2s', unit: 'mg/m3', range: { min: 0, max: 100 } },
    { code: 'a21028', field: 'Avg', pointId: 'h2s_avg', unit: 'mg/m3' },
    { code: 'a21028', field: 'Max', pointId: 'h2s_hour_max', commands: ['2061'] },
    { code: 'a01001', field: 'Rtd', pointId: 'temp', unit: 'Cel', scale: 0.1, offset: -10 },
    { code: 'SB1', field: 'RS', pointId: 'analyser_state' },
  ],
});
const now = Date.UTC(2026, 0, 1);
const map = (cn: string, cp: string) => mapHj212Data({ packet: { cn, cp }, logger, site: 'plant', utcOffsetMinutes: 480, gatewayTime: now });

void test('every flag in DOMAIN.md §8 maps to its quality and reason', () => {
  const expected: Record<string, [string, string | undefined]> = {
    N: ['good', undefined],
    T: ['bad', 'out_of_range'],
    D: ['bad', 'sensor_fault'],
    B: ['bad', 'comm_lost'],
    F: ['uncertain', 'stopped'],
    M: ['uncertain', 'maintenance'],
    C: ['uncertain', 'calibration'],
    S: ['uncertain', 'manual'],
    Q: ['uncertain', 'bridge_flag'],
  };
  assert.deepEqual(Object.keys(HJ212_FLAG_QUALITY).sort(), ['B', 'C', 'D', 'F', 'M', 'N', 'S', 'T']);
  for (const [flag, [quality, reason]] of Object.entries(expected)) {
    const r = map('2011', `DataTime=20260101080000;a21028-Rtd=5.5,a21028-Flag=${flag}`);
    assert.ok(r.ok);
    const h2s = r.readings.find((x) => x.point === 'plant/gas-1/h2s');
    assert.equal(h2s?.quality, quality, flag);
    assert.equal(h2s?.reason, reason, flag);
    assert.equal(h2s?.value, 5.5, `${flag}: the value travels with its quality`);
  }
});

void test('real-time data: point paths, units, scale/offset, range, source time in Beijing time', () => {
  const r = map('2011', 'DataTime=20260101080000;a21028-Rtd=150,a21028-Flag=N;a01001-Rtd=300;SB1-RS=4;a99999-Rtd=1');
  assert.ok(r.ok);
  assert.deepEqual(r.unknownCodes, ['a99999']);
  const byPoint = Object.fromEntries(r.readings.map((x) => [x.point, x]));
  assert.deepEqual(Object.keys(byPoint).sort(), ['plant/gas-1/analyser_state', 'plant/gas-1/h2s', 'plant/gas-1/temp']);
  assert.equal(byPoint['plant/gas-1/h2s']?.quality, 'bad');
  assert.equal(byPoint['plant/gas-1/h2s']?.reason, 'out_of_range');
  assert.equal(byPoint['plant/gas-1/temp']?.value, 20);
  assert.equal(byPoint['plant/gas-1/analyser_state']?.value, 4);
  for (const x of r.readings) {
    assert.equal(x.sourceTime, Date.UTC(2026, 0, 1, 0, 0, 0));
    assert.equal(x.historical, undefined);
    ReadingSchema.parse(x);
  }
});

void test('minute, hour and day data are historical; fields routed by command', () => {
  for (const cn of ['2051', '2061', '2031']) {
    const r = map(cn, 'DataTime=20260101070000;a21028-Avg=2.5,a21028-Max=4,a21028-Flag=N;a21028-Rtd=9');
    assert.ok(r.ok);
    assert.ok(r.readings.length > 0);
    for (const x of r.readings) assert.equal(x.historical, true);
    const points = r.readings.map((x) => x.point).sort();
    assert.deepEqual(points, cn === '2061' ? ['plant/gas-1/h2s_avg', 'plant/gas-1/h2s_hour_max'] : ['plant/gas-1/h2s_avg']);
  }
});

void test('non-numeric values read bad decode_error, never 0', () => {
  const r = map('2011', 'DataTime=20260101080000;a21028-Rtd=NaN;a01001-Rtd=');
  assert.ok(r.ok);
  for (const x of r.readings) {
    assert.equal(x.value, null);
    assert.equal(x.quality, 'bad');
    assert.equal(x.reason, 'decode_error');
  }
});

void test('missing or impossible DataTime rejects the frame; non-data commands are not mapped', () => {
  for (const cp of ['a21028-Rtd=1', 'DataTime=20260231080000;a21028-Rtd=1', 'DataTime=19700101080000;a21028-Rtd=1']) {
    const r = map('2011', cp);
    assert.equal(r.ok ? 'ok' : r.reason, 'bad_datatime', cp);
  }
  const r = map('1062', 'RtdInterval=30');
  assert.equal(r.ok ? 'ok' : r.reason, 'unknown_command');
});
