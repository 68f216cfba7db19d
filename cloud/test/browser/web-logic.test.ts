/**
 * The dashboard's pure logic (no DOM): alarm order on the desk, flood grouping, live-update
 * filtering, which buttons a role gets, and which outlines the map draws for a region code.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
// @ts-expect-error plain ES module shipped to the browser, no type declarations
import { compareAlarms, groupAlarms, matchesFilter, colourOf } from '../../web/alarm-model.js';
// @ts-expect-error plain ES module shipped to the browser
import { actionsFor, remarksFor, isRegulator } from '../../web/roles.js';
// @ts-expect-error plain ES module shipped to the browser
import { mapScope } from '../../web/charts.js';

interface A {
  id: string;
  level?: string | null;
  colour?: string | null;
  raisedAt: number;
  state?: string;
  groupId?: string | null;
  siteId?: string;
}

const a = (id: string, level: string | null, colour: string | null, raisedAt: number, extra: Partial<A> = {}): A => ({ id, level, colour, raisedAt, state: 'pushed', groupId: null, siteId: 's1', ...extra });

void test('most severe first, newest first within one severity', () => {
  const list = [a('old-gas2', 'GAS_2', null, 1), a('new-gas1', 'GAS_1', null, 9), a('red', null, 'red', 2), a('new-gas2', 'GAS_2', null, 5), a('blue', 'H', null, 10)];
  assert.deepEqual(
    list.sort(compareAlarms).map((x) => x.id),
    ['red', 'new-gas2', 'old-gas2', 'new-gas1', 'blue'],
  );
});

void test('a level without a colour gets its default colour (GAS_2 → orange, GAS_1 → yellow)', () => {
  assert.equal(colourOf(a('x', 'GAS_2', null, 1)), 'orange');
  assert.equal(colourOf(a('x', 'GAS_1', null, 1)), 'yellow');
  assert.equal(colourOf(a('x', 'GAS_1', 'red', 1)), 'red');
});

void test('a flood collapses under its first (most severe) member; ungrouped alarms stay apart', () => {
  const sorted = [a('1', 'GAS_2', null, 3, { groupId: 'g' }), a('2', 'GAS_1', null, 5), a('3', 'GAS_1', null, 2, { groupId: 'g' }), a('4', 'H', null, 1, { groupId: 'g' })];
  const groups = groupAlarms(sorted) as { head: A; rest: A[] }[];
  assert.deepEqual(
    groups.map((g) => [g.head.id, g.rest.map((x) => x.id)]),
    [
      ['1', ['3', '4']],
      ['2', []],
    ],
  );
});

void test('a live update belongs in the list only when it matches the filter', () => {
  assert.equal(matchesFilter(a('1', 'GAS_2', null, 1), { state: 'open' }), true);
  assert.equal(matchesFilter(a('1', 'GAS_2', null, 1, { state: 'closed' }), { state: 'open' }), false);
  assert.equal(matchesFilter(a('1', 'GAS_2', null, 1, { state: 'closed' }), { state: 'closed' }), true);
  assert.equal(matchesFilter(a('1', 'GAS_2', null, 1), { state: 'all', siteId: 's2' }), false);
  assert.equal(matchesFilter(a('1', 'GAS_2', null, 1), { state: 'all', level: 'GAS_1' }), false);
});

void test('buttons follow the state and the role (operators handle, monitors review)', () => {
  const operator = { role: 'enterprise_operator', enterpriseId: 'e1' };
  const county = { role: 'county_monitor', regionCode: '360102' };
  assert.deepEqual(actionsFor({ state: 'pushed' }, operator), ['acknowledge']);
  assert.deepEqual(actionsFor({ state: 'pushed' }, county), []);
  assert.deepEqual(actionsFor({ state: 'acknowledged' }, operator), ['start-handling', 'feedback', 'handover']);
  assert.deepEqual(actionsFor({ state: 'feedback_submitted', reviewRequired: true }, operator), []);
  assert.deepEqual(actionsFor({ state: 'feedback_submitted', reviewRequired: true }, county), ['review']);
  assert.deepEqual(actionsFor({ state: 'feedback_submitted', reviewRequired: false }, operator), ['close']);
  assert.deepEqual(actionsFor({ state: 'reviewed' }, county), ['close']);
  assert.deepEqual(actionsFor({ state: 'closed' }, county), []);
  assert.deepEqual(actionsFor({ state: 'pushed' }, { role: 'enterprise_manager', enterpriseId: 'e1' }), ['acknowledge', 'shelve']);
  assert.equal(isRegulator(county), true);
  assert.equal(isRegulator(operator), false);
  // a shelved alarm is not offered 搁置 again; remarks (督办 for monitors, comments) on open alarms only
  assert.deepEqual(actionsFor({ state: 'pushed', shelveKind: 'shelved' }, { role: 'enterprise_manager', enterpriseId: 'e1' }), ['acknowledge']);
  assert.deepEqual(remarksFor({ state: 'pushed' }, county), ['urge', 'comment']);
  assert.deepEqual(remarksFor({ state: 'pushed' }, operator), ['comment']);
  assert.deepEqual(remarksFor({ state: 'closed' }, county), []);
});

void test('the map draws a province whole, a city whole, and a county inside its city', () => {
  assert.deepEqual(mapScope('36'), { prefix: '36', highlight: null });
  assert.deepEqual(mapScope('360000'), { prefix: '36', highlight: null });
  assert.deepEqual(mapScope('3601'), { prefix: '3601', highlight: null });
  assert.deepEqual(mapScope('360100'), { prefix: '3601', highlight: null });
  assert.deepEqual(mapScope('360102'), { prefix: '3601', highlight: '360102' });
  assert.equal(mapScope('abc'), null);
  assert.equal(mapScope(undefined), null);
});

void test('Chinese and English carry the same keys, and the domain words are exact', async () => {
  // @ts-expect-error plain ES module shipped to the browser
  const { DICTS } = (await import('../../web/i18n.js')) as { DICTS: Record<'zh' | 'en', Record<string, string>> };
  assert.deepEqual(Object.keys(DICTS.en).sort(), Object.keys(DICTS.zh).sort());
  assert.equal(DICTS.zh.level_GAS_1, '一级报警');
  assert.equal(DICTS.zh.level_GAS_2, '二级报警');
  assert.deepEqual([DICTS.zh.colour_red, DICTS.zh.colour_orange, DICTS.zh.colour_yellow, DICTS.zh.colour_blue], ['红', '橙', '黄', '蓝']);
  assert.equal(DICTS.zh.type_tailings, '尾矿库');
  assert.match(DICTS.zh.type_hazchem ?? '', /重大危险源/);
});

void test('the shipped outlines cover the demo counties with well-formed polygons', async () => {
  const { readFile } = await import('node:fs/promises');
  const geo = JSON.parse(await readFile(new URL('../../web/geo/jiangxi-counties.json', import.meta.url), 'utf8')) as {
    features: { id: string; properties: { name: string }; geometry: { type: string; coordinates: number[][][][] } }[];
  };
  const ids = new Set(geo.features.map((f) => f.id));
  for (const code of ['360102', '360111', '360121', '360402']) assert.ok(ids.has(code), `outline for ${code}`);
  for (const f of geo.features) {
    assert.equal(f.geometry.type, 'MultiPolygon', f.id);
    assert.ok(f.geometry.coordinates.length > 0, `${f.id} has a polygon`);
    for (const poly of f.geometry.coordinates) {
      for (const ring of poly) {
        assert.ok(ring.length >= 4, `${f.id}: ring of ${ring.length} points`);
        for (const [lon, lat] of ring) assert.ok(lon! > 113 && lon! < 119 && lat! > 24 && lat! < 31, `${f.id}: ${lon},${lat} inside Jiangxi`);
      }
    }
  }
});

void test('a trend draws the limits of the limit rules that select its point', async () => {
  // @ts-expect-error plain ES module shipped to the browser
  const { ruleApplies } = (await import('../../web/views/limits.js')) as { ruleApplies: (r: unknown, s: unknown, rel: string) => boolean };
  const rule = { id: 'lel', kind: 'limit', points: ['gas-*/lel'], siteTypes: ['hazchem'], limits: [] };
  const tank = { id: 'tank-farm', type: 'hazchem' };
  assert.equal(ruleApplies(rule, tank, 'gas-1/lel'), true);
  assert.equal(ruleApplies(rule, tank, 'gas-1/h2s'), false);
  assert.equal(ruleApplies(rule, tank, 'xgas-1/lel'), false, 'a glob matches the whole segment');
  assert.equal(ruleApplies(rule, { id: 'pond', type: 'tailings' }, 'gas-1/lel'), false, 'other site types');
  assert.equal(ruleApplies({ ...rule, sites: ['pond'] }, tank, 'gas-1/lel'), false, 'listed sites win over types');
  assert.equal(ruleApplies({ ...rule, enabled: false }, tank, 'gas-1/lel'), false);
  assert.equal(ruleApplies({ ...rule, kind: 'rate' }, tank, 'gas-1/lel'), false);
});

