/**
 * CPU of the telemetry hot path between a poll and its v2 payload, without SQLite (issue 20, round 4):
 * per-reading JSON as the journal stored it up to schema 3 (one fastReadingJson per reading, joined by
 * newlines; the v2 encoder split, parsed and rebuilt the columns with segmentOf) against the columnar
 * row text stored since schema 4 (columnsText once per row; the encoder splices it in as it is).
 * Rows of 500 readings, polls of 1,000 holding registers (two-decimal values, unit, 1 % bad with a
 * reason), plain JSON (deflate off, as on mqtt); CPU time from process.cpuUsage, rounds interleaved.
 *
 *   node --import tsx gateway/bench/journal-columns.bench.ts [devices=40] [rounds=5]
 */
import { encodeTelemetryV2, encodeTelemetryV2Json, fastReadingJson, segmentOf } from '@safeloop/contract';
import type { Reading, SegmentReading } from '@safeloop/contract';
import { columnsText } from '../src/journal/index.ts';

const devices = Number(process.argv[2] ?? 40);
const rounds = Number(process.argv[3] ?? 5);
const ROW = 500;
const ID = '01JD0000000000000000000000';
const T = Date.now();

const polls: Reading[][] = Array.from({ length: devices }, (_, d) =>
  Array.from({ length: 1000 }, (_, i): Reading => {
    const bad = i % 100 === 0;
    return {
      point: `site1/dev${d}/hr${i}`,
      value: bad ? null : Math.round(Math.random() * 10000) / 100,
      unit: 'bar',
      quality: bad ? 'bad' : 'good',
      ...(bad ? { reason: 'timeout' as const } : {}),
      sourceTime: T + d,
      gatewayTime: T + d + 3,
    };
  }),
);

function perReadingJson(): number {
  let bytes = 0;
  for (const p of polls) {
    for (let from = 0; from < p.length; from += ROW) {
      const stored = p.slice(from, from + ROW).map((r) => fastReadingJson(r)!).join('\n');
      const readings = JSON.parse(`[${stored.split('\n').join(',')}]`) as SegmentReading[];
      bytes += encodeTelemetryV2('gw', [segmentOf(1, ID, readings, false)], { deflate: false }).byteLength;
    }
  }
  return bytes;
}

function columnar(): number {
  let bytes = 0;
  for (const p of polls) {
    for (let from = 0; from < p.length; from += ROW) {
      const stored = columnsText(p, from, Math.min(p.length, from + ROW));
      const segments = `[{"seq":1,"id":"${ID}",${stored.slice(1, -1)}}]`;
      bytes += encodeTelemetryV2Json('gw', { firstSeq: 1, lastSeq: ROW, count: ROW }, segments, { deflate: false }).byteLength;
    }
  }
  return bytes;
}

const results: Record<string, number[]> = { perReadingJson: [], columnar: [] };
for (let r = 0; r < rounds; r++) {
  for (const [name, f] of [['perReadingJson', perReadingJson], ['columnar', columnar]] as const) {
    const c0 = process.cpuUsage();
    let bytes = 0;
    for (let k = 0; k < 10; k++) bytes += f();
    const c = process.cpuUsage(c0);
    results[name]!.push((c.user + c.system) / 1000 / 10);
    if (r === 0) console.log(`${name}: ${(bytes / 10 / (devices * 1000)).toFixed(1)} B/reading on the wire`);
  }
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const [name, xs] of Object.entries(results)) {
  console.log(`${name}: median ${median(xs).toFixed(1)} ms CPU per ${devices * 1000} readings (rounds: ${xs.map((x) => x.toFixed(1)).join(', ')})`);
}
