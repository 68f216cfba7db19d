/**
 * Modbus RTU slave simulator on a serial line (in tests: the `b` end of a socat pty pair).
 * Own framing (address + PDU + CRC-16 low byte first); answers only its unit ids and stays silent to
 * others; frames with a bad CRC are dropped as a real slave would. With `lineTiming`, replies are
 * paced as on a real line: the request's transmission time, a 3.5-character gap, the reply's
 * transmission time — so a master's achieved rate can be compared with the line limit.
 */
import { writeSync } from 'node:fs';
import { SerialPort } from 'serialport';
import { silentLogger, systemClock, type Clock, type Logger } from '@safeloop/contract';
import { createScenarioClock, type ScenarioClock } from '../scenario/scenario-clock.ts';
import { crcMatches, withCrc } from './crc16.ts';
import { characterMs, frameMs, interFrameGapMs, waitUntil } from './line-timing.ts';
import { answerPdu, requestPduLength, truncatePdu } from './pdu.ts';
import { SimFleet, type ModbusSim } from './sim-fleet.ts';
import type { SimDevice } from './sim-device.ts';

export interface ModbusRtuSimulatorOptions {
  path: string;
  baudRate: number;
  parity?: 'none' | 'even' | 'odd';
  dataBits?: 7 | 8;
  stopBits?: 1 | 2;
  devices: SimDevice[];
  /** Pace replies by real line timing (11 bits/character, 3.5-character gaps). Default false. */
  lineTiming?: boolean;
  /** Incomplete bytes older than this are discarded as line noise; default max(20 ms, 3.5 chars). */
  frameTimeoutMs?: number;
  logger?: Logger;
  clock?: Clock;
  scenario?: ScenarioClock;
  refreshMs?: number;
}

export interface RtuLineStats {
  /** Frames whose CRC did not match (dropped, bytes re-synchronised). */
  crcErrors: number;
  /** Well-formed frames for unit ids this simulator does not serve. */
  framesForOthers: number;
  /** Requests that arrived before the line was free (less than 3.5 characters after our reply). */
  gapViolations: number;
  /** Bytes thrown away as incomplete or unparseable. */
  discardedBytes: number;
  /** Replies written. */
  replies: number;
}

export interface ModbusRtuSim extends ModbusSim {
  lineStats(): RtuLineStats;
}

interface Pending {
  frame: Buffer;
  arrivedAt: number;
}

