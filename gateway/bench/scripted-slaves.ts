/**
 * Scripted Modbus slaves for the driver comparison's fault section: one personality at a time, on a
 * TCP port or on the slave side of a socat pty pair. Registers hold their own address (register n =
 * n), so a reply that lands on the wrong request shows up as wrong values, not as a silent pass.
 *
 * Personalities: correct; silent; exception 0x02; short (the byte count promises more registers than
 * the frame carries); garbled (TCP: a header with a wrong protocol id; RTU: the right reply with a
 * broken CRC); wrongUnit (a correct reply from another unit id); late (the first reply comes 300 ms
 * after its request — after the master's timeout, when it may already have sent its next request —
 * and the next one right after it: a slave answers in order, RELIABILITY.md C2).
 */
import net from 'node:net';
import { SerialPort } from 'serialport';
import { crc16Modbus, encodeMbap } from '@safeloop/contract';

export const PERSONALITIES = ['correct', 'silent', 'exception', 'short', 'garbled', 'wrongUnit', 'late'] as const;
export type Personality = (typeof PERSONALITIES)[number];

export interface ScriptedSlave {
  stop(): Promise<void>;
}

/** The reply PDU to a read of holding/input registers, and the unit id to answer with; undefined: no reply. */
function answer(p: Personality, unitId: number, pdu: Buffer, nth: number): { unit: number; pdu: Buffer; delayMs: number } | undefined {
  const fc = pdu[0] ?? 0;
  const start = pdu.readUInt16BE(1);
  const count = pdu.readUInt16BE(3);
  const data = Buffer.alloc(2 + count * 2);
  data[0] = fc;
  data[1] = count * 2;
  for (let i = 0; i < count; i++) data.writeUInt16BE((start + i) & 0xffff, 2 + i * 2);
  switch (p) {
    case 'correct':
    case 'garbled':
      return { unit: unitId, pdu: data, delayMs: 0 };
    case 'silent':
      return undefined;
    case 'exception':
      return { unit: unitId, pdu: Buffer.from([fc | 0x80, 0x02]), delayMs: 0 };
    case 'short':
      return { unit: unitId, pdu: data.subarray(0, data.length - 2), delayMs: 0 };
    case 'wrongUnit':
      return { unit: (unitId % 247) + 1, pdu: data, delayMs: 0 };
    case 'late':
      return { unit: unitId, pdu: data, delayMs: nth === 0 ? 300 : 0 };
  }
}

/** Replies leave in request order: each waits for the one before it (a slave does one thing at a time). */
function inOrder(): (write: () => void, delayMs: number) => void {
  let last = Date.now();
  return (write, delayMs) => {
    const at = Math.max(Date.now() + delayMs, last);
    last = at;
    setTimeout(write, at - Date.now());
  };
}

export async function startTcpSlave(p: Personality): Promise<ScriptedSlave & { port: number }> {
  const sockets = new Set<net.Socket>();
  const send = inOrder();
  let nth = 0;
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    let rx = Buffer.alloc(0);
    s.on('data', (chunk: Buffer) => {
      rx = Buffer.concat([rx, chunk]);
      while (rx.length >= 7 && rx.length >= 6 + rx.readUInt16BE(4)) {
        const len = 6 + rx.readUInt16BE(4);
        const tid = rx.readUInt16BE(0);
        const unit = rx[6] ?? 0;
        const pdu = Buffer.from(rx.subarray(7, len));
        rx = rx.subarray(len);
        const a = answer(p, unit, pdu, nth++);
        if (!a) continue;
        const frame = encodeMbap(tid, a.unit, a.pdu);
        if (p === 'garbled') frame.writeUInt16BE(0x1234, 2);
        send(() => s.write(frame), a.delayMs);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A slave on `path` (the far side of a pty pair); requests are 8-byte reads (FC 3/4). */
export async function startRtuSlave(path: string, baudRate: number, p: Personality): Promise<ScriptedSlave> {
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  const send = inOrder();
  let nth = 0;
  let rx = Buffer.alloc(0);
  port.on('data', (chunk: Buffer) => {
    rx = Buffer.concat([rx, chunk]);
    while (rx.length >= 8) {
      const frame = rx.subarray(0, 8);
      rx = rx.subarray(8);
      const a = answer(p, frame[0] ?? 0, Buffer.from(frame.subarray(1, 6)), nth++);
      if (!a) continue;
      const body = Buffer.concat([Buffer.from([a.unit]), a.pdu]);
      const crc = crc16Modbus(body) ^ (p === 'garbled' ? 0xffff : 0);
      const out = Buffer.concat([body, Buffer.from([crc & 0xff, crc >> 8])]);
      send(() => port.write(out), a.delayMs);
    }
  });
  return { stop: () => new Promise<void>((resolve) => port.close(() => resolve())) };
}
