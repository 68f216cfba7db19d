/**
 * Raw request/reply probes for the bus scan: one PDU out, whatever comes back classified. Unlike
 * the polling drivers these accept any function code (43/14 too) and report garbled bytes instead of
 * hiding them, because "bytes arrived but no valid frame" is how a wrong baud rate or parity shows.
 * One request at a time; every request has a timeout; close() releases the port or socket.
 */
import net from 'node:net';
import { SerialPort } from 'serialport';
import { MBAP_HEADER_BYTES, SafeLoopError, encodeMbap, readMbapHeader } from '@safeloop/contract';
import { rtuCrcOk, rtuFrame } from '../field/modbus-frame.ts';
import { rtuFrameLength } from './modbus-device-id.ts';
import { charMs, type LineSetting } from './scan-plan.ts';

export type ProbeOutcome =
  | { kind: 'reply'; pdu: Buffer; ms: number }
  | { kind: 'timeout' }
  /** Bytes arrived but made no valid frame for this request (CRC, framing, another unit). */
  | { kind: 'garbled'; bytes: number };

export interface ModbusProbe {
  readonly description: string;
  request(unitId: number, pdu: Buffer, timeoutMs: number): Promise<ProbeOutcome>;
  /**
   * Unit ids of valid frames that answered no pending request since the last call: late replies of
   * slow devices (probed, timed out, answered anyway). The scan re-probes them with a longer timeout.
   */
  takeStrays(): number[];
  close(): Promise<void>;
}

/**
 * Find valid RTU frames anywhere in `buf` (re-synchronising after garbage): the first one that
 * `wanted` accepts is returned; every other valid frame's unit id goes to `strays`.
 */
