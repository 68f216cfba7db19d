import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hj212Crc, hj212CrcHex } from './crc.ts';
import { buildDataSegment, buildHj212Frame, parseCp, parseHj212Frame, parseHj212Time, formatQn } from './frame.ts';

// DOMAIN.md §8 test vectors.
const OFFICIAL = '##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n';
const S2_SEGMENT = 'ST=32;CN=2011;PW=123456;MN=NJGDKYYC202101q0001w0001;CP=&&DataTime=20210305003817000;ele01-Rtd=1;ele02-Rtd=0&&';
const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');

void test('CRC reproduces the official example, the [S2] vector and the empty segment', () => {
  const seg = OFFICIAL.slice(6, -6);
  assert.equal(hj212CrcHex(bytes(seg)), '1C80');
  assert.equal(hj212CrcHex(bytes(S2_SEGMENT)), '8C41');
  assert.equal(hj212Crc(new Uint8Array()), 0xffff);
  assert.equal(hj212CrcHex(new Uint8Array()), 'FFFF');
});

void test('CRC is not CRC-16/MODBUS (whose value for "123456789" is 4B37)', () => {
  assert.notEqual(hj212CrcHex(bytes('123456789')), '4B37');
});

void test('the official example frame parses into its fields', () => {
  const r = parseHj212Frame(bytes(OFFICIAL));
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.packet, { qn: '20160801085857223', st: '32', cn: '1062', pw: '100000', mn: '010000A8900016F000169DC0', flag: 5, cp: 'RtdInterval=30' });
});

void test('building from the fields reproduces the official frame byte for byte', () => {
  const seg = buildDataSegment({ qn: '20160801085857223', st: '32', cn: '1062', pw: '100000', mn: '010000A8900016F000169DC0', flag: 5, cp: 'RtdInterval=30' });
  assert.equal(buildHj212Frame(seg), OFFICIAL);
  assert.equal(buildHj212Frame(S2_SEGMENT), `##0109${S2_SEGMENT}8C41\r\n`);
  assert.equal(buildHj212Frame(''), '##0000FFFF\r\n');
});

void test('lenient parse: lower-case CRC, no QN or Flag, character-count length with UTF-8 text', () => {
  const lower = parseHj212Frame(bytes(`##0109${S2_SEGMENT}8c41\r\n`));
  assert.ok(lower.ok);
  assert.equal(lower.packet.qn, undefined);
  assert.equal(lower.packet.flag, undefined);
  const seg = 'ST=32;CN=2011;PW=123456;MN=A1;CP=&&DataTime=20210305003817;备注=测试&&';
  const crc = hj212CrcHex(bytes(seg));
  const byByte = parseHj212Frame(bytes(`##${String(bytes(seg).length).padStart(4, '0')}${seg}${crc}\r\n`));
  const byChar = parseHj212Frame(bytes(`##${String(seg.length).padStart(4, '0')}${seg}${crc}\r\n`));
  assert.ok(byByte.ok && byChar.ok);
  assert.notEqual(bytes(seg).length, seg.length);
  // Generation is strict: UTF-8 byte count.
  assert.equal(buildHj212Frame(seg).slice(2, 6), String(bytes(seg).length).padStart(4, '0'));
});

void test('rejects a wrong CRC, a wrong length, a non-hex CRC, missing CP/CN, an oversize segment', () => {
  const cases: [string, string][] = [
    [OFFICIAL.replace('1C80', '1C81'), 'bad_crc'],
    [OFFICIAL.replace('##0101', '##0100'), 'bad_length'],
    [OFFICIAL.replace('1C80', '1CZ0'), 'bad_crc'],
    [buildHj212Frame('QN=1;ST=32;CN=2011;PW=1;MN=1'), 'malformed'],
    [buildHj212Frame('QN=1;ST=32;PW=1;MN=1;CP=&&&&'), 'malformed'],
    [buildHj212Frame('ST=32;CN=2011;CN=2011;CP=&&&&'), 'malformed'],
    [buildHj212Frame('ST=32;CN=2011;Flag=x;CP=&&&&'), 'malformed'],
    [OFFICIAL.replace('\r\n', '\n\n'), 'truncated'],
    ['#X0101' + OFFICIAL.slice(6), 'bad_header'],
    ['##01x1' + OFFICIAL.slice(6), 'bad_header'],
    ['##00\r\n', 'bad_header'],
  ];
  for (const [frame, reason] of cases) {
    const r = parseHj212Frame(bytes(frame));
    assert.equal(r.ok, false, frame);
    if (!r.ok) assert.equal(r.reason, reason, frame);
  }
  const big = buildHj212Frame(`ST=32;CN=2011;CP=&&${'a'.repeat(1100)}&&`);
  const r = parseHj212Frame(bytes(big));
  assert.equal(r.ok ? 'ok' : r.reason, 'oversize');
  assert.ok(parseHj212Frame(bytes(big), 2048).ok);
});

void test('CP: items by ;, fields by , ; DataTime parsed in the logger time zone', () => {
  const cp = parseCp('DataTime=20210305003817000;a21028-Rtd=1.5,a21028-Flag=N;a21026-Rtd=3');
  assert.equal(cp.get('a21028-Rtd'), '1.5');
  assert.equal(cp.get('a21028-Flag'), 'N');
  assert.equal(cp.get('a21026-Rtd'), '3');
  assert.equal(parseHj212Time('20210305003817000', 480), Date.UTC(2021, 2, 4, 16, 38, 17));
  assert.equal(parseHj212Time('20210305003817123', 0), Date.UTC(2021, 2, 5, 0, 38, 17, 123));
  for (const badTime of ['20210231000000', '2021030500381', '20211305003817', 'x0210305003817', '20210305253817']) {
    assert.equal(parseHj212Time(badTime, 480), undefined, badTime);
  }
  assert.equal(formatQn(Date.UTC(2016, 7, 1, 0, 58, 57, 223), 480), '20160801085857223');
});
