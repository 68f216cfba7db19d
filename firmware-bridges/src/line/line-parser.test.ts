import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineBridgeSchema } from '../config.ts';
import { makeLineParser } from './line-parser.ts';

const base = { kind: 'line', id: 'l', deviceId: 'gauge', transport: { kind: 'tcp', host: '127.0.0.1', port: 1 } } as const;

void test('regex with named groups: scale, offset, range, decode errors', () => {
  const cfg = LineBridgeSchema.parse({
    ...base,
    parse: { kind: 'regex', pattern: '^LVL\\s+(?<level>\\S+)\\s+m\\s+T=(?<temp>\\S+)$' },
    points: [
      { pointId: 'level', group: 'level', unit: 'm', scale: 0.01, offset: 100, range: { min: 100, max: 120 } },
      { pointId: 'temp', group: 'temp', unit: 'Cel' },
    ],
  });
  const parse = makeLineParser(cfg);
  const ok = parse('LVL 1234 m T=21.5');
  assert.ok(ok.ok);
  assert.deepEqual(ok.values.map((v) => [v.point.pointId, v.ruled.value, v.ruled.quality]), [['level', 112.34, 'good'], ['temp', 21.5, 'good']]);
  const out = parse('LVL 9999 m T=abc');
  assert.ok(out.ok);
  assert.deepEqual(out.values.map((v) => [v.ruled.quality, v.ruled.reason]), [['bad', 'out_of_range'], ['bad', 'decode_error']]);
  assert.equal(out.values[1]?.ruled.value, null, 'junk is never coerced to 0');
  const none = parse('garbage');
  assert.equal(none.ok ? 'ok' : none.reason, 'no_match');
});

void test('delimited with field positions, prefix and field count', () => {
  const cfg = LineBridgeSchema.parse({
    ...base,
    parse: { kind: 'delimited', delimiter: ';', prefix: 'P:', fieldCount: 3 },
    points: [
      { pointId: 'pressure', field: 1, unit: 'kPa' },
      { pointId: 'flow', field: 2, unit: 'L/s', scale: 1000 },
    ],
  });
  const parse = makeLineParser(cfg);
  const r = parse('P:A01; 101.3 ;0.0042');
  assert.ok(r.ok);
  assert.deepEqual(r.values.map((v) => v.ruled.value), [101.3, 4.2]);
  const short = parse('P:A01;101.3');
  assert.equal(short.ok ? 'ok' : short.reason, 'field_count');
  const other = parse('Q:A01;1;2');
  assert.equal(other.ok ? 'ok' : other.reason, 'ignored');
  const lenient = makeLineParser(LineBridgeSchema.parse({ ...base, parse: { kind: 'delimited' }, points: [{ pointId: 'x', field: 4 }] }))('1,2');
  assert.ok(lenient.ok);
  assert.equal(lenient.values[0]?.ruled.reason, 'short_frame');
});

void test('config errors name the problem: bad regex, unknown group, wrong addressing', () => {
  const bad = (over: Record<string, unknown>): string => {
    const r = LineBridgeSchema.safeParse({ ...base, ...over });
    assert.equal(r.success, false);
    return r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n') ?? '';
  };
  assert.match(bad({ parse: { kind: 'regex', pattern: '(?<a>' }, points: [{ pointId: 'a', group: 'a' }] }), /parse\.pattern: invalid regular expression/);
  assert.match(bad({ parse: { kind: 'regex', pattern: '(?<a>\\d+)' }, points: [{ pointId: 'a', group: 'b' }] }), /points\.0\.group: pattern has no named group b/);
  assert.match(bad({ parse: { kind: 'delimited' }, points: [{ pointId: 'a', group: 'a' }] }), /points\.0\.field: delimited parsing needs a field position/);
  assert.match(bad({ parse: { kind: 'delimited' }, points: [{ pointId: 'a', field: 1, group: 'a' }] }), /give exactly one of group or field/);
  assert.match(bad({ parse: { kind: 'delimited' }, points: [{ pointId: 'a', field: 1 }, { pointId: 'a', field: 2 }] }), /duplicate point id a/);
});
