/** The raise decision and the flood announcement rules, without a database. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { announcesReturnToAlarm, decideRaise, floodPageReached, newAlarmAnnouncement, reachedSomebody } from './raise-decision.ts';
import type { Alarm } from './types.ts';

const T = Date.UTC(2026, 10, 28, 2, 0, 0);

function openAlarm(over: Partial<Alarm> = {}): Alarm {
  return {
    id: 'a1', conditionKey: 'limit:tank-farm/gd-1/conc:GAS_2', occurrence: 1, siteId: 'tank-farm', enterpriseId: 'ent', regionCode: '360102',
    point: 'tank-farm/gd-1/conc', origin: 'cloud', ruleId: 'limit', kind: 'point', level: 'GAS_2', colour: null, severity: 'orange', rank: 3,
    reviewRequired: true, title: 'gas', value: 52, limit: 50, unit: 'P1', inputs: {}, state: 'pushed', condition: 'active',
    raisedAt: T, createdAt: T, updatedAt: T, lastActiveAt: T, clearedAt: null, pushedAt: T, ackedAt: null, ackedBy: null, assigneeId: null,
    handlingAt: null, feedbackAt: null, reviewedAt: null, reviewedBy: null, closedAt: null, closedBy: null, disposition: null,
    escalationLevel: 0, escalatedAt: null, shelveKind: null, shelveReason: null, shelvedBy: null, shelvedUntil: null, reactivations: 0,
    shelvedOccurrences: 0, groupId: null, chattering: false, latched: false, returnedAt: null, recurredAt: null, peakValue: 52,
    actedLevels: [], version: 1,
    ...over,
  };
}

test('no open alarm for the condition opens a new occurrence', () => {
  assert.deepEqual(decideRaise(undefined), { kind: 'open-new' });
});

test('an open alarm still active is refreshed, not doubled; a latched one that had returned to normal is reactivated', () => {
  const active = openAlarm();
  assert.deepEqual(decideRaise(active), { kind: 'refresh-active', alarm: active, reactivatesLatched: false });
  const returned = openAlarm({ latched: true, returnedAt: T + 60_000 });
  assert.deepEqual(decideRaise(returned), { kind: 'refresh-active', alarm: returned, reactivatesLatched: true });
});

test('an open alarm whose condition had cleared returns to alarm on the same record', () => {
  const cleared = openAlarm({ condition: 'cleared', clearedAt: T + 1000, state: 'acknowledged' });
  assert.deepEqual(decideRaise(cleared), { kind: 'return-to-alarm', alarm: cleared });
});

test('a return to alarm is announced only when unacknowledged again, not shelved and not chattering', () => {
  assert.equal(announcesReturnToAlarm({ unacknowledged: true, shelved: false }, false), true);
  assert.equal(announcesReturnToAlarm({ unacknowledged: false, shelved: false }, false), false);
  assert.equal(announcesReturnToAlarm({ unacknowledged: true, shelved: true }, false), false);
  assert.equal(announcesReturnToAlarm({ unacknowledged: true, shelved: false }, true), false);
});

test('outside a flood a new alarm is paged as raised; the alarm that starts a flood pages once for the group', () => {
  assert.deepEqual(newAlarmAnnouncement({ groupId: null, started: false, size: 0 }, 'normal'), { kind: 'page', reason: 'raised' });
  assert.deepEqual(newAlarmAnnouncement({ groupId: 'g1', started: true, size: 11 }, 'orange'), { kind: 'page', reason: 'flood', groupSize: 11 });
});

test('during a flood a member is announced through its group, except red, which always pages', () => {
  assert.deepEqual(newAlarmAnnouncement({ groupId: 'g1', started: false, size: 12 }, 'orange'), { kind: 'through-flood-group', groupId: 'g1' });
  assert.deepEqual(newAlarmAnnouncement({ groupId: 'g1', started: false, size: 12 }, 'red'), { kind: 'page', reason: 'raised' });
  assert.deepEqual(newAlarmAnnouncement({ groupId: 'g1', started: true, size: 11 }, 'red'), { kind: 'page', reason: 'raised', groupSize: 11 });
});

test('reached: the notifier decides when it says; otherwise any recipient counts', () => {
  assert.equal(reachedSomebody({ recipients: ['op'], reached: false }), false);
  assert.equal(reachedSomebody({ recipients: [], reached: true }), true);
  assert.equal(reachedSomebody({ recipients: ['op'] }), true);
  assert.equal(reachedSomebody({ recipients: [] }), false);
});

test('a flood member counts as pushed once the lead has left raised and push_failed', () => {
  assert.equal(floodPageReached(undefined), false);
  assert.equal(floodPageReached('raised'), false);
  assert.equal(floodPageReached('push_failed'), false);
  assert.equal(floodPageReached('pushed'), true);
  assert.equal(floodPageReached('acknowledged'), true);
});
