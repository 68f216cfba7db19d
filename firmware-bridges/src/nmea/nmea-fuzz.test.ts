/**
 * Property tests over the NMEA parser and source: random and mutated sentences never throw, and a
 * line that fails an independent checksum check never parses and never yields a reading.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { silentLogger, systemClock, type Reading } from '@safeloop/contract';
import { NmeaBridgeSchema } from '../config.ts';
import { createCountingMetrics } from '../metrics.ts';
import { NmeaSource } from './nmea-source.ts';
import { buildNmeaSentence, parseNmeaSentence } from './sentence.ts';

/** Independent check: `$`, body, `*`, two hex digits equal to the XOR of the body's char codes. */
function checksumOk(line: string): boolean {
  const m = /^\$([^*]*)\*([0-9A-Fa-f]{2})$/.exec(line.trim());
  if (!m) return false;
  let x = 0;
  for (const ch of m[1] ?? '') x ^= ch.charCodeAt(0);
  return x === Number.parseInt(m[2] ?? '', 16);
}

const validLine = fc
  .record({
    type: fc.constantFrom('GGA', 'RMC', 'GST'),
    talker: fc.constantFrom('GP', 'GN', 'BD', 'GB'),
    hh: fc.integer({ min: 0, max: 23 }),
    latDeg: fc.integer({ min: 0, max: 89 }),
    latMin: fc.double({ min: 0, max: 59.999999, noNaN: true }),
    fix: fc.integer({ min: 0, max: 9 }),
  })
  .map(({ type, talker, hh, latDeg, latMin, fix }) => {
    const t = `${String(hh).padStart(2, '0')}1519.00`;
    const la = `${String(latDeg).padStart(2, '0')}${latMin.toFixed(7).padStart(10, '0')}`;
    if (type === 'GGA') return buildNmeaSentence(`${talker}GGA,${t},${la},N,11551.4767360,E,${fix},14,0.7,51.4500,M,-3.200,M,1.0,0001`);
    if (type === 'RMC') return buildNmeaSentence(`${talker}RMC,${t},${fix > 0 ? 'A' : 'V'},${la},N,11551.4767360,E,0.00,0.0,010626,,,R`);
    return buildNmeaSentence(`${talker}GST,${t},0.010,0.004,0.003,45.0,0.003,0.002,0.005`);
  });

const mutate = (line: string, at: number, ch: string, kind: number): string => {
  const i = at % (line.length + 1);
  if (kind === 0) return line.slice(0, i) + ch + line.slice(i + 1);
  if (kind === 1) return line.slice(0, i) + line.slice(i + 1);
  return line.slice(0, i) + ch + line.slice(i);
};

void test('random strings never throw; nothing parses without a valid checksum', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 120 }), (s) => {
      const r = parseNmeaSentence(s);
      if (r.ok) assert.ok(checksumOk(s));
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.array(fc.constantFrom('$', 'GP', 'GGA', ',', '*', '47', '4807.038', 'N', '1', '.', '', 'A'), { maxLength: 30 }), (parts) => {
      const s = parts.join('');
      const r = parseNmeaSentence(s);
      if (r.ok) assert.ok(checksumOk(s));
    }),
    { numRuns: 2000 },
  );
});

void test('mutated valid sentences: parse only when the independent checksum holds', () => {
  fc.assert(
    fc.property(validLine, fc.nat(), fc.char(), fc.integer({ min: 0, max: 2 }), (line, at, ch, kind) => {
      assert.ok(parseNmeaSentence(line).ok && checksumOk(line), `valid line must parse: ${line}`);
      const bad = mutate(line, at, ch, kind);
      const r = parseNmeaSentence(bad);
      if (r.ok) assert.ok(checksumOk(bad), bad);
    }),
    { numRuns: 3000 },
  );
});

void test('a source fed only lines that fail their checksum emits no reading and counts every line', async () => {
  const lines = fc
    .sample(fc.tuple(validLine, fc.nat(), fc.char(), fc.integer({ min: 0, max: 2 })), { numRuns: 400, seed: 212 })
    .map(([line, at, ch, kind]) => mutate(line, at, ch, kind))
    .filter((l) => !checksumOk(l));
  assert.ok(lines.length > 300);
  const readings: Reading[] = [];
  const metrics = createCountingMetrics();
  const config = NmeaBridgeSchema.parse({ kind: 'nmea', id: 'fuzz', deviceId: 'gnss', transport: { kind: 'tcp', host: '127.0.0.1', port: 1 }, baseline: { lat: 28, lon: 115, h: 50 } });
  const source = new NmeaSource({ config, site: 's', logger: silentLogger, clock: systemClock, sink: (r) => readings.push(...r), metrics });
  for (const l of lines) source.onLine(l);
  await new Promise((r) => setTimeout(r, 400)); // past the epoch settle time
  assert.equal(readings.length, 0);
  const counted = metrics.get('bridge_rejected_total') + metrics.get('bridge_ignored_total');
  assert.equal(counted, lines.length);
  await source.stop();
});
