/**
 * Property test at the listener: hundreds of random and mutated frames over one real TCP connection
 * never stop the listener, never yield more readings than frames that pass an independent
 * length/CRC check, and a valid frame afterwards is still read and answered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fc from 'fast-check';
import { BridgeConfigSchema, buildDataSegment, buildHj212Frame, createBridgeSource, createCountingMetrics, hj212Crc, type Hj212BridgeConfig, type Hj212Listener } from '@safeloop/firmware-bridges';
import { collector, recordingLogger, waitFor } from './helpers.ts';

const MN = 'FUZZLOGGER00000000000001';
const frame = (value: number, flag = 4): string =>
  buildHj212Frame(buildDataSegment({ qn: '20260101080000000', st: '22', cn: '2011', pw: '123456', mn: MN, flag, cp: `DataTime=20260101080000;a21028-Rtd=${value},a21028-Flag=N` }));

function passesChecks(b: Buffer): boolean {
  const text = b.toString('latin1');
  if (!/^##\d{4}/.test(text) || !text.endsWith('\r\n')) return false;
  const data = b.subarray(6, b.length - 6);
  const declared = Number(text.slice(2, 6));
  if (declared !== data.length && declared !== data.toString('utf8').length) return false;
  return /^[0-9A-Fa-f]{4}$/.test(text.slice(-6, -2)) && Number.parseInt(text.slice(-6, -2), 16) === hj212Crc(data);
}

const mutated = fc
  .tuple(fc.integer({ min: 1, max: 999 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 2 })), { minLength: 1, maxLength: 3 }))
  .map(([value, muts]) => {
    let b = Buffer.from(frame(value));
    for (const [at, byte, kind] of muts) {
      const i = at % b.length;
      if (kind === 0) b[i] = byte;
      else if (kind === 1) b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
      else b = Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)]);
    }
    return b;
  });

void test('mutated and random frames over TCP: no reading from a frame that failed its checks; the listener keeps serving', async (t) => {
  const config = BridgeConfigSchema.parse({
    kind: 'hj212',
    id: 'fuzz',
    listen: { host: '127.0.0.1', port: 0 },
    maxGarbageBytes: 1_000_000,
    loggers: [{ mn: MN, password: '123456', deviceId: 'd', commLossSec: 0, points: [{ code: 'a21028', pointId: 'h2s' }] }],
  }) as Hj212BridgeConfig;
  const metrics = createCountingMetrics();
  const col = collector();
  const listener = createBridgeSource(config, { defaultSite: 's', logger: recordingLogger(), sink: col.sink, metrics }) as Hj212Listener;
  await listener.start();
  t.after(() => listener.stop());
  const inputs = [
    ...fc.sample(mutated, { numRuns: 400, seed: 20170 }),
    ...fc.sample(fc.uint8Array({ maxLength: 200 }), { numRuns: 100, seed: 212 }).map((u) => Buffer.from(u)),
  ];
  // Each input ends with an extra CRLF so a frame cut short cannot swallow the next input's header.
  const passing = inputs.filter(passesChecks).length;
  const sock = net.connect(listener.address().port, '127.0.0.1');
  t.after(() => sock.destroy());
  await new Promise((r) => sock.once('connect', r));
  let replies = '';
  sock.on('data', (d: Buffer) => (replies += d.toString('latin1')));
  for (const b of inputs) sock.write(Buffer.concat([b, Buffer.from('\r\n')]));
  sock.write(`\r\n${frame(4242, 5)}`);
  await waitFor('probe answered', () => replies.includes('CN=9014'), 10_000);
  const probe = col.readings.filter((r) => r.value === 4242);
  assert.equal(probe.length, 1, 'the valid frame after the fuzz is read');
  assert.ok(col.readings.length - 1 <= passing, `${col.readings.length - 1} readings from fuzz, ${passing} inputs passed the checks`);
  assert.ok(metrics.get('bridge_rejected_total') > 400);
});
