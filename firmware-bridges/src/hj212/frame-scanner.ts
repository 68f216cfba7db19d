/**
 * Cut HJ 212 frames out of a TCP byte stream. Bounded: a connection can never make it buffer more
 * than one maximal frame. Bytes outside frames are reported as garbage; a frame that grows past the
 * limit is reported once and the rest of it skipped up to the next `##`.
 */
import { HJ212_FRAME_OVERHEAD, type Hj212RejectReason } from './frame.ts';

export type ScanEvent =
  | { type: 'frame'; bytes: Buffer }
  | { type: 'garbage'; count: number }
  | { type: 'reject'; reason: Extract<Hj212RejectReason, 'bad_header' | 'oversize' | 'truncated'>; detail: string };

const HASHES = Buffer.from('##', 'latin1');
const CRLF = Buffer.from('\r\n', 'latin1');

export class Hj212FrameScanner {
  private buf: Buffer = Buffer.alloc(0);
  /** After an oversized frame: drop bytes silently until the next `##`. */
  private skipping = false;
  private readonly maxFrameBytes: number;

  constructor(private readonly maxDataLength: number) {
    this.maxFrameBytes = maxDataLength + HJ212_FRAME_OVERHEAD;
  }

  push(chunk: Uint8Array): ScanEvent[] {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    const events: ScanEvent[] = [];
    for (;;) {
      const start = this.buf.indexOf(HASHES);
      if (start < 0) {
        // Keep a trailing '#' that may be the first half of the next header.
        const keep = this.buf.length > 0 && this.buf[this.buf.length - 1] === 0x23 ? 1 : 0;
        const dropped = this.buf.length - keep;
        if (dropped > 0 && !this.skipping) events.push({ type: 'garbage', count: dropped });
        this.buf = this.buf.subarray(this.buf.length - keep);
        break;
      }
      if (start > 0) {
        if (!this.skipping) events.push({ type: 'garbage', count: start });
        this.buf = this.buf.subarray(start);
      }
      this.skipping = false;
      if (this.buf.length < 6) break;
      const lengthText = this.buf.toString('latin1', 2, 6);
      if (!/^\d{4}$/.test(lengthText)) {
        events.push({ type: 'reject', reason: 'bad_header', detail: `length field ${JSON.stringify(lengthText)} is not 4 digits` });
        this.buf = this.buf.subarray(2);
        continue;
      }
      if (Number(lengthText) > this.maxDataLength) {
        events.push({ type: 'reject', reason: 'oversize', detail: `declared length ${lengthText} > ${this.maxDataLength}` });
        this.buf = this.buf.subarray(2);
        this.skipping = true;
        continue;
      }
      // Strict path first: the declared length as a byte count puts CRLF exactly here (a value may
      // then even contain `##`).
      const need = 6 + Number(lengthText) + 6;
      if (this.buf.length >= need && this.buf[need - 2] === 0x0d && this.buf[need - 1] === 0x0a) {
        events.push({ type: 'frame', bytes: Buffer.from(this.buf.subarray(0, need)) });
        this.buf = this.buf.subarray(need);
        continue;
      }
      // Lenient path: up to the first CRLF (length counted in characters, or wrong).
      const end = this.buf.indexOf(CRLF, 6);
      const next = this.buf.indexOf(HASHES, 6);
      if (next >= 0 && (end < 0 || next < end)) {
        if (this.buf.length < need) break; // the `##` may be data; wait until the declared length is here
        events.push({ type: 'reject', reason: 'truncated', detail: 'a new frame started before CRLF' });
        this.buf = this.buf.subarray(next);
        continue;
      }
      if (end < 0) {
        if (this.buf.length > this.maxFrameBytes) {
          events.push({ type: 'reject', reason: 'oversize', detail: `no CRLF within ${this.maxFrameBytes} bytes` });
          this.buf = Buffer.alloc(0);
          this.skipping = true;
        }
        break;
      }
      const frameEnd = end + 2;
      if (frameEnd > this.maxFrameBytes) {
        events.push({ type: 'reject', reason: 'oversize', detail: `frame of ${frameEnd} bytes > ${this.maxFrameBytes}` });
      } else {
        events.push({ type: 'frame', bytes: Buffer.from(this.buf.subarray(0, frameEnd)) });
      }
      this.buf = this.buf.subarray(frameEnd);
    }
    return events;
  }

  /** Bytes held waiting for the rest of a frame. */
  get buffered(): number {
    return this.buf.length;
  }
}
