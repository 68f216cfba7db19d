import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FieldRequestError } from '../../src/field/errors.ts';
import { crc16, decodeReadReply, encodeReadRequest, rtuCrcOk, rtuFrame, rtuReplyFrameLength, encodeWriteRequest } from '../../src/field/modbus-frame.ts';

void test('CRC-16 matches the Modbus reference frame 01 03 00 00 00 0A → C5 CD', () => {
  const frame = rtuFrame(1, encodeReadRequest({ table: 'holding', start: 0, count: 10 }));
  assert.deepEqual([...frame], [0x01, 0x03, 0x00, 0x00, 0x00, 0x0a, 0xc5, 0xcd]);
  assert.equal(rtuCrcOk(frame), true);
  frame[3] = 1;
  assert.equal(rtuCrcOk(frame), false);
  assert.equal(crc16(Buffer.from([])), 0xffff);
});

void test('read replies decode registers and bits; exceptions and short replies become reasons', () => {
  assert.deepEqual(decodeReadReply(Buffer.from([0x03, 4, 0x12, 0x34, 0xff, 0xff]), { table: 'holding', start: 0, count: 2 }), [0x1234, 0xffff]);
  assert.deepEqual(decodeReadReply(Buffer.from([0x02, 1, 0b00000101]), { table: 'discrete', start: 0, count: 3 }), [1, 0, 1]);
  assert.throws(
    () => decodeReadReply(Buffer.from([0x83, 0x02]), { table: 'holding', start: 0, count: 2 }),
    (e: unknown) => e instanceof FieldRequestError && e.reason === 'exception' && /0x02 illegal data address/.test(e.message),
  );
  assert.throws(
    () => decodeReadReply(Buffer.from([0x03, 4, 0x12]), { table: 'holding', start: 0, count: 2 }),
    (e: unknown) => e instanceof FieldRequestError && e.reason === 'short_frame',
  );
  assert.throws(() => encodeReadRequest({ table: 'holding', start: 0, count: 126 }), RangeError);
});

void test('RTU reply length is known from the function code and byte count', () => {
  assert.equal(rtuReplyFrameLength(Buffer.from([1])), undefined);
  assert.equal(rtuReplyFrameLength(Buffer.from([1, 0x83])), 5);
  assert.equal(rtuReplyFrameLength(Buffer.from([1, 0x03, 6])), 11);
  assert.equal(rtuReplyFrameLength(Buffer.from([1, 0x06])), 8);
  assert.equal(rtuReplyFrameLength(Buffer.from([1, 0x2b])), null);
});

void test('write requests use FC 6/16 for registers and FC 5/15 for coils', () => {
  assert.deepEqual([...encodeWriteRequest('holding', 10, [7])], [0x06, 0, 10, 0, 7]);
  assert.deepEqual([...encodeWriteRequest('holding', 10, [1, 2])], [0x10, 0, 10, 0, 2, 4, 0, 1, 0, 2]);
  assert.deepEqual([...encodeWriteRequest('coil', 3, [1])], [0x05, 0, 3, 0xff, 0]);
  assert.deepEqual([...encodeWriteRequest('coil', 3, [1, 0, 1])], [0x0f, 0, 3, 0, 3, 1, 0b101]);
});
