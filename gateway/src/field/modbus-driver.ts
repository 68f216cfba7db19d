/**
 * The thin Modbus driver contract: a driver only speaks the wire. Scheduling, serialisation per
 * bus, block planning, backoff, reconnect policy and quality all live in the core (modbus-bus.ts).
 *
 * - `readBlock` and `writeBlock` take every per-request parameter as an argument, including the
 *   timeout, which is mandatory: a request without a positive timeout is refused (modbus-serial
 *   has no default and hangs forever on a silent slave; we never do).
 * - One request at a time: a driver refuses a second request while one is outstanding.
 * - Failures are thrown as FieldRequestError with the reason the affected readings will carry.
 */
import { FieldRequestError } from './errors.ts';
import type { ModbusBlock } from './modbus-frame.ts';

export interface RequestOptions {
  /** Milliseconds to wait for the reply. Required: there is no default. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface WriteRequest {
  table: 'coil' | 'holding';
  start: number;
  values: readonly number[];
}

export interface DriverCounters {
  requests: number;
  replies: number;
  timeouts: number;
  /** Frames that arrived when no request was waiting for them, or answered another request. */
  lateFrames: number;
  crcErrors: number;
  shortFrames: number;
  exceptions: number;
  /** TCP only: replies whose transaction id did not match the request. */
  tidMismatches: number;
  opens: number;
}

export interface ModbusDriver {
  /** Physical bus key, e.g. `tcp:10.0.0.5:502` or `rtu:/dev/ttyUSB0`. */
  readonly busId: string;
  open(opts: { timeoutMs: number; signal?: AbortSignal }): Promise<void>;
  close(): Promise<void>;
  isOpen(): boolean;
  readBlock(unitId: number, block: ModbusBlock, opts: RequestOptions): Promise<number[]>;
  writeBlock(unitId: number, req: WriteRequest, opts: RequestOptions): Promise<void>;
  counters(): Readonly<DriverCounters>;
}

export function emptyCounters(): DriverCounters {
  return { requests: 0, replies: 0, timeouts: 0, lateFrames: 0, crcErrors: 0, shortFrames: 0, exceptions: 0, tidMismatches: 0, opens: 0 };
}

/** Refuse a request without a usable timeout. */
export function requireTimeout(opts: RequestOptions | undefined): number {
  const t = opts?.timeoutMs;
  if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0) {
    throw new RangeError('Modbus request without a timeout: every request must set timeoutMs > 0');
  }
  return t;
}

export function abortedError(): FieldRequestError {
  return new FieldRequestError('comm_lost', 'request aborted');
}
