/**
 * Field I/O error codes and the mapping from a failed request to a reading's quality reason.
 * A failed read is never a crash and never a zero: it becomes a `bad` reading with one of these reasons.
 */
import { SafeLoopError, type ReasonCode } from '@safeloop/contract';

/** Reasons a single field request can fail with (a subset of the contract's reason codes). */
export type RequestFailureReason = Extract<ReasonCode, 'timeout' | 'exception' | 'crc_error' | 'short_frame' | 'comm_lost' | 'decode_error'>;

export const FIELD_ERROR_CODES = {
  timeout: 'GW_ERR_MODBUS_TIMEOUT',
  exception: 'GW_ERR_MODBUS_EXCEPTION',
  crc_error: 'GW_ERR_MODBUS_CRC',
  short_frame: 'GW_ERR_MODBUS_SHORT_FRAME',
  comm_lost: 'GW_ERR_FIELD_DISCONNECTED',
  decode_error: 'GW_ERR_FIELD_DECODE',
} as const satisfies Record<RequestFailureReason, string>;

/** A request that failed on the wire; `reason` is what the affected points' readings carry. */
export class FieldRequestError extends SafeLoopError {
  readonly reason: RequestFailureReason;
  constructor(reason: RequestFailureReason, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(FIELD_ERROR_CODES[reason], message, options);
    this.name = 'FieldRequestError';
    this.reason = reason;
  }
}

/** Modbus exception codes with a short readable text (Modbus Application Protocol v1.1b3, §7). */
export const MODBUS_EXCEPTION_TEXT: Readonly<Record<number, string>> = {
  0x01: 'illegal function',
  0x02: 'illegal data address',
  0x03: 'illegal data value',
  0x04: 'server device failure',
  0x05: 'acknowledge (busy with a long command)',
  0x06: 'server device busy',
  0x08: 'memory parity error',
  0x0a: 'gateway path unavailable',
  0x0b: 'gateway target device failed to respond',
};

export function modbusExceptionError(code: number): FieldRequestError {
  const text = MODBUS_EXCEPTION_TEXT[code] ?? 'unknown exception';
  const hex = `0x${code.toString(16).padStart(2, '0')}`;
  return new FieldRequestError('exception', `Modbus exception ${hex} ${text}`, { details: { exceptionCode: code } });
}

/** Classify anything thrown by a driver into a request failure. */
export function toRequestError(err: unknown): FieldRequestError {
  if (err instanceof FieldRequestError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new FieldRequestError('comm_lost', message, { cause: err });
}