void test('annunciation: severe unacknowledged alarms sound for the enterprise, for a monitor once escalated to them', async () => {
  // @ts-expect-error plain ES module shipped to the browser
  const { needsAnnunciation, announceKey, tabTitle } = await import('../../web/annunciation-model.js');
  const op = { role: 'enterprise_operator' };
  const county = { role: 'county_monitor' };
  const gas2 = { id: 'x', level: 'GAS_2', colour: null, state: 'pushed', escalationLevel: 0, reactivations: 0, shelveKind: null };
  assert.equal(needsAnnunciation(gas2, op), true);
  assert.equal(needsAnnunciation({ ...gas2, level: 'GAS_1' }, op), false, '一级报警 does not sound');
  assert.equal(needsAnnunciation({ ...gas2, level: 'H', colour: 'red' }, op), true, '红 sounds whatever the level');
  assert.equal(needsAnnunciation({ ...gas2, state: 'acknowledged' }, op), false, 'acknowledged is quiet');
  assert.equal(needsAnnunciation({ ...gas2, shelveKind: 'shelved' }, op), false, 'shelved is quiet');
  assert.equal(needsAnnunciation(gas2, county), false, 'not yet at the county');
  assert.equal(needsAnnunciation({ ...gas2, escalationLevel: 3 }, county), true);
  assert.equal(needsAnnunciation(gas2, { role: 'field_technician' }), false);
  assert.notEqual(announceKey(gas2), announceKey({ ...gas2, reactivations: 1 }), 'a return to alarm is announced again');
  assert.equal(tabTitle(0, 'SafeLoop', '2 条报警未确认', true), 'SafeLoop');
  assert.equal(tabTitle(2, 'SafeLoop', '2 条报警未确认', true), '(2) 2 条报警未确认');
  assert.equal(tabTitle(2, 'SafeLoop', '2 条报警未确认', false), '(2) SafeLoop');
});