export function findRtuFrames(buf: Buffer, wanted: ((f: Buffer) => boolean) | undefined, strays: Set<number>): Buffer | undefined {
  let i = 0;
  while (i + 4 <= buf.length) {
    const sub = buf.subarray(i);
    const len = rtuFrameLength(sub);
    if (typeof len === 'number' && len >= 4 && len <= 256 && len <= sub.length && rtuCrcOk(sub.subarray(0, len))) {
      const f = sub.subarray(0, len);
      if (wanted?.(f) === true) return f;
      strays.add(f[0] ?? 0);
      i += len;
      continue;
    }
    i += 1;
  }
  return undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Open an RTU probe on a serial port at one line setting. */
export async function openRtuProbe(path: string, s: LineSetting): Promise<ModbusProbe> {
  const port = new SerialPort({ path, baudRate: s.baudRate, parity: s.parity, dataBits: s.dataBits, stopBits: s.stopBits, autoOpen: false });
  await new Promise<void>((resolve, reject) =>
    port.open((err) => (err ? reject(new SafeLoopError('GW_ERR_SERIAL_OPEN', `cannot open ${path}: ${err.message}`, { cause: err })) : resolve())),
  );
  const ch = charMs(s);
  const gapMs = s.baudRate > 19200 ? 1.75 : 3.5 * ch;
  let rx: Buffer = Buffer.alloc(0);
  let onBytes: (() => void) | undefined;
  let lastRx = 0;
  let idle: Buffer = Buffer.alloc(0);
  const strays = new Set<number>();
  port.on('data', (chunk: Buffer) => {
    lastRx = performance.now();
    if (!onBytes) {
      // Between requests: a late reply to an earlier probe. Kept to learn which unit was slow.
      idle = Buffer.concat([idle, chunk]).subarray(-512);
      return;
    }
    rx = rx.length === 0 ? chunk : Buffer.concat([rx, chunk]);
    onBytes();
  });
  port.on('error', () => undefined);
  let busy = false;
  return {
    description: `${path} ${s.baudRate} ${s.parity}`,
    async request(unitId, pdu, timeoutMs) {
      if (busy) throw new Error('probe: one request at a time');
      busy = true;
      try {
        // The line must be quiet for the inter-frame gap (and a late reply to the previous probe must be over).
        while (performance.now() - lastRx < Math.max(gapMs, 2)) await sleep(Math.max(1, gapMs));
        const frame = rtuFrame(unitId, pdu);
        if (idle.length > 0) findRtuFrames(idle, undefined, strays);
        idle = Buffer.alloc(0);
        rx = Buffer.alloc(0);
        const started = performance.now();
        const budget = timeoutMs + (frame.length + 8) * ch;
        return await new Promise<ProbeOutcome>((resolve) => {
          const done = (o: ProbeOutcome): void => {
            clearTimeout(timer);
            onBytes = undefined;
            resolve(o);
          };
          const timer = setTimeout(() => {
            findRtuFrames(rx, undefined, strays);
            done(rx.length > 0 ? { kind: 'garbled', bytes: rx.length } : { kind: 'timeout' });
          }, budget);
          const fc = pdu[0] ?? 0;
          const wanted = (f: Buffer): boolean => f[0] === unitId && ((f[1] ?? 0) & 0x7f) === fc;
          onBytes = () => {
            const local = new Set<number>();
            const f = findRtuFrames(rx, wanted, local);
            if (f === undefined) return; // more bytes may come; the timeout reports what did not fit
            for (const u of local) strays.add(u);
            done({ kind: 'reply', pdu: Buffer.from(f.subarray(1, f.length - 2)), ms: performance.now() - started });
          };
          port.write(frame);
        });
      } finally {
        busy = false;
      }
    },
    takeStrays() {
      if (idle.length > 0 && !onBytes) {
        findRtuFrames(idle, undefined, strays);
        idle = Buffer.alloc(0);
      }
      const out = [...strays];
      strays.clear();
      return out;
    },
    async close() {
      onBytes = undefined;
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    },
  };
}

/** Open a Modbus TCP probe (MBAP framing, transaction ids checked). */
export async function openTcpProbe(host: string, port: number, connectTimeoutMs = 3000): Promise<ModbusProbe> {
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new SafeLoopError('GW_ERR_FIELD_DISCONNECTED', `cannot connect to ${host}:${port}: no connection within ${connectTimeoutMs} ms`));
    }, connectTimeoutMs);
    s.once('error', (err) => {
      clearTimeout(timer);
      reject(new SafeLoopError('GW_ERR_FIELD_DISCONNECTED', `cannot connect to ${host}:${port}: ${err.message}`, { cause: err }));
    });
    s.once('connect', () => {
      clearTimeout(timer);
      s.setNoDelay(true);
      resolve(s);
    });
  });
  socket.on('error', () => undefined);
  let rx: Buffer = Buffer.alloc(0);
  let tid = Math.floor(Math.random() * 0xffff);
  let waiting: { tid: number; unitId: number; done: (o: ProbeOutcome) => void; started: number } | undefined;
  let closed = false;
  const strays = new Set<number>();
  socket.on('close', () => {
    closed = true;
    waiting?.done({ kind: 'garbled', bytes: 0 });
  });
  socket.on('data', (chunk: Buffer) => {
    rx = rx.length === 0 ? chunk : Buffer.concat([rx, chunk]);
    for (let h = readMbapHeader(rx); h; h = readMbapHeader(rx)) {
      if (!h.valid) {
        rx = Buffer.alloc(0);
        return;
      }
      if (rx.length < h.frameBytes) return;
      const { tid: t, unitId: unit } = h;
      const pdu = Buffer.from(rx.subarray(MBAP_HEADER_BYTES, h.frameBytes));
      rx = rx.subarray(h.frameBytes);
      const w = waiting;
      if (w && w.tid === t && w.unitId === unit) w.done({ kind: 'reply', pdu, ms: performance.now() - w.started });
      else strays.add(unit);
    }
  });
  return {
    description: `tcp ${host}:${port}`,
    async request(unitId, pdu, timeoutMs) {
      if (waiting) throw new Error('probe: one request at a time');
      if (closed) return { kind: 'garbled', bytes: 0 };
      tid = (tid + 1) & 0xffff;
      const frame = encodeMbap(tid, unitId, pdu);
      return await new Promise<ProbeOutcome>((resolve) => {
        const timer = setTimeout(() => w.done({ kind: 'timeout' }), timeoutMs);
        const w = {
          tid,
          unitId,
          started: performance.now(),
          done: (o: ProbeOutcome) => {
            clearTimeout(timer);
            waiting = undefined;
            resolve(o);
          },
        };
        waiting = w;
        socket.write(frame);
      });
    },
    takeStrays() {
      const out = [...strays];
      strays.clear();
      return out;
    },
    async close() {
      closed = true;
      socket.destroy();
      await Promise.resolve();
    },
  };
}
