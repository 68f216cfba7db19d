/**
 * The Modbus RTU simulator over a socat pty pair: correct values through modbus-serial, silence to
 * other unit ids, byte re-synchronisation after garbage, the RTU-only faults (bad CRC, short frame,
 * late reply — RELIABILITY.md C2) and real line timing.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SerialPort } from 'serialport';
import {
  createPtyPair,
  crcMatches,
  lineLimitPerSec,
  frameMs,
  interFrameGapMs,
  startModbusRtuSimulator,
  waitUntil,
  withCrc,
  type ModbusRtuSim,
  type PtyPair,
} from '@safeloop/test-rigs/modbus/index';
import { closeClient, newModbusClient, rejection, type ModbusRTU } from './helpers.ts';

/** The master end of the line as raw bytes. */
async function openRaw(path: string): Promise<{ port: SerialPort; rx: () => Buffer; clear: () => void; waitFor: (n: number, ms: number) => Promise<Buffer>; close: () => Promise<void> }> {
  const port = new SerialPort({ path, baudRate: 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  let buf = Buffer.alloc(0);
  port.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
  });
  return {
    port,
    rx: () => buf,
    clear: () => {
      buf = Buffer.alloc(0);
    },
    waitFor: async (n, ms) => {
      const deadline = Date.now() + ms;
      while (buf.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
      return buf;
    },
    close: () => new Promise<void>((resolve) => port.close(() => resolve())),
  };
}

function readHolding(unit: number, address: number, count: number): Buffer {
  const body = Buffer.alloc(6);
  body[0] = unit;
  body[1] = 0x03;
  body.writeUInt16BE(address, 2);
  body.writeUInt16BE(count, 4);
  return withCrc(body);
}

void describe('Modbus RTU simulator on a pty pair', () => {
  let pty: PtyPair;
  let sim: ModbusRtuSim;
  let client: ModbusRTU;

  before(async () => {
    pty = await createPtyPair();
    sim = await startModbusRtuSimulator({
      path: pty.b,
      baudRate: 9600,
      refreshMs: 0,
      devices: [
        { unitId: 1, profileId: 'generic-catalytic-lel', points: { gas: { kind: 'constant', value: 26.4 } } },
        { unitId: 2, profileId: 'generic-h2s-ec', points: { gas: { kind: 'constant', value: 7.5 } } },
        { unitId: 9, profileId: 'addresses', registerMode: 'address' },
      ],
    });
    client = newModbusClient();
    await client.connectRTUBuffered(pty.a, { baudRate: 9600 });
    client.setTimeout(300);
  });
  beforeEach(() => {
    for (const u of [1, 2, 9]) sim.setFault(u, null);
  });
  after(async () => {
    await closeClient(client);
    await sim.stop();
    await pty.stop();
  });

  void test('several unit ids on one line answer with their profile values', async () => {
    client.setID(1);
    assert.deepEqual((await client.readHoldingRegisters(0, 2)).data, [264, 0]);
    client.setID(2);
    assert.deepEqual((await client.readHoldingRegisters(0, 1)).data, [75]);
    client.setID(9);
    assert.deepEqual((await client.readHoldingRegisters(1000, 3)).data, [1000, 1001, 1002], 'address mode: each register holds its address');
  });

  void test('writes work over RTU too', async () => {
    client.setID(9);
    await client.writeRegisters(10, [7, 8]);
    await client.writeRegister(12, 9);
    assert.equal((await client.readHoldingRegisters(0, 1)).data.length, 1);
  });

  void test('a unit id nobody serves gets silence, and the line keeps working', async () => {
    const others = sim.lineStats().framesForOthers;
    client.setID(5);
    assert.match((await rejection(client.readHoldingRegisters(0, 1))).message, /timed out/i);
    assert.equal(sim.lineStats().framesForOthers, others + 1);
    client.setID(1);
    assert.equal((await client.readHoldingRegisters(0, 1)).data[0], 264);
  });

  void test('exception replies carry the code', async () => {
    client.setID(1);
    assert.equal((await rejection(client.readHoldingRegisters(50, 2))).modbusCode, 2);
    sim.setFault(1, { kind: 'exception', code: 4 });
    assert.equal((await rejection(client.readHoldingRegisters(0, 1))).modbusCode, 4);
  });

  void test('badCrc: the client sees a CRC error, and the next request is fine', async () => {
    client.setID(2);
    sim.setFault(2, { kind: 'badCrc' });
    assert.match((await rejection(client.readHoldingRegisters(0, 1))).message, /crc/i);
    sim.setFault(2, null);
    assert.deepEqual((await client.readHoldingRegisters(0, 1)).data, [75]);
  });

  void test('silent and slow', async () => {
    client.setID(2);
    sim.setFault(2, { kind: 'silent' });
    const before = sim.requestCount(2);
    assert.match((await rejection(client.readHoldingRegisters(0, 1))).message, /timed out/i);
    assert.equal(sim.requestCount(2), before + 1, 'the silent unit still saw the request');
    sim.setFault(2, { kind: 'slow', ms: 120 });
    const t0 = performance.now();
    assert.deepEqual((await client.readHoldingRegisters(0, 1)).data, [75]);
    assert.ok(performance.now() - t0 >= 115);
  });

  void describe('raw bytes on the line', () => {
    let raw: Awaited<ReturnType<typeof openRaw>>;
    before(async () => {
      await closeClient(client); // the master end is ours alone now
      raw = await openRaw(pty.a);
    });
    after(async () => {
      await raw.close();
      client = newModbusClient();
      await client.connectRTUBuffered(pty.a, { baudRate: 9600 });
      client.setTimeout(300);
    });

    void test('garbage before a frame is skipped (CRC re-synchronisation) and the frame is answered', async () => {
      raw.clear();
      const crcBefore = sim.lineStats().crcErrors;
      raw.port.write(Buffer.concat([Buffer.from([0x55, 0x01, 0x03]), readHolding(2, 0, 1)]));
      const got = await raw.waitFor(7, 500);
      assert.equal(got.length, 7);
      assert.ok(crcMatches(got));
      assert.deepEqual([got[0], got[1], got[2], got.readUInt16BE(3)], [2, 3, 2, 75]);
      assert.ok(sim.lineStats().crcErrors > crcBefore);
    });

    void test('lateReply (C2): the reply to request k arrives while request k+1 is pending, and names its own registers', async () => {
      sim.setFault(9, { kind: 'lateReply', ms: 150 });
      raw.clear();
      raw.port.write(readHolding(9, 100, 2)); // request k
      await new Promise((r) => setTimeout(r, 100)); // the master's timeout
      assert.equal(raw.rx().length, 0, 'nothing within the timeout');
      raw.port.write(readHolding(9, 200, 2)); // request k+1, same unit, function and length
      const first = await raw.waitFor(9, 200);
      assert.equal(first.length, 9, 'a reply arrived while k+1 is pending');
      assert.deepEqual([first.readUInt16BE(3), first.readUInt16BE(5)], [100, 101], '…and it is the answer to k');
      const both = await raw.waitFor(18, 400);
      assert.deepEqual([both.readUInt16BE(9 + 3), both.readUInt16BE(9 + 5)], [200, 201]);
    });

    void test('shortFrame: a reply whose byte count promises more than it carries, with a CRC over what was sent', async () => {
      sim.setFault(2, { kind: 'shortFrame' });
      raw.clear();
      raw.port.write(readHolding(2, 0, 2));
      const got = await raw.waitFor(9, 200);
      assert.ok(got.length < 9, `${got.length} bytes instead of 9`);
      assert.equal(got[2], 4, 'byte count says 4');
      assert.ok(crcMatches(got), 'the CRC is right for the bytes sent: a length error, not a CRC error');
    });

    void test('frames with a bad CRC from the master are dropped without an answer', async () => {
      raw.clear();
      const frame = readHolding(2, 0, 1);
      frame[frame.length - 1] = (frame[frame.length - 1] ?? 0) ^ 0xff;
      const crcBefore = sim.lineStats().crcErrors;
      raw.port.write(frame);
      await raw.waitFor(1, 150);
      assert.equal(raw.rx().length, 0);
      assert.ok(sim.lineStats().crcErrors > crcBefore);
    });
  });
});

void describe('Modbus RTU line timing', () => {
  void test('with lineTiming, a transaction takes the line time of request + gap + reply, and requests that do not wait for the line are counted', async () => {
    const pty = await createPtyPair();
    const sim = await startModbusRtuSimulator({ path: pty.b, baudRate: 9600, lineTiming: true, devices: [{ unitId: 1, profileId: 'x', registerMode: 'address' }] });
    const client = newModbusClient();
    try {
      await client.connectRTUBuffered(pty.a, { baudRate: 9600 });
      client.setTimeout(500);
      client.setID(1);
      // 10 registers: 8-byte request, 25-byte reply; at 9600 baud: 33 × 1.146 ms + gap 4.01 ms = 41.8 ms
      const expectedMs = (33 * 11 * 1000) / 9600 + 3.5 * (11 * 1000) / 9600;
      const n = 10;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await client.readHoldingRegisters(0, 10);
      const perRequest = (performance.now() - t0) / n;
      assert.ok(perRequest >= expectedMs - 1, `${perRequest.toFixed(1)} ms per request, line needs ${expectedMs.toFixed(1)} ms`);
      // Upper bound only catches gross pacing errors (e.g. a unit mix-up): a loaded machine adds
      // scheduling delay to every transaction, so no tight bound holds here (see BENCHMARKS.md).
      assert.ok(perRequest < 4 * expectedMs + 50, `${perRequest.toFixed(1)} ms per request is far above the line time`);
      assert.ok(lineLimitPerSec(8, 25, 9600) < 1000 / expectedMs, 'the limit also counts the gap after the reply');
      // Two requests written back to back: the second arrives while the line is still busy.
      const violations = sim.lineStats().gapViolations;
      await closeClient(client);
      const raw = await openRaw(pty.a);
      try {
        raw.port.write(Buffer.concat([readHolding(1, 0, 1), readHolding(1, 1, 1)]));
        const got = await raw.waitFor(14, 500);
        assert.equal(got.length, 14, 'both answered, one after the other');
        assert.ok(sim.lineStats().gapViolations >= violations + 1, 'the request that did not wait for the line is counted');
      } finally {
        await raw.close();
      }
    } finally {
      await closeClient(client);
      await sim.stop();
      await pty.stop();
    }
  });

  void test('waitUntil never returns early and, with its blocking tail, overshoots by well under the old timer+spin', async () => {
    const late: number[] = [];
    for (let i = 0; i < 30; i++) {
      const target = performance.now() + 1 + (i % 5);
      await waitUntil(target);
      const now = performance.now();
      assert.ok(now >= target, `returned ${(target - now).toFixed(3)} ms early`);
      late.push(now - target);
    }
    late.sort((a, b) => a - b);
    // Loose bound (loaded CI machines): a timer alone is ~1 ms late at the median.
    assert.ok((late[15] ?? 0) < 0.8, `median overshoot ${(late[15] ?? 0).toFixed(3)} ms`);
  });

  for (const baud of [19200, 115200]) {
    void test(`with lineTiming at ${baud} baud, no reply is seen before request + gap + reply could have crossed the line`, async () => {
      const pty = await createPtyPair();
      const sim = await startModbusRtuSimulator({ path: pty.b, baudRate: baud, lineTiming: true, devices: [{ unitId: 1, profileId: 'x', registerMode: 'address' }] });
      const raw = await openRaw(pty.a);
      try {
        const lineMs = frameMs(8, baud) + interFrameGapMs(baud) + frameMs(5 + 2 * 10, baud);
        for (let i = 0; i < 20; i++) {
          await new Promise((r) => setTimeout(r, 10)); // the line is free again
          raw.clear();
          const sent = performance.now();
          raw.port.write(readHolding(1, i, 10));
          while (raw.rx().length < 25) await new Promise<void>((r) => setImmediate(r));
          const took = performance.now() - sent;
          assert.ok(took >= lineMs, `reply complete after ${took.toFixed(3)} ms; the line needs ${lineMs.toFixed(3)} ms`);
          assert.ok(crcMatches(raw.rx().subarray(0, 25)));
        }
        assert.equal(sim.lineStats().gapViolations, 0);
      } finally {
        await raw.close();
        await sim.stop();
        await pty.stop();
      }
    });
  }
});