void test('the record reads as sentences with names: escalation, who was notified, 督办, handover, a refusal by its code', async () => {
  // @ts-expect-error plain ES module shipped to the browser
  const { auditSentence, auditNote } = (await import('../../web/audit-words.js')) as { auditSentence: (e: unknown, p: unknown, a?: unknown) => string; auditNote: (e: unknown) => string | null };
  const people = { county: { name: '东湖区应急管理局', role: 'county_monitor' }, operator: { name: '值班员 王', role: 'enterprise_operator' }, U2: { name: '技术负责人 李', role: 'enterprise_manager' } };
  const e = (action: string, actorName: string, details: Record<string, unknown> = {}, outcome = 'ok'): unknown => ({ action, actorName, details, outcome, at: 0 });
  assert.equal(auditSentence(e('escalated', 'timer', { escalationLevel: { from: 2, to: 3 } }), people), '报警升级至县级');
  assert.equal(auditSentence(e('notified', 'system', { reason: 'urged', recipients: ['operator', 'ghost'] }), people), '通知了 值班员 王、ghost（督办）');
  assert.equal(auditSentence(e('notified', 'notifier', { reason: 'escalated', recipients: [] }), people), '无人可通知（报警升级）');
  assert.match(auditSentence(e('urge', 'county', { note: '立即排查', dueAt: Date.UTC(2026, 11, 4, 2, 0) }), people), /^东湖区应急管理局 督办，限 .+ 前$/);
  assert.equal(auditNote(e('urge', 'county', { note: '立即排查' })), '立即排查');
  assert.equal(auditSentence(e('handover', 'operator', { changed: { assigneeId: { from: null, to: 'U2' } } }), people), '值班员 王 将报警转交给 技术负责人 李');
  assert.equal(auditSentence(e('acknowledge', 'operator', { code: 'CLOUD_ERR_ALREADY_ACKNOWLEDGED' }, 'rejected'), people), '值班员 王 的操作被拒绝：报警已被确认');
  assert.equal(auditSentence(e('raised', 'cloud'), people, { value: 56.5, unit: '%LEL' }), '报警产生，值 56.5 %LEL');
  assert.equal(auditSentence(e('review', 'county', { approved: false, comment: '措施不足' }), people), '东湖区应急管理局 审核退回，要求重新处置');
  assert.equal(auditNote(e('review', 'county', { approved: false, comment: '措施不足' })), '措施不足');
  assert.equal(auditSentence(e('start-handling', 'operator'), people), '值班员 王 开始处置');
});

