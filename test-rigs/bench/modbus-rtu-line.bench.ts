/**
 * Pacing accuracy of the RTU simulator's `lineTiming` mode: a minimal, ideal master (raw serial port,
 * next request exactly one 3.5-character gap after each reply) reads 10 registers from one unit in a
 * loop; achieved transactions/s are compared with the line limit from baud rate and frame sizes
 * (lineLimitPerSec). This is the ceiling any driver can reach against the rig — the reference for the
 * gateway's RTU efficiency benchmark. A last run without pacing gives the bare round trip (socat relay
 * + two event loops), which a loaded machine adds to every transaction.
 *
 *   node --import tsx test-rigs/bench/modbus-rtu-line.bench.ts [seconds per baud rate, default 5]
 */
import { SerialPort } from 'serialport';
import {
  createPtyPair,
  interFrameGapMs,
  lineLimitPerSec,
  startModbusRtuSimulator,
  waitUntil,
  withCrc,
} from '../src/modbus/index.ts';

const seconds = Number(process.argv[2] ?? 5);
const REQUEST = withCrc(Buffer.from([1, 0x03, 0x00, 0x00, 0x00, 0x0a]));
const REPLY_BYTES = 5 + 10 * 2;

async function measure(baudRate: number, lineTiming: boolean): Promise<void> {
  const pty = await createPtyPair();
  const sim = await startModbusRtuSimulator({ path: pty.b, baudRate, lineTiming, devices: [{ unitId: 1, profileId: 'addresses', registerMode: 'address' }] });
  const port = new SerialPort({ path: pty.a, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  try {
    const gap = interFrameGapMs(baudRate);
    let received = 0;
    let done = 0;
    let onReply: (() => void) | undefined;
    port.on('data', (d: Buffer) => {
      received += d.length;
      if (received >= REPLY_BYTES) {
        received -= REPLY_BYTES;
        onReply?.();
      }
    });
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    while (performance.now() < end) {
      const reply = new Promise<void>((resolve) => {
        onReply = resolve;
      });
      port.write(REQUEST);
      await reply;
      done += 1;
      if (lineTiming) await waitUntil(performance.now() + gap);
    }
    const elapsed = (performance.now() - t0) / 1000;
    const achieved = done / elapsed;
    const limit = lineLimitPerSec(REQUEST.length, REPLY_BYTES, baudRate);
    const stats = sim.lineStats();
    process.stdout.write(
      `${JSON.stringify({ baudRate, lineTiming, meanTransactionMs: Number((1000 / achieved).toFixed(2)), achievedPerSec: Number(achieved.toFixed(1)), lineLimitPerSec: Number(limit.toFixed(1)), efficiencyPercent: Number(((achieved / limit) * 100).toFixed(1)), gapViolations: stats.gapViolations })}\n`,
    );
  } finally {
    await new Promise<void>((resolve) => port.close(() => resolve()));
    await sim.stop();
    await pty.stop();
  }
}

process.stdout.write(`# RTU simulator line timing, read 10 holding registers (8-byte request, 25-byte reply), ${seconds} s each, node ${process.version}\n`);
for (const baud of [9600, 19200, 115200]) await measure(baud, true);
// The same loop without pacing: the round trip through socat and both event loops, i.e. the
// overhead this machine adds to every transaction on top of the line time.
await measure(115200, false);
