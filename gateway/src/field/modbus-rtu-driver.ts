/**
 * Modbus RTU master on `serialport`, written for one job: never take the wrong frame as the answer.
 *
 * - One request at a time; before sending, the line must have been quiet for the inter-frame gap
 *   (3.5 characters, 1.75 ms above 19200 baud) and, after a failed request, for the late-reply guard.
 * - Bytes that arrive while no request is waiting are discarded and counted (late replies).
 * - While waiting, a complete frame from another unit or with a byte count that does not fit the
 *   request is skipped (it is a late reply to something else), never used.
 * - Bad CRC → `crc_error`; a frame that stops short before the timeout → `short_frame`; nothing →
 *   `timeout`. After any failure the receive buffer is flushed.
 * - A unit that timed out is *suspect* until its late reply has been seen and discarded, or for
 *   `lateReplyWindowMs` (default max(1 s, 3 × timeout)): requests to it fail fast with `timeout`
 *   instead of being sent, because RTU has no transaction id and a late reply to the previous request
 *   would otherwise be taken as the answer to the next one (RELIABILITY.md C2).
 */
import { SerialPort } from 'serialport';
import type { Logger } from '@safeloop/contract';
import { blockFor } from '@safeloop/contract';
import { FieldRequestError, modbusExceptionError } from './errors.ts';
import {
  checkWriteReply,
  decodeReadReply,
  encodeReadRequest,
  encodeWriteRequest,
  readFunctionCode,
  readReplyPduLength,
  rtuCrcOk,
  rtuFrame,
  rtuReplyFrameLength,
  WRITE_REPLY_PDU_LENGTH,
  type ModbusBlock,
} from './modbus-frame.ts';
import { abortedError, emptyCounters, requireTimeout, type DriverCounters, type ModbusDriver, type RequestOptions, type WriteRequest } from './modbus-driver.ts';

export interface RtuLineOptions {
  path: string;
  baudRate: number;
  parity: 'none' | 'even' | 'odd';
  dataBits: 7 | 8;
  stopBits: 1 | 2;
  /** Quiet time required after a failed request before the next one (late-reply guard). */
  lateReplyGuardMs?: number;
  /** How long a unit that timed out is not asked again unless its late reply arrives first. */
  lateReplyWindowMs?: number;
}

/** Bits per character on the line: start + data + parity + stop. */
export function bitsPerChar(line: Pick<RtuLineOptions, 'parity' | 'dataBits' | 'stopBits'>): number {
  return 1 + line.dataBits + (line.parity === 'none' ? 0 : 1) + line.stopBits;
}

/** The RTU inter-frame silence in ms: 3.5 characters, fixed at 1.75 ms above 19200 baud. */
export function interFrameGapMs(line: Pick<RtuLineOptions, 'baudRate' | 'parity' | 'dataBits' | 'stopBits'>): number {
  if (line.baudRate > 19200) return 1.75;
  return (3.5 * bitsPerChar(line) * 1000) / line.baudRate;
}