void test('a cloud-written title shows the half of the page language; a rule title passes through', async () => {
  // @ts-expect-error plain ES module shipped to the browser
  const { titleIn, splitTitle } = (await import('../../web/alarm-title.js')) as { titleIn: (t: string, l: string) => string; splitTitle: (t: string) => unknown };
  const t = '网关离线：gw-demo-01 / Gateway gw-demo-01 offline';
  assert.equal(titleIn(t, 'zh'), '网关离线：gw-demo-01');
  assert.equal(titleIn(t, 'en'), 'Gateway gw-demo-01 offline');
  assert.equal(titleIn('数据中断 tank-farm/gas-1/lel：no reading / No fresh data tank-farm/gas-1/lel: no reading', 'en'), 'No fresh data tank-farm/gas-1/lel: no reading');
  assert.equal(titleIn('1号可燃气体探测器 二级报警', 'en'), '1号可燃气体探测器 二级报警', 'one language as the rule author wrote it');
  assert.equal(titleIn('Pump A / B trip', 'zh'), 'Pump A / B trip', 'a slash in an English title is not a language split');
  assert.equal(splitTitle('罐区 A / 罐区 B'), null);
});

void test('names inside a record sentence come apart as names (for translate="no")', async () => {
  // @ts-expect-error plain ES module shipped to the browser
  const { auditSegments } = (await import('../../web/audit-words.js')) as { auditSegments: (e: unknown, p: unknown) => { text?: string; name?: string }[] };
  const people = { operator: { name: '值班员 王' }, U2: { name: '技术负责人 李' } };
  assert.deepEqual(auditSegments({ action: 'handover', actorName: 'operator', outcome: 'ok', details: { changed: { assigneeId: { to: 'U2' } } } }, people), [
    { name: '值班员 王' },
    { text: ' 将报警转交给 ' },
    { name: '技术负责人 李' },
  ]);
});

void test('every demo site lies inside its own county outline, where the one map draws it', async () => {
  const { readFile } = await import('node:fs/promises');
  const { loadSeedFile } = await import('../../src/tenancy/seed.ts');
  const geo = JSON.parse(await readFile(new URL('../../web/geo/jiangxi-counties.json', import.meta.url), 'utf8')) as {
    features: { id: string; geometry: { coordinates: number[][][][] } }[];
  };
  const inRing = (x: number, y: number, ring: number[][]): boolean => {
    let c = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i] as [number, number];
      const [xj, yj] = ring[j] as [number, number];
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) c = !c;
    }
    return c;
  };
  const countiesAt = (x: number, y: number): string[] =>
    geo.features.filter((f) => f.geometry.coordinates.some((poly) => inRing(x, y, poly[0] ?? []) && !poly.slice(1).some((hole) => inRing(x, y, hole)))).map((f) => f.id);
  const seed = loadSeedFile(new URL('../../seed/demo.yaml', import.meta.url).pathname);
  for (const s of seed.sites) {
    const county = seed.enterprises.find((e) => e.id === s.enterpriseId)?.regionCode;
    assert.deepEqual(countiesAt(s.lon, s.lat), [county], `${s.id} (${s.lon}, ${s.lat}) should be inside ${county}`);
  }
});

