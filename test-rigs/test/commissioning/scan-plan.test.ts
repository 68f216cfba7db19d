/** The scan planner: option parsing with clear errors, setting order, time estimates; 43/14 framing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  charMs,
  decodeDeviceIdReply,
  encodeDeviceIdRequest,
  lineSettings,
  parseBauds,
  parseParities,
  parseTransportSpec,
  parseUnitRange,
  remainingMs,
  rtuFrameLength,
  worstCaseMs,
} from '@safeloop/gateway/commissioning/index';
import { rtuFrame } from '@safeloop/gateway/field/modbus-frame';

void test('unit ranges: lists and ranges, sorted and unique; RTU 1-247, TCP 0-255', () => {
  assert.deepEqual(parseUnitRange('5,1-3,2'), [1, 2, 3, 5]);
  assert.equal(parseUnitRange('1-247').length, 247);
  assert.throws(() => parseUnitRange('0-5'), /within 1-247/);
  assert.throws(() => parseUnitRange('1-248'), /within 1-247/);
  assert.throws(() => parseUnitRange('9-3'), /smaller id first/);
  assert.throws(() => parseUnitRange('abc'), /not a unit id/);
  assert.throws(() => parseUnitRange(''), /no unit ids/);
  assert.deepEqual(parseUnitRange('0,255', { tcp: true }), [0, 255]);
});

void test('bauds and parities: validated, order kept, duplicates dropped', () => {
  assert.deepEqual(parseBauds('9600, 38400,9600'), [9600, 38400]);
  assert.throws(() => parseBauds('9600,fast'), /--bauds: NaN/);
  assert.throws(() => parseBauds('100'), /not a baud rate/);
  assert.deepEqual(parseParities('None,even'), ['none', 'even']);
  assert.throws(() => parseParities('mark'), /"mark" is not one of none, even, odd/);
});

void test('line settings: bauds outer, parities inner, 8 data bits 1 stop bit', () => {
  const s = lineSettings([9600, 38400], ['none', 'even']);
  assert.deepEqual(
    s.map((x) => `${x.baudRate}/${x.parity}`),
    ['9600/none', '9600/even', '38400/none', '38400/even'],
  );
  assert.ok(s.every((x) => x.dataBits === 8 && x.stopBits === 1));
});

void test('time estimates: character time, worst case, and time left shrinks as units are found', () => {
  assert.ok(Math.abs(charMs({ baudRate: 9600, parity: 'none', stopBits: 1 }) - 10 / 9.6) < 1e-9);
  assert.ok(Math.abs(charMs({ baudRate: 9600, parity: 'even', stopBits: 1 }) - 11 / 9.6) < 1e-9);
  const plan = { settings: lineSettings([9600, 38400], ['none', 'even']), units: parseUnitRange('1-10'), timeoutMs: 100 };
  const worst = worstCaseMs(plan);
  assert.ok(worst > 4 * 10 * 100 && worst < 4 * 10 * 130, `worst ${worst}`);
  const allLeft = remainingMs(plan, { settingIndex: 0, unitsLeftInSetting: 10, unitsNotFound: 10 });
  const someFound = remainingMs(plan, { settingIndex: 0, unitsLeftInSetting: 10, unitsNotFound: 4 });
  assert.ok(Math.abs(allLeft - worst) < 1e-6);
  assert.ok(someFound < allLeft);
  assert.equal(remainingMs(plan, { settingIndex: 3, unitsLeftInSetting: 0, unitsNotFound: 7 }), 0);
});

void test('43/14: request bytes, reply decoding, exception and truncated replies', () => {
  assert.deepEqual([...encodeDeviceIdRequest()], [0x2b, 0x0e, 0x01, 0x00]);
  const objs = [
    [0, 'ACME'],
    [1, 'PT-25'],
    [2, '1.2'],
  ] as const;
  const body = Buffer.concat(objs.map(([id, t]) => Buffer.concat([Buffer.from([id, t.length]), Buffer.from(t, 'latin1')])));
  const pdu = Buffer.concat([Buffer.from([0x2b, 0x0e, 0x01, 0x01, 0x00, 0x00, 3]), body]);
  const id = decodeDeviceIdReply(pdu);
  assert.equal(id.vendorName, 'ACME');
  assert.equal(id.productCode, 'PT-25');
  assert.equal(id.revision, '1.2');
  assert.throws(() => decodeDeviceIdReply(Buffer.from([0xab, 0x01])), /exception 0x01 illegal function/);
  assert.throws(() => decodeDeviceIdReply(pdu.subarray(0, pdu.length - 2)), /cut short/);
  // RTU framing: the length is found by walking the objects, not from a byte count.
  const frame = rtuFrame(7, pdu);
  assert.equal(rtuFrameLength(frame), frame.length);
  assert.equal(rtuFrameLength(frame.subarray(0, 9)), undefined);
  assert.equal(rtuFrameLength(rtuFrame(7, Buffer.from([0x83, 0x02]))), 5);
  assert.equal(rtuFrameLength(Uint8Array.from([7, 0x03, 4])), 9);
  assert.equal(rtuFrameLength(Uint8Array.from([7, 0x41])), null);
});

void test('transport shorthands parse through the gateway schema, with clear errors', () => {
  assert.deepEqual(parseTransportSpec('rtu:/dev/ttyUSB0:38400:even:7'), {
    kind: 'modbus-rtu', path: '/dev/ttyUSB0', baudRate: 38400, parity: 'even', dataBits: 8, stopBits: 1, unitId: 7, timeoutMs: 500,
  });
  assert.equal(parseTransportSpec('tcp:10.0.0.5:502:1').kind, 'modbus-tcp');
  assert.equal(parseTransportSpec('opc.tcp://h:4840').kind, 'opcua');
  assert.throws(() => parseTransportSpec('rtu:/dev/ttyUSB0:9600:none:0'), /unitId/);
  assert.throws(() => parseTransportSpec('serial:/dev/x'), /starts with rtu:, tcp: or opc\.tcp/);
});

void test('a commissioning plan with a profile that does not fit its transport is refused before anything is read', async () => {
  const { commissionDevices, CommissionPlanSchema } = await import('@safeloop/gateway/commissioning/index');
  const plan = CommissionPlanSchema.parse({ devices: [{ id: 'd1', profile: 'generic-tank-gauging-opcua', transport: { kind: 'modbus-tcp', host: '127.0.0.1', unitId: 1 } }] });
  let reads = 0;
  await assert.rejects(
    commissionDevices(plan, { technician: 't', readOnce: () => { reads += 1; return Promise.resolve([]); } }),
    /devices\[0\] \(d1\): profile generic-tank-gauging-opcua is opcua, the transport is modbus-tcp/,
  );
  assert.equal(reads, 0);
  assert.throws(() => CommissionPlanSchema.parse({ devices: [plan.devices[0], plan.devices[0]] }), /used twice/);
});
