/** The words of a page: the Chinese half of a bilingual cloud title, and the reason words of 督办 / 待审核. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alarmMessage } from '../../src/notify/alarm-message.ts';
import { bilingualTitle, chineseTitle } from '../../src/alarms/title.ts';
import type { AlarmSummary } from '../../src/alarms/summary.ts';

const alarm = (title: string): AlarmSummary => ({
  id: 'A1', siteId: 'tank-farm', enterpriseId: 'ent', regionCode: '360102', point: null, kind: 'system', level: null, colour: null, severity: 'normal',
  title, value: null, unit: null, state: 'pushed', condition: 'active', escalationLevel: 0, raisedAt: 0, clearedAt: null, ackedAt: null, shelveKind: null,
  groupId: null, chattering: false, latched: false, returnedAt: null, reactivations: 0, recurredAt: null, peakValue: null, reviewRequired: false, version: 1, updatedAt: 0,
});

void test('an SMS carries the Chinese half of a bilingual title, and says 督办 / 待审核', () => {
  const title = bilingualTitle('网关离线：gw-1', 'Gateway gw-1 offline');
  assert.equal(chineseTitle(title), '网关离线：gw-1');
  assert.equal(chineseTitle('Pump A / B trip'), 'Pump A / B trip');
  const urged = alarmMessage(alarm(title), { reason: 'urged', level: 0 }, { siteName: '罐区' }, undefined);
  assert.match(urged.text, /^\[SafeLoop 报警督办\] .*网关离线：gw-1 地点/);
  assert.doesNotMatch(urged.text, /Gateway/);
  assert.match(alarmMessage(alarm(title), { reason: 'review_requested', level: 3 }, {}, undefined).text, /报警待审核/);
});