void test('a value reads as people read it: a bit as 开/关 (never "false"), nothing as —', async () => {
  // @ts-expect-error plain ES module shipped to the browser
  const { valueCell } = (await import('../../web/views/site-data.js')) as { valueCell: (r: unknown) => string };
  assert.equal(valueCell({ value: true }), '开');
  assert.equal(valueCell({ value: false }), '关');
  assert.equal(valueCell({ value: '' }), '—', 'a blank serial number');
  assert.equal(valueCell({ value: null }), '—');
  assert.equal(valueCell({ value: 'SN-0042' }), 'SN-0042');
  assert.equal(valueCell({ value: 16.9491 }), '16.949');
});

// @ts-expect-error plain ES module shipped to the browser
import { bandOf, clusterMarkers, horizontalVector, markerState, scaleFraction } from '../../web/site-logic.js';

void test('plan markers: an alarm first, then the link; a lost link or a stale value is 离线, never 正常', () => {
  const good = { quality: 'good', value: 1 };
  assert.equal(markerState({ kind: 'point', level: 'GAS_2', colour: 'orange' }, good, true), 'alarm2');
  assert.equal(markerState({ kind: 'point', level: 'HH', colour: null }, good, false), 'alarm2', 'an alarm outranks an offline gateway');
  assert.equal(markerState({ kind: 'point', level: 'GAS_1', colour: 'yellow' }, good, true), 'alarm1');
  assert.equal(markerState({ kind: 'warning', level: null, colour: 'red' }, good, true), 'alarm2');
  assert.equal(markerState({ kind: 'fault', level: null, colour: 'fault' }, good, true), 'fault');
  assert.equal(markerState(undefined, good, false), 'offline');
  assert.equal(markerState(undefined, { ...good, stale: true }, true), 'offline');
  assert.equal(markerState(undefined, { quality: 'bad', reason: 'comm_lost' }, true), 'offline');
  assert.equal(markerState(undefined, { quality: 'bad', reason: 'sensor_fault' }, true), 'fault');
  assert.equal(markerState(undefined, undefined, true), 'nodata');
  assert.equal(markerState(undefined, good, true), 'normal');
});

void test('tank bands: HH/H above, L/LL below, edges included; the scale clamps', () => {
  const limits = [{ level: 'LL', value: 0.5 }, { level: 'L', value: 1 }, { level: 'H', value: 16 }, { level: 'HH', value: 18 }];
  assert.deepEqual([0.2, 0.5, 0.9, 1, 8, 16, 17.9, 18, 25].map((v) => bandOf(v, limits)), ['LL', 'LL', 'L', 'L', 'normal', 'H', 'H', 'HH', 'HH']);
  assert.equal(bandOf('x', limits), null);
  assert.equal(scaleFraction(25, 0, 20), 1);
  assert.equal(scaleFraction(-3, 0, 20), 0);
  assert.equal(scaleFraction(5, 0, 20), 0.25);
});

void test('GNSS horizontal vector: magnitude and azimuth from north, clockwise', () => {
  const v = horizontalVector(3, -4);
  assert.equal(v.magnitude, 5);
  assert.ok(Math.abs(v.azimuth - 143.13) < 0.01);
  assert.equal(horizontalVector(0, 2).azimuth, 0);
  assert.equal(horizontalVector(-1, 0).azimuth, 270);
});

void test('map clusters: overlapping markers group under the worst colour; offline only when all are', () => {
  const items = [
    { id: 'a', x: 100, y: 100, colour: null, offline: false },
    { id: 'b', x: 110, y: 105, colour: 'red', offline: false },
    { id: 'c', x: 300, y: 300, colour: null, offline: true },
    { id: 'd', x: 305, y: 290, colour: null, offline: true },
  ];
  const groups = clusterMarkers(items, 28);
  assert.equal(groups.length, 2);
  const first = groups.find((g: { ids: string[] }) => g.ids.includes('a'));
  assert.deepEqual([...first.ids].sort(), ['a', 'b']);
  assert.equal(first.colour, 'red');
  assert.equal(first.offline, false);
  assert.equal(groups.find((g: { ids: string[] }) => g.ids.includes('c')).offline, true);
  assert.equal(groups.find((g: { ids: string[] }) => g.ids.includes('c')).offlineCount, 2);
  assert.equal(clusterMarkers(items, 5).length, 4, 'far enough apart: each on its own');
});
