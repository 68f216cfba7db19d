import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TelemetryQueue } from './telemetry-queue.ts';

const item = (name: string, bytes = 1000) => ({ topic: name, payload: Buffer.alloc(bytes), at: 0 });
const takeName = (q: TelemetryQueue): string | undefined => q.take()?.item.topic;

test('a gateway with one batch waits for one batch of each busy gateway, not behind their backlog', () => {
  const q = new TelemetryQueue(100);
  for (let i = 1; i <= 5; i++) q.push('big1', item(`big1-${i}`));
  for (let i = 1; i <= 5; i++) q.push('big2', item(`big2-${i}`));
  assert.equal(takeName(q), 'big1-1');
  assert.equal(takeName(q), 'big2-1');
  assert.equal(q.take(), undefined, 'each busy gateway has one batch in flight: nothing more to take');
  q.push('small', item('small-1'));
  q.done('big1');
  assert.equal(takeName(q), 'small-1', 'the gateway never served goes first');
  q.done('big2');
  assert.equal(takeName(q), 'big1-2', 'then the one served longest ago');
  q.done('small');
  assert.equal(takeName(q), 'big2-2');
  q.done('big1');
  q.done('big2');
  assert.deepEqual([takeName(q), takeName(q)], ['big1-3', 'big2-3'], 'backlogs alternate, each in its own order');
  assert.equal(q.size, 4);
});

test('lanes are shared by bytes: a gateway sending many small batches is not held to one per round', () => {
  const q = new TelemetryQueue(100);
  for (let i = 1; i <= 4; i++) q.push('big', item(`big-${i}`, 10_000));
  for (let i = 1; i <= 4; i++) q.push('probe', item(`probe-${i}`, 100));
  const order: (string | undefined)[] = [];
  for (let i = 0; i < 6; i++) {
    const next = q.take();
    order.push(next?.item.topic);
    if (next) q.done(next.gatewayId);
  }
  assert.deepEqual(order, ['big-1', 'probe-1', 'probe-2', 'probe-3', 'probe-4', 'big-2']);
});

test('a full queue refuses a batch (left unacknowledged for the gateway to resend); clear empties it', () => {
  const q = new TelemetryQueue(2);
  assert.equal(q.push('a', item('a-1')), true);
  assert.equal(q.push('b', item('b-1')), true);
  assert.equal(q.push('a', item('a-2')), false);
  assert.equal(q.size, 2);
  q.clear();
  assert.equal(q.size, 0);
  assert.equal(q.take(), undefined);
});

test('a group takes the waiting batches of one gateway, oldest first, within the item and byte caps', () => {
  const q = new TelemetryQueue(100);
  for (let i = 1; i <= 5; i++) q.push('big', item(`big-${i}`, 1000));
  q.push('other', item('other-1', 1000));
  const g = q.takeGroup(3, 10_000);
  assert.deepEqual(g?.items.map((x) => x.topic), ['big-1', 'big-2', 'big-3']);
  assert.equal(q.takeGroup(3, 10_000)?.items[0]?.topic, 'other-1', 'the group is one line in flight; the next line goes');
  q.done('big');
  assert.deepEqual(q.takeGroup(5, 1500)?.items.map((x) => x.topic), ['big-4'], 'the bytes cap stops the group (the first always goes)');
  assert.equal(q.size, 1);
});

test('the express lane takes only a line whose next batch is small', () => {
  const q = new TelemetryQueue(100);
  q.push('big', item('big-1', 50_000));
  assert.equal(q.takeGroup(8, 4096, true), undefined, 'a bulk batch never takes the express lane');
  q.push('probe', item('probe-1', 300));
  q.push('probe', item('probe-2', 300));
  assert.deepEqual(q.takeGroup(8, 4096, true)?.items.map((x) => x.topic), ['probe-1', 'probe-2']);
  assert.equal(q.takeGroup(8, 1_000_000)?.items[0]?.topic, 'big-1');
});

test('a held line (a status message of the gateway in progress) waits; others go; release lets it go', () => {
  const q = new TelemetryQueue(100);
  q.hold('gw');
  q.push('gw', item('gw-1', 100));
  q.push('other', item('other-1', 100));
  assert.equal(q.takeGroup(8, 1_000_000)?.items[0]?.topic, 'other-1', 'the held gateway waits, the others do not');
  assert.equal(q.takeGroup(8, 1_000_000), undefined);
  assert.equal(q.takeGroup(8, 4096, true), undefined, 'not through the express lane either');
  q.hold('gw'); // a second status
  q.release('gw');
  assert.equal(q.takeGroup(8, 1_000_000), undefined, 'held until every status is done');
  q.release('gw');
  assert.equal(q.takeGroup(8, 1_000_000)?.items[0]?.topic, 'gw-1');
  q.done('gw');
  q.release('gw'); // an unmatched release changes nothing
  q.hold('idle');
  q.release('idle');
  assert.equal(q.size, 0);
});
