import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fastCheckReading, fastReadingJson, PointPathSchema, pointPathValid, ReadingSchema, REASON_CODES, type Reading } from './reading.ts';

const id = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/), fc.constantFrom('', 'a/b', 'x+y', '#', 'a b', 'ü', 'x'.repeat(65)));
const time = fc.oneof(fc.integer({ min: 946_684_800_000, max: 4_102_444_800_000 }), fc.constantFrom(0, -1, 1.5, 5_000_000_000_000, Number.NaN));
const value = fc.oneof(fc.double(), fc.boolean(), fc.string({ maxLength: 300 }), fc.constant(null), fc.constantFrom(Number.NaN, Infinity, -Infinity));
const readingLike = fc.record(
  {
    point: fc.oneof(fc.tuple(id, id, id).map(([a, b, c]) => `${a}/${b}/${c}`), fc.string()),
    value,
    unit: fc.string({ maxLength: 40 }),
    quality: fc.constantFrom('good', 'uncertain', 'bad', 'GOOD', ''),
    reason: fc.constantFrom(...REASON_CODES, 'nope'),
    detail: fc.string({ maxLength: 220 }),
    sourceTime: time,
    gatewayTime: time,
    historical: fc.oneof(fc.boolean(), fc.constant('yes')),
  },
  { requiredKeys: ['point', 'value', 'quality', 'sourceTime', 'gatewayTime'] },
);

test('fastCheckReading accepts exactly what ReadingSchema accepts, and returns the same clean object', () => {
  fc.assert(
    fc.property(readingLike, (r) => {
      const fast = fastCheckReading(r as unknown as Reading);
      const slow = ReadingSchema.safeParse(r);
      assert.equal(fast !== undefined, slow.success, JSON.stringify(r));
      if (fast && slow.success) assert.deepEqual(fast, slow.data);
    }),
    { numRuns: 3000 },
  );
});

test('fastReadingJson is exactly JSON.stringify of the clean copy, or undefined when invalid', () => {
  fc.assert(
    fc.property(readingLike, (r) => {
      const fast = fastCheckReading(r as unknown as Reading);
      assert.equal(fastReadingJson(r as unknown as Reading), fast === undefined ? undefined : JSON.stringify(fast));
    }),
    { numRuns: 3000 },
  );
});

test('fastCheckReading drops keys the schema does not know', () => {
  const r = { point: 's/d/p', value: 1, quality: 'good', sourceTime: 1_750_000_000_000, gatewayTime: 1_750_000_000_000, extra: 'x' } as unknown as Reading;
  assert.deepEqual(fastCheckReading(r), { point: 's/d/p', value: 1, quality: 'good', sourceTime: 1_750_000_000_000, gatewayTime: 1_750_000_000_000 });
});

test('pointPathValid agrees with PointPathSchema, including the edges of each segment and encoded or traversing paths', () => {
  const edges = [
    'a/b/c', `${'x'.repeat(64)}/${'y'.repeat(64)}/${'z'.repeat(64)}`, `${'x'.repeat(65)}/b/c`, `a/b/${'z'.repeat(65)}`,
    '', '/', '//', 'a//c', '/b/c', 'a/b/', 'a/b', 'a/b/c/d', 'a/b/c/', '../b/c', 'a/./c', 'a%2Fb/c/d', 'a/b/c%2F..', 'a/b/c\n',
    'a /b/c', 'ü/b/c', 'A-Z_09/d-1/p_2', 'a\u0000/b/c', 'a/b/c\u2028', '-/_/-',
  ];
  for (const p of edges) assert.equal(pointPathValid(p), PointPathSchema.safeParse(p).success, JSON.stringify(p));
  fc.assert(
    fc.property(fc.oneof(fc.tuple(id, id, id).map(([a, b, c]) => `${a}/${b}/${c}`), fc.string(), fc.stringMatching(/^[a-z/]{0,12}$/)), (p) => {
      assert.equal(pointPathValid(p), PointPathSchema.safeParse(p).success, JSON.stringify(p));
    }),
    { numRuns: 5000 },
  );
});
