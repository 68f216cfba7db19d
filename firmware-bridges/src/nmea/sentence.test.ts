import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildNmeaSentence, formatLatLon, nmeaChecksum, parseNmeaSentence } from './sentence.ts';

// DOMAIN.md §10 examples.
const GGA = '$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47';
const RMC = '$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A';

void test('checksum is the XOR between $ and * (both DOMAIN.md examples)', () => {
  assert.equal(nmeaChecksum(GGA.slice(1, GGA.indexOf('*'))), 0x47);
  assert.equal(nmeaChecksum(RMC.slice(1, RMC.indexOf('*'))), 0x6a);
  assert.equal(buildNmeaSentence(GGA.slice(1, -3)), GGA);
});

void test('the GGA example decodes', () => {
  const r = parseNmeaSentence(GGA);
  assert.ok(r.ok);
  assert.equal(r.sentence.type, 'GGA');
  if (r.sentence.type !== 'GGA') return;
  assert.equal(r.sentence.talker, 'GP');
  assert.equal(r.sentence.timeOfDayMs, (12 * 3600 + 35 * 60 + 19) * 1000);
  assert.ok(Math.abs((r.sentence.lat ?? 0) - (48 + 7.038 / 60)) < 1e-12);
  assert.ok(Math.abs((r.sentence.lon ?? 0) - (11 + 31 / 60)) < 1e-12);
  assert.equal(r.sentence.fixQuality, 1);
  assert.equal(r.sentence.satellites, 8);
  assert.equal(r.sentence.hdop, 0.9);
  assert.equal(r.sentence.altitude, 545.4);
  assert.equal(r.sentence.geoidSeparation, 46.9);
});

void test('the RMC example decodes with its date', () => {
  const r = parseNmeaSentence(RMC);
  assert.ok(r.ok);
  if (r.sentence.type !== 'RMC') return assert.fail('not RMC');
  assert.equal(r.sentence.valid, true);
  assert.equal(r.sentence.dateMs, Date.UTC(1994, 2, 23));
  assert.ok(Math.abs((r.sentence.lat ?? 0) - (48 + 7.038 / 60)) < 1e-12);
});

void test('any talker, lower-case checksum, GST, southern/western hemispheres, RTK no-fix with empty fields', () => {
  const gn = buildNmeaSentence('GNGGA,010203.50,3030.1234567,S,11415.7654321,W,4,20,0.6,12.3456,M,-5.1,M,1.0,0001');
  const r = parseNmeaSentence(gn.replace(/\*([0-9A-F]{2})$/, (_, h: string) => `*${h.toLowerCase()}`));
  assert.ok(r.ok);
  if (r.sentence.type !== 'GGA') return assert.fail('not GGA');
  assert.equal(r.sentence.talker, 'GN');
  assert.equal(r.sentence.timeOfDayMs, 3723500);
  assert.ok(Math.abs((r.sentence.lat ?? 0) + (30 + 30.1234567 / 60)) < 1e-12);
  assert.ok(Math.abs((r.sentence.lon ?? 0) + (114 + 15.7654321 / 60)) < 1e-12);
  const empty = parseNmeaSentence(buildNmeaSentence('GPGGA,123519,,,,,0,00,,,M,,M,,'));
  assert.ok(empty.ok);
  if (empty.sentence.type === 'GGA') assert.equal(empty.sentence.lat, undefined);
  const gst = parseNmeaSentence(buildNmeaSentence('GPGST,123519.00,0.006,0.004,0.003,45.0,0.003,0.002,0.005'));
  assert.ok(gst.ok);
  if (gst.sentence.type === 'GST') assert.deepEqual([gst.sentence.sdLat, gst.sentence.sdLon, gst.sentence.sdAlt], [0.003, 0.002, 0.005]);
  const bd = parseNmeaSentence(buildNmeaSentence('BDRMC,123519,V,,,,,,,230394,,,N'));
  assert.ok(bd.ok);
  if (bd.sentence.type === 'RMC') assert.equal(bd.sentence.valid, false);
});

void test('bad checksum, missing checksum, malformed and unsupported lines are told apart', () => {
  const cases: [string, string][] = [
    [GGA.replace('*47', '*48'), 'bad_checksum'],
    [GGA.replace('545.4', '545.5'), 'bad_checksum'],
    [GGA.slice(0, -3), 'bad_checksum'],
    ['GPGGA,123519*47', 'malformed'],
    [buildNmeaSentence('GPGGA,123519,4807.038,X,01131.000,E,1,08,0.9,545.4,M,46.9,M,,'), 'malformed'],
    [buildNmeaSentence('GPGGA,123519,4867.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,'), 'malformed'],
    [buildNmeaSentence('GPGGA,253519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,'), 'malformed'],
    [buildNmeaSentence('GPGGA,123519,4807.038,N,01131.000,E,x,08,0.9,545.4,M,46.9,M,,'), 'malformed'],
    [buildNmeaSentence('GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,310294,003.1,W'), 'malformed'],
    [buildNmeaSentence('GPGSV,3,1,11,03,03,111,00'), 'unsupported'],
    ['', 'malformed'],
  ];
  for (const [line, reason] of cases) {
    const r = parseNmeaSentence(line);
    assert.equal(r.ok ? 'ok' : r.reason, reason, line);
  }
});

void test('formatLatLon writes 7-decimal minutes that parse back within 1e-9 degrees', () => {
  for (const deg of [28.6847123456, -0.0000001, 115.9999999999, -179.5]) {
    const isLat = Math.abs(deg) <= 90;
    const [text, hemi] = formatLatLon(deg, isLat);
    const body = isLat ? `GPGGA,000000,${text},${hemi},00000.000,E,4,10,0.5,1.0,M,0.0,M,,` : `GPGGA,000000,0000.000,N,${text},${hemi},4,10,0.5,1.0,M,0.0,M,,`;
    const r = parseNmeaSentence(buildNmeaSentence(body));
    assert.ok(r.ok, body);
    if (r.sentence.type !== 'GGA') return;
    const back = isLat ? r.sentence.lat : r.sentence.lon;
    assert.ok(Math.abs((back ?? NaN) - deg) < 1e-9, `${deg} → ${text} → ${back}`);
  }
});
