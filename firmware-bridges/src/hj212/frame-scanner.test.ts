import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildHj212Frame } from './frame.ts';
import { Hj212FrameScanner, type ScanEvent } from './frame-scanner.ts';

const F1 = buildHj212Frame('ST=32;CN=2011;PW=123456;MN=A1;CP=&&DataTime=20210305003817;a21028-Rtd=1&&');
const F2 = buildHj212Frame('ST=32;CN=2011;PW=123456;MN=A1;CP=&&DataTime=20210305003818;a21028-Rtd=2&&');
const frames = (evs: ScanEvent[]): string[] => evs.flatMap((e) => (e.type === 'frame' ? [e.bytes.toString()] : []));
const kinds = (evs: ScanEvent[]): string[] => evs.map((e) => (e.type === 'reject' ? e.reason : e.type));

void test('frames fed one byte at a time come out whole', () => {
  const s = new Hj212FrameScanner(1024);
  const out: ScanEvent[] = [];
  for (const b of Buffer.from(F1 + F2)) out.push(...s.push(Buffer.from([b])));
  assert.deepEqual(frames(out), [F1, F2]);
  assert.equal(s.buffered, 0);
});

void test('garbage before and between frames is reported and skipped', () => {
  const s = new Hj212FrameScanner(1024);
  const out = s.push(Buffer.from(`hello${F1}\r\nxx${F2}`));
  assert.deepEqual(frames(out), [F1, F2]);
  assert.deepEqual(kinds(out), ['garbage', 'frame', 'garbage', 'frame']);
});

void test('a frame cut short by the next ## is rejected as truncated; the next one survives', () => {
  const s = new Hj212FrameScanner(1024);
  const out = s.push(Buffer.from(F1.slice(0, 30) + F2));
  assert.deepEqual(kinds(out), ['truncated', 'frame']);
  assert.deepEqual(frames(out), [F2]);
});

void test('an oversize declared length or a frame without CRLF is rejected once, the rest skipped, buffer bounded', () => {
  const s = new Hj212FrameScanner(128);
  const big = `##0999${'x'.repeat(500)}\r\n`;
  const out = [...s.push(Buffer.from(big)), ...s.push(Buffer.from(F1))];
  assert.deepEqual(kinds(out), ['oversize', 'frame']);
  const s2 = new Hj212FrameScanner(128);
  const out2: ScanEvent[] = [];
  for (let i = 0; i < 50; i += 1) out2.push(...s2.push(Buffer.from(i === 0 ? '##0100' : 'y'.repeat(100))));
  assert.ok(s2.buffered <= 128 + 12, `buffered ${s2.buffered}`);
  assert.deepEqual(kinds(out2), ['oversize']);
  assert.deepEqual(frames(s2.push(Buffer.from(F2))), [F2]);
});

void test('a bad header is rejected and scanning resumes', () => {
  const s = new Hj212FrameScanner(1024);
  assert.deepEqual(kinds(s.push(Buffer.from(`##ab12${F1}`))), ['bad_header', 'garbage', 'frame']);
});

void test('a value containing ## is kept whole when the length field counts bytes', () => {
  const s = new Hj212FrameScanner(1024);
  const odd = buildHj212Frame('ST=32;CN=2011;PW=123456;MN=A1;CP=&&DataTime=20210305003817;note=a##b&&');
  const out: ScanEvent[] = [];
  for (const b of Buffer.from(odd + F1)) out.push(...s.push(Buffer.from([b])));
  assert.deepEqual(frames(out), [odd, F1]);
});
