/**
 * The RTU master's inter-frame silence (issue 20): a request is never written less than t3.5 after
 * the last byte of the previous reply (3.5 characters at ≤ 19200 baud, 1.75 ms above), also now
 * that the tail of the wait is a blocking futex wait instead of a setImmediate spin — and the wait is
 * not grossly longer than t3.5 either. The slave here is raw bytes on the other end of a pty pair,
 * answering at once, so every measured gap is the master's own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SerialPort } from 'serialport';
import { silentLogger } from '@safeloop/contract';
import { createPtyPair, withCrc } from '@safeloop/test-rigs';
import { createModbusRtuDriver, interFrameGapMs } from '../../src/field/modbus-rtu-driver.ts';

for (const [baudRate, otherLine] of [[9600, false], [19200, false], [115200, false], [115200, true]] as const) {
  void test(`at ${baudRate} baud${otherLine ? ', with a second RTU line open,' : ''} the master keeps t3.5 between the last reply byte and the next request`, async () => {
    const pty = await createPtyPair();
    const slave = new SerialPort({ path: pty.b, baudRate, parity: 'even', autoOpen: false });
    await new Promise<void>((resolve, reject) => slave.open((err) => (err ? reject(err) : resolve())));
    const requestAt: number[] = [];
    const replyWrittenAt: number[] = [];
    let rx = Buffer.alloc(0);
    slave.on('data', (chunk: Buffer) => {
      const now = performance.now();
      rx = Buffer.concat([rx, chunk]);
      while (rx.length >= 8) {
        const req = rx.subarray(0, 8);
        rx = rx.subarray(8);
        requestAt.push(now);
        const count = req.readUInt16BE(4);
        const body = Buffer.alloc(3 + 2 * count);
        body[0] = req[0] ?? 0;
        body[1] = 0x03;
        body[2] = 2 * count;
        for (let i = 0; i < count; i++) body.writeUInt16BE(req.readUInt16BE(2) + i, 3 + 2 * i);
        replyWrittenAt.push(performance.now()); // stamped before the write: the real end is later
        slave.write(withCrc(body));
      }
    });
    const line = { path: pty.a, baudRate, parity: 'even', dataBits: 8, stopBits: 1 } as const;
    const master = createModbusRtuDriver({ ...line, logger: silentLogger });
    // A second line open in the process: the gap's tail must then yield, never block the event loop.
    const otherPty = otherLine ? await createPtyPair() : undefined;
    const other = otherPty ? createModbusRtuDriver({ ...line, path: otherPty.a, logger: silentLogger }) : undefined;
    const originalWait = Atomics.wait;
    let blocked = 0;
    Atomics.wait = ((...args: Parameters<typeof Atomics.wait>) => ((blocked += 1), originalWait(...args))) as typeof Atomics.wait;
    try {
      await other?.open({ timeoutMs: 1000 });
      await master.open({ timeoutMs: 1000 });
      for (let i = 0; i < 30; i++) {
        const values = await master.readBlock(1, { table: 'holding', start: i, count: 4 }, { timeoutMs: 300 });
        assert.deepEqual([...values], [i, i + 1, i + 2, i + 3], 'each reply framed to its own request');
      }
      const gap = interFrameGapMs(line);
      const gaps = requestAt.slice(1).map((t, k) => t - (replyWrittenAt[k] ?? Infinity));
      for (const g of gaps) assert.ok(g >= gap, `a request followed the previous reply after ${g.toFixed(3)} ms; t3.5 is ${gap.toFixed(3)} ms`);
      gaps.sort((a, b) => a - b);
      const median = gaps[Math.floor(gaps.length / 2)] ?? 0;
      // Gross errors only (e.g. a wait in seconds, or a character time mixed up with a bit time): the
      // measured gap also holds two pty hops and this process's own event loop, which a loaded
      // machine stretches by several ms (bench/field-rtu-efficiency.bench.ts measures the overshoot).
      assert.ok(median < gap + 25, `median gap ${median.toFixed(3)} ms for t3.5 ${gap.toFixed(3)} ms`);
      // (With one line the tail may block on a futex; whether a given run does depends on timer lateness.)
      if (otherLine) assert.equal(blocked, 0, 'no blocking wait with two lines open');
    } finally {
      Atomics.wait = originalWait;
      await other?.close();
      await otherPty?.stop();
      await master.close();
      await new Promise<void>((resolve) => slave.close(() => resolve()));
      await pty.stop();
    }
  });
}
