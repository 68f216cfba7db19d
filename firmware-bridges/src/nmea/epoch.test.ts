import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NmeaBridgeSchema } from '../config.ts';
import { epochTimeMs, fixFromEpoch, type Epoch } from './epoch.ts';
import { parseNmeaSentence, buildNmeaSentence, type GgaSentence, type RmcSentence, type GstSentence } from './sentence.ts';

const cfg = NmeaBridgeSchema.parse({ kind: 'nmea', id: 'g', deviceId: 'gnss1', transport: { kind: 'tcp', host: '127.0.0.1', port: 1 }, baseline: { lat: 28, lon: 115, h: 50 }, maxSigmaMm: 10 });
const now = Date.UTC(2026, 5, 1, 12, 0, 0);
function sentence<T>(body: string): T {
  const r = parseNmeaSentence(buildNmeaSentence(body));
  if (!r.ok) throw new Error(r.detail);
  return r.sentence as T;
}
const gga = (fix: number, sats = 12, hdop = 0.8): GgaSentence => sentence(`GNGGA,120000.00,2800.0000000,N,11500.0000000,E,${fix},${sats},${hdop},20.0,M,30.0,M,1.0,0001`);
const epoch = (e: Partial<Epoch>): Epoch => ({ timeOfDayMs: 43_200_000, ...e });

void test('fix quality 4 good, 5 uncertain, others bad no_fix (DOMAIN.md §10)', () => {
  for (let q = 0; q <= 8; q += 1) {
    const fix = fixFromEpoch(epoch({ gga: gga(q) }), cfg, now);
    const want = q === 4 ? 'good' : q === 5 ? 'uncertain' : 'bad';
    assert.equal(fix?.quality, want, `fix ${q}`);
    if (want === 'bad') {
      assert.equal(fix?.reason, 'no_fix');
      assert.equal(fix?.position, undefined);
    }
  }
});

void test('RMC V makes the epoch bad; ellipsoidal height = altitude + geoid separation; time from RMC date', () => {
  const rmcV = sentence<RmcSentence>('GNRMC,120000.00,V,2800.0000000,N,11500.0000000,E,0.0,0.0,010626,,,N');
  assert.equal(fixFromEpoch(epoch({ gga: gga(4), rmc: rmcV }), cfg, now)?.quality, 'bad');
  const rmcA = sentence<RmcSentence>('GNRMC,120000.00,A,2800.0000000,N,11500.0000000,E,0.0,0.0,310526,,,R');
  const fix = fixFromEpoch(epoch({ gga: gga(4), rmc: rmcA }), cfg, now);
  assert.equal(fix?.quality, 'good');
  assert.equal(fix?.position?.h, 50);
  assert.equal(fix?.timeMs, Date.UTC(2026, 4, 31, 12), 'the RMC date wins over the gateway clock');
  assert.equal(fixFromEpoch(epoch({ rmc: rmcA }), cfg, now), undefined, 'no GGA, no fix');
});

void test('few satellites, high HDOP or a large GST sigma downgrade a good fix to uncertain', () => {
  assert.match(fixFromEpoch(epoch({ gga: gga(4, 3) }), cfg, now)?.detail ?? '', /3 satellites < 5/);
  assert.equal(fixFromEpoch(epoch({ gga: gga(4, 12, 6.5) }), cfg, now)?.quality, 'uncertain');
  const gst = sentence<GstSentence>('GNGST,120000.00,0.1,0.1,0.1,0,0.012,0.009,0.02');
  const f = fixFromEpoch(epoch({ gga: gga(4), gst }), cfg, now);
  assert.equal(f?.quality, 'uncertain');
  assert.equal(f?.reason, 'bridge_flag');
  const tight = sentence<GstSentence>('GNGST,120000.00,0.1,0.1,0.1,0,0.003,0.002,0.005');
  assert.equal(fixFromEpoch(epoch({ gga: gga(4), gst: tight }), cfg, now)?.quality, 'good');
});

void test('without a date the UTC day closest to the gateway clock is used (midnight rollover)', () => {
  const justAfterMidnight = Date.UTC(2026, 5, 2, 0, 0, 5);
  assert.equal(epochTimeMs(86_399_000, undefined, justAfterMidnight), Date.UTC(2026, 5, 1, 23, 59, 59));
  assert.equal(epochTimeMs(1000, undefined, Date.UTC(2026, 5, 1, 23, 59, 58)), Date.UTC(2026, 5, 2, 0, 0, 1));
});
