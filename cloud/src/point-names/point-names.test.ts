/**
 * Point names: registered names win, profile names fill the gaps, each half of a bilingual title stays
 * in its language. The catalog is the real one (library + a site folder); the registry and the desired
 * configurations are small in-memory stand-ins (the real path is cloud/test/names/).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@safeloop/contract';
import { ProfileCatalog } from '@safeloop/device-profiles';
import { chineseTitle, splitBilingualTitle } from '../alarms/title.ts';
import { limitAlarmTitle } from '../ingest/edge-alarms.ts';
import { namedTitle } from './named-title.ts';
import { PointNames, deviceLabel } from './point-names.ts';
import type { PointInfo } from '../tenancy/registry.ts';

const SITE_PROFILE = `id: acme-pt9
name: { zh: ACME PT-9 压力变送器, en: ACME PT-9 pressure transmitter }
sector: hazchem
protocol: modbus
points:
  - { id: pressure, name: { zh: 管道压力, en: Line pressure }, table: holding, address: 0, type: uint16, scale: 0.01, unit: MPa, range: { min: 0, max: 4 } }
`;

function setup(registered: PointInfo[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'safeloop-names-'));
  writeFileSync(join(dir, 'acme-pt9.yaml'), SITE_PROFILE);
  const configs = new Map<string, unknown>([
    [
      'gw-1',
      {
        gateway: { id: 'gw-1', siteId: 'tank-farm' },
        devices: [
          { id: 'gas-01', name: '1号罐区 可燃气体探测器', profile: 'generic-catalytic-lel' },
          { id: 'pt-01', name: 'Line A PT', profile: 'acme-pt9' },
          { id: 'odd-01', profile: 'no-such-profile' },
        ],
      },
    ],
  ]);
  let reads = 0;
  let now = 0;
  const names = new PointNames({
    registry: {
      getPoint: (path) => Promise.resolve(registered.find((p) => p.path === path)),
    },
    desiredOfSite: (siteId) => {
      const gateways = siteId === 'tank-farm' ? ['gw-1'] : [];
      reads += gateways.length;
      return Promise.resolve(gateways.flatMap((gatewayId) => (configs.has(gatewayId) ? [{ gatewayId, config: configs.get(gatewayId) }] : [])));
    },
    catalog: ProfileCatalog.load({ dirs: [dir] }),
    clock: { now: () => now, monotonic: () => now },
    logger: silentLogger,
    cacheMs: 1000,
  });
  return { names, reads: () => reads, advance: (ms: number) => (now += ms), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

void test('a profiled device point is named from its profile: device name and id, point name, unit, range', async () => {
  const s = setup();
  try {
    const l = await s.names.label('tank-farm/gas-01/gas');
    assert.ok(l);
    assert.equal(l.zh, '1号罐区 可燃气体探测器 gas-01 · 可燃气体浓度');
    assert.equal(l.en, 'gas-01 · Combustible gas concentration', 'a Chinese device name stays out of the English label');
    assert.equal(l.unit, '%LEL');
    assert.deepEqual(l.range, { min: 0, max: 100 });
    assert.equal(l.source, 'profile');
    const pt = await s.names.label('tank-farm/pt-01/pressure');
    assert.equal(pt?.en, 'Line A PT pt-01 · Line pressure', 'a site folder profile, and a Latin device name kept in English');
    assert.equal(pt?.unit, 'MPa');
    assert.equal(await s.names.label('tank-farm/gas-01/nope'), undefined, 'a point the profile lacks');
    assert.equal(await s.names.label('tank-farm/odd-01/x'), undefined, 'a profile the cloud does not know');
    assert.equal(await s.names.label('tank-farm/ghost/gas'), undefined, 'a device no configuration lists');
    assert.equal(await s.names.label('not-a-path'), undefined);
  } finally {
    s.cleanup();
  }
});

void test('a registered name wins; a Chinese one leaves the English half to the profile', async () => {
  const s = setup([
    { path: 'tank-farm/gas-01/gas', siteId: 'tank-farm', name: '罐区东侧 LEL 探头' },
    { path: 'tank-farm/pt-01/pressure', siteId: 'tank-farm', name: 'East header pressure' },
    { path: 'tank-farm/loose/x', siteId: 'tank-farm', profileId: 'generic-h2s-ec' },
  ]);
  try {
    const gas = await s.names.label('tank-farm/gas-01/gas');
    assert.equal(gas?.zh, '罐区东侧 LEL 探头');
    assert.equal(gas?.en, 'gas-01 · Combustible gas concentration');
    assert.equal(gas?.source, 'registry');
    const pt = await s.names.label('tank-farm/pt-01/pressure');
    assert.equal(pt?.zh, 'East header pressure');
    assert.equal(pt?.en, 'East header pressure');
    assert.equal(await s.names.label('tank-farm/loose/x'), undefined, 'registered profile id, but the profile has no point x');
  } finally {
    s.cleanup();
  }
});

void test('titles: each half of a bilingual title gets its language; one-language titles theirs; others unchanged', async () => {
  const s = setup();
  try {
    const raw = limitAlarmTitle('GAS_2', 'tank-farm/gas-01/gas');
    const named = await s.names.title(raw, 'tank-farm/gas-01/gas');
    assert.equal(raw, '二级报警 / Level 2 alarm: tank-farm/gas-01/gas');
    assert.equal(named, '二级报警：1号罐区 可燃气体探测器 gas-01 · 可燃气体浓度 / Level 2 alarm: gas-01 · Combustible gas concentration');
    assert.deepEqual(splitBilingualTitle(named), { zh: '二级报警：1号罐区 可燃气体探测器 gas-01 · 可燃气体浓度', en: 'Level 2 alarm: gas-01 · Combustible gas concentration' });
    assert.equal(chineseTitle(named), '二级报警：1号罐区 可燃气体探测器 gas-01 · 可燃气体浓度', 'SMS get the Chinese half, with the point');
    const label = { zh: '甲 · 乙', en: 'A · B' };
    assert.equal(namedTitle('储罐高报: s/d/p', 's/d/p', label), '储罐高报: 甲 · 乙');
    assert.equal(namedTitle('Rate of change s/d/p', 's/d/p', label), 'Rate of change A · B');
    assert.equal(namedTitle('Gateway gw-1 offline', 's/d/p', label), 'Gateway gw-1 offline');
    assert.equal(namedTitle('高报 s/d/p / High s/d/p', 's/d/p', { zh: '甲', en: '甲' }), '高报 甲 / High s/d/p', 'a Chinese label never enters the English half');
    assert.equal(namedTitle('数据中断 s/d/p：超时 / No fresh data s/d/p: timeout', 's/d/p', label), '数据中断 甲 · 乙：超时 / No fresh data A · B: timeout');
    assert.equal(await s.names.title('Rate of change tank-farm/ghost/x', 'tank-farm/ghost/x'), 'Rate of change tank-farm/ghost/x');
  } finally {
    s.cleanup();
  }
});

void test('site points: registered first (filled from the profile), then every point of every profiled device', async () => {
  const s = setup([{ path: 'tank-farm/gas-01/gas', siteId: 'tank-farm', name: '罐区东侧 LEL 探头' }, { path: 'tank-farm/pt-01/pressure', siteId: 'tank-farm' }]);
  try {
    const points = await s.names.sitePoints('tank-farm', [
      { path: 'tank-farm/gas-01/gas', siteId: 'tank-farm', name: '罐区东侧 LEL 探头' },
      { path: 'tank-farm/pt-01/pressure', siteId: 'tank-farm' },
    ]);
    const by = new Map(points.map((p) => [p.path, p]));
    assert.equal(by.get('tank-farm/gas-01/gas')?.name, '罐区东侧 LEL 探头');
    assert.equal(by.get('tank-farm/gas-01/gas')?.nameSource, 'registry');
    assert.deepEqual(by.get('tank-farm/gas-01/gas')?.names, { zh: '罐区东侧 LEL 探头', en: 'Combustible gas concentration' });
    assert.equal(by.get('tank-farm/pt-01/pressure')?.name, '管道压力');
    assert.equal(by.get('tank-farm/pt-01/pressure')?.unit, 'MPa');
    assert.equal(by.get('tank-farm/pt-01/pressure')?.nameSource, 'profile');
    assert.equal(by.get('tank-farm/gas-01/sensorLife')?.name, '传感器剩余寿命');
    assert.equal(by.get('tank-farm/gas-01/sensorLife')?.profileId, 'generic-catalytic-lel');
    assert.ok(![...by.keys()].some((p) => p.startsWith('tank-farm/odd-01/')), 'no points for an unknown profile');
    assert.deepEqual(points.map((p) => p.path), [...points.map((p) => p.path)].sort());
  } finally {
    s.cleanup();
  }
});

void test('desired configurations are read once per cache period per site', async () => {
  const s = setup();
  try {
    await s.names.label('tank-farm/gas-01/gas');
    await s.names.label('tank-farm/pt-01/pressure');
    assert.equal(s.reads(), 1);
    s.advance(1001);
    await s.names.label('tank-farm/gas-01/gas');
    assert.equal(s.reads(), 2);
  } finally {
    s.cleanup();
  }
});

void test('deviceLabel does not repeat an id the device name already holds', () => {
  assert.deepEqual(deviceLabel({ id: 'GT-101', name: '罐区可燃气体探测器 GT-101' }, { zh: '浓度', en: 'Gas' }), { zh: '罐区可燃气体探测器 GT-101 · 浓度', en: 'GT-101 · Gas' });
  assert.deepEqual(deviceLabel({ id: 'd1' }, { zh: '浓度', en: 'Gas' }), { zh: 'd1 · 浓度', en: 'd1 · Gas' });
});
