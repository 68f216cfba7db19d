import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BridgeConfigSchema } from './config.ts';
import { bridgePointLimits, bridgePointUnits } from './point-catalogue.ts';

const hj212 = {
  kind: 'hj212',
  id: 'env',
  listen: { port: 0 },
  loggers: [
    {
      mn: 'LOGGER01',
      password: '123456',
      deviceId: 'stack-1',
      points: [
        { code: 'a21026', pointId: 'so2', unit: 'mg/m3', limits: [{ level: 'H', direction: 'high', value: 35 }] },
        { code: 'a21026', field: 'Avg', pointId: 'so2_avg' },
      ],
    },
  ],
};

void test('defaults are filled in and documented values hold', () => {
  const b = BridgeConfigSchema.parse(hj212);
  assert.equal(b.kind, 'hj212');
  if (b.kind !== 'hj212') return;
  assert.equal(b.listen.host, '0.0.0.0');
  assert.equal(b.maxDataLength, 1024);
  assert.equal(b.utcOffsetMinutes, 480);
  assert.equal(b.loggers[0]?.points[0]?.field, 'Rtd');
  assert.equal(b.loggers[0]?.points[0]?.scale, 1);
  const n = BridgeConfigSchema.parse({ kind: 'nmea', id: 'g', deviceId: 'gnss', transport: { kind: 'serial', path: '/dev/ttyUSB0' }, baseline: { lat: 28, lon: 115, h: 40 } });
  if (n.kind !== 'nmea') return assert.fail('nmea');
  assert.deepEqual(n.points.map((p) => p.pointId), ['disp_e', 'disp_n', 'disp_u', 'disp_h', 'disp_h_rate']);
  assert.deepEqual(n.goodFixQualities, [4]);
  assert.equal(n.transport.kind === 'serial' ? n.transport.baudRate : 0, 9600);
});

void test('point limits and units keyed device/point, for every bridge kind', () => {
  const b = BridgeConfigSchema.parse(hj212);
  assert.deepEqual(bridgePointLimits(b), {
    'stack-1/so2': [{ level: 'H', direction: 'high', value: 35, deadband: 0, onDelaySec: 0, offDelaySec: 0 }],
    'stack-1/so2_avg': [],
  });
  assert.deepEqual(bridgePointUnits(b), { 'stack-1/so2': 'mg/m3' });
  const n = BridgeConfigSchema.parse({ kind: 'nmea', id: 'g', deviceId: 'gnss', transport: { kind: 'tcp', host: 'h', port: 1 }, baseline: { lat: 28, lon: 115, h: 40 }, rateUnit: 'mm/h', points: [{ quantity: 'upRate', pointId: 'settle', limits: [{ level: 'L', direction: 'low', value: -2 }] }] });
  assert.deepEqual(bridgePointUnits(n), { 'gnss/settle': 'mm/h' });
  assert.equal(bridgePointLimits(n)['gnss/settle']?.[0]?.value, -2);
  const l = BridgeConfigSchema.parse({ kind: 'line', id: 'l', deviceId: 'rain', transport: { kind: 'tcp', host: 'h', port: 1 }, parse: { kind: 'delimited' }, points: [{ pointId: 'mm', field: 0, unit: 'mm' }] });
  assert.deepEqual(bridgePointUnits(l), { 'rain/mm': 'mm' });
});

void test('invalid configs are rejected with the path of the problem', () => {
  const issues = (raw: unknown): string[] => {
    const r = BridgeConfigSchema.safeParse(raw);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  const dup = structuredClone(hj212) as typeof hj212;
  dup.loggers.push({ ...(dup.loggers[0] as (typeof hj212.loggers)[number]), deviceId: 'stack-2' });
  assert.ok(issues(dup).some((m) => m.startsWith('loggers.1.mn: duplicate logger MN')));
  assert.ok(issues({ ...hj212, listen: { port: 70000 } }).some((m) => m.startsWith('listen.port')));
  assert.ok(issues({ ...hj212, loggers: [{ mn: 'bad mn!', password: '1', deviceId: 'd', points: [{ code: 'a', pointId: 'p' }] }] }).some((m) => m.startsWith('loggers.0.mn')));
  assert.ok(issues({ kind: 'nmea', id: 'g', deviceId: 'gnss', transport: { kind: 'tcp', host: 'h', port: 1 }, baseline: { lat: 95, lon: 115, h: 40 } }).some((m) => m.startsWith('baseline.lat')));
  assert.ok(issues({ kind: 'modbus', id: 'x' }).length > 0);
});

void test('every YAML example in the README and the demo snippet validates', async () => {
  const { readFileSync } = await import('node:fs');
  const { parse } = await import('yaml');
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  assert.equal(blocks.length, 3);
  let bridges = 0;
  for (const block of blocks) {
    const doc = parse(block) as { bridges: unknown[] };
    for (const b of doc.bridges) {
      const r = BridgeConfigSchema.safeParse(b);
      assert.ok(r.success, JSON.stringify(r.error?.issues));
      bridges += 1;
    }
  }
  assert.equal(bridges, 4);
  const demo = parse(readFileSync(new URL('../examples/demo-tailings-gnss.yaml', import.meta.url), 'utf8')) as unknown[];
  assert.equal(demo.length, 1);
  assert.ok(BridgeConfigSchema.safeParse(demo[0]).success);
});
