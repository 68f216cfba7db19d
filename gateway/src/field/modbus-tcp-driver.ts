/**
 * Modbus TCP driver on a plain socket: MBAP framing, one outstanding request, transaction ids
 * checked on every reply. A reply with the wrong transaction id (a late answer to a timed-out
 * request, or a device that does not echo the id) is discarded and counted; two in a row mean the
 * stream is out of step and the connection is dropped so the core reopens it.
 */
import net from 'node:net';
import { MBAP_HEADER_BYTES, encodeMbap, readMbapHeader, type Logger } from '@safeloop/contract';
import { FieldRequestError } from './errors.ts';
import {
  checkWriteReply,
  decodeReadReply,
  encodeReadRequest,
  encodeWriteRequest,
  type ModbusBlock,
} from './modbus-frame.ts';
import { abortedError, emptyCounters, requireTimeout, type DriverCounters, type ModbusDriver, type RequestOptions, type WriteRequest } from './modbus-driver.ts';

interface Pending {
  tid: number;
  unitId: number;
  resolve: (pdu: Buffer) => void;
  reject: (err: FieldRequestError) => void;
}

/** After this many consecutive mismatched replies the connection is considered out of step. */
const MAX_CONSECUTIVE_MISMATCHES = 2;

export function createModbusTcpDriver(opts: { host: string; port: number; logger: Logger }): ModbusDriver {
  const busId = `tcp:${opts.host}:${opts.port}`;
  const log = opts.logger;
  const counters = emptyCounters();
  let socket: net.Socket | undefined;
  let open = false;
  let rx: Buffer = Buffer.alloc(0);
  let pending: Pending | undefined;
  let nextTid = Math.floor(Math.random() * 0xffff);
  let mismatchRun = 0;
  // One abort listener per signal (the bus passes the same signal to every request), not one per
  // request: adding and removing a listener per request is measurable at 100 requests/s per bus.
  const listening = new WeakSet<AbortSignal>();
  let current: { signal: AbortSignal; onAbort: () => void } | undefined;

  function watch(signal: AbortSignal): void {
    if (listening.has(signal)) return;
    listening.add(signal);
    signal.addEventListener('abort', () => {
      if (current?.signal === signal) current.onAbort();
    }, { once: true });
  }

  function drop(reason: string): void {
    const s = socket;
    socket = undefined;
    open = false;
    rx = Buffer.alloc(0);
    if (s) s.destroy();
    const p = pending;
    pending = undefined;
    p?.reject(new FieldRequestError('comm_lost', `connection lost: ${reason}`));
  }

  function onData(chunk: Buffer): void {
    rx = rx.length === 0 ? chunk : Buffer.concat([rx, chunk]);
    for (let h = readMbapHeader(rx); h; h = readMbapHeader(rx)) {
      if (!h.valid) {
        log.warn({ busId, protocol: h.protocol, len: h.length }, 'garbage on the Modbus TCP stream; reconnecting');
        drop('stream out of step');
        return;
      }
      if (rx.length < h.frameBytes) return;
      const { tid, unitId } = h;
      const pdu = Buffer.from(rx.subarray(MBAP_HEADER_BYTES, h.frameBytes));
      rx = rx.subarray(h.frameBytes);
      const p = pending;
      if (p && p.tid === tid && p.unitId === unitId) {
        mismatchRun = 0;
        pending = undefined;
        p.resolve(pdu);
        continue;
      }
      counters.lateFrames += 1;
      counters.tidMismatches += 1;
      mismatchRun += 1;
      log.debug({ busId, tid, unitId, expected: p?.tid }, 'discarded a Modbus TCP reply with the wrong transaction id');
      if (mismatchRun >= MAX_CONSECUTIVE_MISMATCHES) {
        log.warn({ busId, mismatches: mismatchRun }, 'Modbus TCP transaction ids out of step; reconnecting');
        mismatchRun = 0;
        drop('transaction ids out of step');
        return;
      }
    }
  }

  async function transact(unitId: number, pdu: Buffer, ro: RequestOptions): Promise<Buffer> {
    const timeoutMs = requireTimeout(ro);
    if (pending) throw new Error(`${busId}: a request is already outstanding (the bus core must serialise)`);
    const s = socket;
    if (!open || !s) throw new FieldRequestError('comm_lost', 'not connected');
    if (ro.signal?.aborted) throw abortedError();
    nextTid = (nextTid + 1) & 0xffff;
    const tid = nextTid;
    const frame = encodeMbap(tid, unitId, pdu);
    counters.requests += 1;
    return await new Promise<Buffer>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        current = undefined;
      };
      const onAbort = (): void => {
        if (pending?.tid === tid) pending = undefined;
        finish();
        reject(abortedError());
      };
      // The verdict waits one setImmediate so a reply already read by the kernel during an
      // event-loop stall is delivered first (timers run before I/O callbacks in a loop turn).
      const timer = setTimeout(
        () =>
          setImmediate(() => {
            if (pending?.tid !== tid) return;
            pending = undefined;
            finish();
            counters.timeouts += 1;
            reject(new FieldRequestError('timeout', `no reply from unit ${unitId} within ${timeoutMs} ms`));
          }),
        timeoutMs,
      );
      if (ro.signal) {
        watch(ro.signal);
        current = { signal: ro.signal, onAbort };
      }
      pending = {
        tid,
        unitId,
        resolve: (reply) => {
          finish();
          counters.replies += 1;
          resolve(reply);
        },
        reject: (err) => {
          finish();
          reject(err);
        },
      };
      s.write(frame);
    });
  }

  return {
    busId,
    isOpen: () => open,
    counters: (): Readonly<DriverCounters> => ({ ...counters }),
    async open({ timeoutMs, signal }) {
      if (open) return;
      drop('reopening');
      counters.opens += 1;
      await new Promise<void>((resolve, reject) => {
        const s = net.connect({ host: opts.host, port: opts.port });
        const fail = (err: Error): void => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          s.destroy();
          reject(new FieldRequestError('comm_lost', `cannot connect to ${opts.host}:${opts.port}: ${err.message}`, { cause: err }));
        };
        const onAbort = (): void => fail(new Error('aborted'));
        const timer = setTimeout(() => fail(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
        signal?.addEventListener('abort', onAbort, { once: true });
        s.once('error', fail);
        s.once('connect', () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          s.removeListener('error', fail);
          s.setNoDelay(true);
          s.setKeepAlive(true, 10_000);
          s.on('data', onData);
          s.on('error', (err) => {
            log.debug({ busId, err: err.message }, 'Modbus TCP socket error');
          });
          s.on('close', () => {
            if (socket === s) drop('closed by peer');
          });
          socket = s;
          open = true;
          mismatchRun = 0;
          resolve();
        });
      });
    },
    async close() {
      drop('closed');
      await Promise.resolve();
    },
    async readBlock(unitId: number, block: ModbusBlock, ro: RequestOptions) {
      const reply = await transact(unitId, encodeReadRequest(block), ro);
      try {
        return decodeReadReply(reply, block);
      } catch (err) {
        if (err instanceof FieldRequestError && err.reason === 'exception') counters.exceptions += 1;
        if (err instanceof FieldRequestError && err.reason === 'short_frame') counters.shortFrames += 1;
        throw err;
      }
    },
    async writeBlock(unitId: number, req: WriteRequest, ro: RequestOptions) {
      const request = encodeWriteRequest(req.table, req.start, req.values);
      const reply = await transact(unitId, request, ro);
      checkWriteReply(reply, request);
    },
  };
}