interface Waiter {
  unitId: number;
  fc: number;
  /** Full frame length of a successful reply. */
  okLength: number;
  resolve: (pdu: Buffer) => void;
  reject: (err: FieldRequestError) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The last part of an inter-frame wait that is waited precisely (blocking) instead of by a timer. */
const PRECISE_TAIL_MS = 1.5;
/** The very end of the wait is spun (setImmediate): a sleeping thread can take ~0.1–0.5 ms to wake in a VM. */
const SPIN_MS = 0.25;
/**
 * RTU lines open in this process. The futex wait holds the whole event loop; one line gives up at most
 * PRECISE_TAIL_MS per transaction (≈ 20 % of the loop at 115,200 baud), but several lines would add up and
 * starve the uplink, the TCP buses and the alarm path. With more than one line the tail is yielded instead.
 */
const openLines = new Set<string>();

export function createModbusRtuDriver(opts: RtuLineOptions & { logger: Logger }): ModbusDriver {
  const busId = `rtu:${opts.path}`;
  const log = opts.logger;
  const counters = emptyCounters();
  const gapMs = interFrameGapMs(opts);
  const charMs = (bitsPerChar(opts) * 1000) / opts.baudRate;
  let port: SerialPort | undefined;
  let open = false;
  let rx: Buffer = Buffer.alloc(0);
  let waiter: Waiter | undefined;
  let busy = false;
  let lastActivity = 0;
  let requiredQuietMs = gapMs;
  /** Units that timed out and may still send a late reply: unit id → until when (performance.now()). */
  const suspect = new Map<number, number>();

  function clearSuspect(unitId: number | undefined): void {
    if (unitId !== undefined && suspect.delete(unitId)) log.debug({ busId, unitId }, 'late reply seen and discarded; unit may be asked again');
  }

  function onData(chunk: Buffer): void {
    lastActivity = performance.now();
    if (!waiter) {
      counters.lateFrames += 1;
      clearSuspect(chunk[0]);
      log.debug({ busId, bytes: chunk.length }, 'discarded bytes that arrived while no request was waiting');
      return;
    }
    rx = rx.length === 0 ? chunk : Buffer.concat([rx, chunk]);
    parse();
  }

  /** Consume frames from rx until the waiter is answered or more bytes are needed. */
  function parse(): void {
    const w = waiter;
    while (w && rx.length >= 2) {
      const addr = rx[0] ?? 0;
      const fc = rx[1] ?? 0;
      const ours = addr === w.unitId && (fc === w.fc || fc === (w.fc | 0x80));
      let expected = ours ? (fc & 0x80 ? 5 : w.okLength) : rtuReplyFrameLength(rx);
      if (ours && !(fc & 0x80) && w.fc <= 4 && rx.length >= 3 && 5 + (rx[2] ?? 0) !== w.okLength) {
        // Same unit and function but another byte count: a late reply to an earlier request.
        expected = 5 + (rx[2] ?? 0);
        if (rx.length < expected) return;
        if (rtuCrcOk(rx.subarray(0, expected))) {
          skipFrame(expected, 'reply with another length (late)');
          continue;
        }
        failWith(new FieldRequestError('crc_error', `reply from unit ${w.unitId} failed the CRC check`));
        return;
      }
      if (expected === undefined) return;
      if (expected === null) {
        counters.lateFrames += 1;
        log.debug({ busId, addr, fc }, 'discarded unparseable bytes on the RTU line');
        rx = Buffer.alloc(0);
        return;
      }
      if (rx.length < expected) return;
      const frame = rx.subarray(0, expected);
      if (!ours) {
        if (rtuCrcOk(frame)) {
          skipFrame(expected, 'frame from another unit or function (late)');
          continue;
        }
        counters.lateFrames += 1;
        rx = Buffer.alloc(0);
        return;
      }
      if (!rtuCrcOk(frame)) {
        failWith(new FieldRequestError('crc_error', `reply from unit ${w.unitId} failed the CRC check`));
        return;
      }
      rx = rx.subarray(expected);
      waiter = undefined;
      w.resolve(Buffer.from(frame.subarray(1, expected - 2)));
      return;
    }
  }

  function skipFrame(length: number, why: string): void {
    counters.lateFrames += 1;
    clearSuspect(rx[0]);
    log.debug({ busId, why }, 'skipped a frame that does not answer the pending request');
    rx = rx.subarray(length);
  }

  function failWith(err: FieldRequestError): void {
    const w = waiter;
    waiter = undefined;
    rx = Buffer.alloc(0);
    w?.reject(err);
  }

  /**
   * Wait until the line has been quiet for the required time: a timer for all but the last
   * `PRECISE_TAIL_MS` (timers have 1 ms granularity and fire late), then a futex wait (no CPU) for
   * all but the last SPIN_MS, which are spun on setImmediate to hide the thread's wake-up latency.
   * The futex wait holds the event loop for at most PRECISE_TAIL_MS before a write; the setImmediate
   * spin it replaces held a core busy for up to 3 ms per transaction (2.7× modbus-serial's CPU per
   * read) and, on a loaded machine, was descheduled and overshot.
   */
  async function waitForQuiet(): Promise<void> {
    for (;;) {
      const remaining = requiredQuietMs - (performance.now() - lastActivity);
      if (remaining <= 0) break;
      if (remaining > PRECISE_TAIL_MS + 0.5) await sleep(remaining - PRECISE_TAIL_MS);
      else if (remaining > SPIN_MS && openLines.size <= 1) blockFor(remaining - SPIN_MS);
      else await new Promise<void>((resolve) => setImmediate(resolve));
    }
    requiredQuietMs = gapMs;
  }

  async function transact(unitId: number, pdu: Buffer, okPduLength: number, ro: RequestOptions): Promise<Buffer> {
    const timeoutMs = requireTimeout(ro);
    if (busy) throw new Error(`${busId}: a request is already outstanding (the bus core must serialise)`);
    const p = port;
    if (!open || !p) throw new FieldRequestError('comm_lost', 'serial port not open');
    const until = suspect.get(unitId);
    if (until !== undefined) {
      if (performance.now() < until) {
        throw new FieldRequestError('timeout', `unit ${unitId} timed out before and its late reply has not arrived; not asked again yet`);
      }
      suspect.delete(unitId);
    }
    busy = true;
    try {
      await waitForQuiet();
      if (ro.signal?.aborted) throw abortedError();
      const frame = rtuFrame(unitId, pdu);
      rx = Buffer.alloc(0);
      counters.requests += 1;
      const txMs = frame.length * charMs;
      const reply = await new Promise<Buffer>((resolve, reject) => {
        let settled = false;
        const finish = (): void => {
          settled = true;
          clearTimeout(timer);
          ro.signal?.removeEventListener('abort', onAbort);
        };
        const onAbort = (): void => {
          finish();
          failWith(abortedError());
        };
        // The verdict waits one setImmediate: after an event-loop stall the timer phase runs before
        // the poll phase, so a reply already waiting in the kernel is read before we call it a timeout.
        const timer = setTimeout(() => setImmediate(onTimeout), timeoutMs + txMs);
        const onTimeout = (): void => {
          if (waiter?.unitId !== unitId || settled) return;
          finish();
          const partial = rx.length > 0 && rx[0] === unitId;
          if (partial) {
            counters.shortFrames += 1;
            failWith(new FieldRequestError('short_frame', `reply from unit ${unitId} stopped after ${rx.length} bytes`));
          } else {
            counters.timeouts += 1;
            failWith(new FieldRequestError('timeout', `no reply from unit ${unitId} within ${timeoutMs} ms`));
          }
        };
        ro.signal?.addEventListener('abort', onAbort, { once: true });
        waiter = {
          unitId,
          fc: pdu[0] ?? 0,
          okLength: okPduLength + 3,
          resolve: (r) => {
            finish();
            counters.replies += 1;
            resolve(r);
          },
          reject: (err) => {
            finish();
            reject(err);
          },
        };
        lastActivity = performance.now();
        p.write(frame, (err) => {
          if (err) {
            finish();
            failWith(new FieldRequestError('comm_lost', `serial write failed: ${err.message}`, { cause: err }));
          }
        });
      });
      return reply;
    } catch (err) {
      if (err instanceof FieldRequestError) {
        if (err.reason === 'crc_error') counters.crcErrors += 1;
        if (err.reason === 'exception') counters.exceptions += 1;
        if (err.reason === 'timeout') suspect.set(unitId, performance.now() + (opts.lateReplyWindowMs ?? Math.max(1000, 3 * timeoutMs)));
        if (err.reason === 'timeout' || err.reason === 'crc_error' || err.reason === 'short_frame') {
          requiredQuietMs = Math.max(gapMs, opts.lateReplyGuardMs ?? Math.min(timeoutMs, 100));
          lastActivity = performance.now();
        }
      }
      throw err;
    } finally {
      busy = false;
    }
  }

  return {
    busId,
    isOpen: () => open,
    counters: (): Readonly<DriverCounters> => ({ ...counters }),
    async open({ timeoutMs }) {
      if (open) return;
      counters.opens += 1;
      const p = new SerialPort({
        path: opts.path,
        baudRate: opts.baudRate,
        parity: opts.parity,
        dataBits: opts.dataBits,
        stopBits: opts.stopBits,
        autoOpen: false,
      });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new FieldRequestError('comm_lost', `serial port ${opts.path} did not open within ${timeoutMs} ms`)), timeoutMs);
        p.open((err) => {
          clearTimeout(timer);
          if (err) reject(new FieldRequestError('comm_lost', `cannot open ${opts.path}: ${err.message}`, { cause: err }));
          else resolve();
        });
      });
      p.on('data', onData);
      p.on('error', (err: Error) => log.warn({ busId, err: err.message }, 'serial port error'));
      p.on('close', () => {
        if (port !== p) return;
        open = false;
        port = undefined;
        openLines.delete(busId);
        failWith(new FieldRequestError('comm_lost', `serial port ${opts.path} closed`));
      });
      port = p;
      open = true;
      openLines.add(busId);
      lastActivity = performance.now();
    },
    async close() {
      const p = port;
      port = undefined;
      open = false;
      openLines.delete(busId);
      failWith(new FieldRequestError('comm_lost', 'serial port closed'));
      if (p?.isOpen) await new Promise<void>((resolve) => p.close(() => resolve()));
    },
    async readBlock(unitId: number, block: ModbusBlock, ro: RequestOptions) {
      const pdu = await transact(unitId, encodeReadRequest(block), readReplyPduLength(block), ro);
      if ((pdu[0] ?? 0) & 0x80) {
        counters.exceptions += 1;
        throw modbusExceptionError(pdu[1] ?? 0);
      }
      if (pdu[0] !== readFunctionCode(block.table)) throw new FieldRequestError('short_frame', 'reply for another function');
      return decodeReadReply(pdu, block);
    },
    async writeBlock(unitId: number, req: WriteRequest, ro: RequestOptions) {
      const request = encodeWriteRequest(req.table, req.start, req.values);
      const pdu = await transact(unitId, request, WRITE_REPLY_PDU_LENGTH, ro);
      checkWriteReply(pdu, request);
    },
  };
}