export async function startModbusRtuSimulator(opts: ModbusRtuSimulatorOptions): Promise<ModbusRtuSim> {
  const logger = (opts.logger ?? silentLogger).child({ component: 'rig:modbus-rtu', path: opts.path });
  const scenario = opts.scenario ?? createScenarioClock(opts.clock ?? systemClock);
  const fleet = new SimFleet(opts.devices, { scenario, logger, ...(opts.refreshMs === undefined ? {} : { refreshMs: opts.refreshMs }) });
  const baud = opts.baudRate;
  const gap = interFrameGapMs(baud);
  const frameTimeoutMs = opts.frameTimeoutMs ?? Math.max(20, 3.5 * characterMs(baud));
  const stats: RtuLineStats = { crcErrors: 0, framesForOthers: 0, gapViolations: 0, discardedBytes: 0, replies: 0 };
  const state = { stopped: false };
  const timers = new Set<NodeJS.Timeout>();
  const queue: Pending[] = [];
  let draining = false;
  let lineFreeAt = 0;
  let rx: Buffer = Buffer.alloc(0);
  let rxTimer: NodeJS.Timeout | undefined;

  const port = new SerialPort({
    path: opts.path,
    baudRate: baud,
    parity: opts.parity ?? 'none',
    dataBits: opts.dataBits ?? 8,
    stopBits: opts.stopBits ?? 1,
    autoOpen: false,
  });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  port.on('error', (err) => logger.warn({ err: err.message }, 'serial port error'));

  const send = (frame: Buffer): void => {
    if (state.stopped) return;
    stats.replies += 1;
    // Straight to the pty (non-blocking fd): serialport's write goes through the libuv thread pool,
    // which added a thread hand-off (0.1–1 ms on a loaded machine) to every reply's arrival.
    const fd = (port.port as { fd?: number | null } | undefined)?.fd;
    let written = 0;
    if (typeof fd === 'number') {
      try {
        written = writeSync(fd, frame);
      } catch {
        // EAGAIN and the like: let serialport queue it
      }
    }
    if (written >= frame.length) return;
    port.write(frame.subarray(written), (err) => {
      if (err) logger.warn({ err: err.message }, 'serial write failed');
    });
  };

  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const replyFor = (frame: Buffer): Buffer | undefined => {
    const device = fleet.find(frame[0] ?? 0);
    if (device === undefined) return undefined;
    if (device.fault('silent') !== undefined || device.fault('disconnect') !== undefined) return undefined;
    const pdu = frame.subarray(1, frame.length - 2);
    let reply = answerPdu(device, pdu); // unknown functions get exception 0x01 there
    if (device.fault('shortFrame') !== undefined) reply = truncatePdu(reply);
    const out = withCrc(Buffer.concat([Buffer.from([device.unitId]), reply]));
    if (device.fault('badCrc') !== undefined) {
      const last = out.length - 1;
      out[last] = (out[last] ?? 0) ^ 0xa5;
    }
    return out;
  };

  /** Requests are answered one at a time, in order, like a single line. */
  const drain = async (): Promise<void> => {
    if (draining) return;
    draining = true;
    try {
      while (queue.length > 0 && !state.stopped) {
        const item = queue.shift();
        if (item === undefined) break;
        const device = fleet.find(item.frame[0] ?? 0);
        if (device !== undefined) device.requests += 1;
        else stats.framesForOthers += 1;
        let start = item.arrivedAt;
        if (opts.lineTiming === true) {
          if (item.arrivedAt < lineFreeAt) stats.gapViolations += 1;
          start = Math.max(item.arrivedAt, lineFreeAt);
        }
        const requestEnd = start + (opts.lineTiming === true ? frameMs(item.frame.length, baud) : 0);
        const reply = replyFor(item.frame);
        if (reply === undefined) {
          lineFreeAt = requestEnd + gap;
          continue;
        }
        const late = device?.fault('lateReply');
        if (late !== undefined) {
          later(late.ms, () => send(reply));
          lineFreeAt = requestEnd + gap;
          continue;
        }
        const slowMs = device?.fault('slow')?.ms ?? 0;
        const replyStart = requestEnd + (opts.lineTiming === true ? gap : 0) + slowMs;
        const replyEnd = replyStart + (opts.lineTiming === true ? frameMs(reply.length, baud) : 0);
        await waitUntil(replyEnd, state);
        send(reply);
        lineFreeAt = replyEnd + gap;
      }
    } finally {
      draining = false;
    }
  };

  const kick = (): void => {
    drain().catch((err: unknown) => logger.error({ err }, 'rtu simulator drain failed'));
  };

  /** Cut complete frames off the receive buffer; re-synchronise byte by byte after a bad CRC. */
  const parse = (now: number, onSilence: boolean): void => {
    while (rx.length >= 4) {
      const pduLen = requestPduLength(rx.subarray(1));
      if (pduLen === undefined) {
        const fc = rx[1] ?? 0;
        const needMore = (fc === 0x0f || fc === 0x10) && rx.length < 7;
        if (needMore && !onSilence) return;
        if (!onSilence) return; // unknown function: the frame ends with the silence
        if (crcMatches(rx)) queue.push({ frame: rx, arrivedAt: now });
        else {
          stats.discardedBytes += rx.length;
          stats.crcErrors += 1;
        }
        rx = Buffer.alloc(0);
        return;
      }
      const total = 1 + pduLen + 2;
      if (rx.length < total) {
        if (onSilence) {
          stats.discardedBytes += rx.length;
          rx = Buffer.alloc(0);
        }
        return;
      }
      const frame = rx.subarray(0, total);
      if (crcMatches(frame)) {
        queue.push({ frame: Buffer.from(frame), arrivedAt: now });
        rx = rx.subarray(total);
      } else {
        stats.crcErrors += 1;
        stats.discardedBytes += 1;
        rx = rx.subarray(1);
      }
    }
    if (onSilence && rx.length > 0) {
      stats.discardedBytes += rx.length;
      rx = Buffer.alloc(0);
    }
  };

  // When the request arrived: serialport learns that the fd is readable (poller), then reads it on
  // the libuv thread pool and only then emits 'data' — a thread hand-off later. The poller's event
  // is the honest arrival time (the bytes were in the pty by then); it only counts if it came after
  // the previous 'data' (a read that found bytes at once has no poller event of its own).
  let readableAt = -Infinity;
  let lastDataAt = -Infinity;
  const poller = (port.port as { poller?: { on?: (e: string, f: (err: Error | null) => void) => void } } | undefined)?.poller;
  poller?.on?.('readable', (err) => {
    if (err === null) readableAt = performance.now();
  });

  port.on('data', (chunk: Buffer) => {
    const seen = performance.now();
    const now = readableAt > lastDataAt ? readableAt : seen;
    lastDataAt = seen;
    rx = rx.length === 0 ? chunk : Buffer.concat([rx, chunk]);
    parse(now, false);
    if (rxTimer !== undefined) clearTimeout(rxTimer);
    rxTimer = undefined;
    if (rx.length > 0) {
      rxTimer = setTimeout(() => {
        rxTimer = undefined;
        parse(performance.now(), true);
        kick();
      }, frameTimeoutMs);
    }
    kick();
  });
  logger.info({ baudRate: baud, units: fleet.all().map((d) => d.unitId), lineTiming: opts.lineTiming === true }, 'modbus rtu simulator open');

  return {
    port: 0,
    ...fleet.handle(),
    lineStats: () => ({ ...stats }),
    stop: async () => {
      if (state.stopped) return;
      state.stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      if (rxTimer !== undefined) clearTimeout(rxTimer);
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    },
  };
}
