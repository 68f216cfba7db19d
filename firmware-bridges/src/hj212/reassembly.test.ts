import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SplitReassembler } from './reassembly.ts';

const part = (pno: number, pnum: number, cp: string, qn = 'Q1') => ({ qn, cn: '2011', mn: 'M', pw: 'p', flag: 7, pnum, pno, cp });

void test('packets in any order are joined in PNO order into one packet without PNUM/PNO', () => {
  const r = new SplitReassembler({ timeoutMs: 1000, onExpired: () => assert.fail('no expiry') });
  assert.equal(r.add('M', part(3, 3, 'c=3')).kind, 'pending');
  assert.equal(r.add('M', part(1, 3, 'DataTime=20260101000000;a=1')).kind, 'pending');
  const done = r.add('M', part(2, 3, 'b=2'));
  assert.equal(done.kind, 'complete');
  if (done.kind === 'complete') {
    assert.equal(done.packet.cp, 'DataTime=20260101000000;a=1;b=2;c=3');
    assert.equal(done.packet.pnum, undefined);
    assert.equal(done.packet.pno, undefined);
    assert.equal(done.packet.qn, 'Q1');
  }
  assert.equal(r.pending, 0);
  r.stop();
});

void test('an incomplete upload expires and is reported; uploads with different QN stay apart', async () => {
  const expired: unknown[] = [];
  const r = new SplitReassembler({ timeoutMs: 50, onExpired: (i) => expired.push(i) });
  r.add('M', part(1, 2, 'a=1', 'Q1'));
  r.add('M', part(2, 2, 'b=2', 'Q2'));
  await new Promise((res) => setTimeout(res, 120));
  assert.equal(expired.length, 2);
  assert.deepEqual(expired[0], { mn: 'M', qn: 'Q1', cn: '2011', have: 1, of: 2 });
  assert.equal(r.pending, 0);
  r.stop();
});

void test('inconsistent numbering is invalid', () => {
  const r = new SplitReassembler({ timeoutMs: 1000, onExpired: () => undefined });
  const { pnum: _drop, ...noPnum } = part(1, 2, 'a');
  void _drop;
  assert.equal(r.add('M', noPnum).kind, 'invalid');
  assert.equal(r.add('M', part(3, 2, 'a')).kind, 'invalid');
  assert.equal(r.add('M', part(0, 2, 'a')).kind, 'invalid');
  assert.equal(r.add('M', part(1, 5000, 'a')).kind, 'invalid');
  r.stop();
});
