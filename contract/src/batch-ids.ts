/**
 * Event ids for telemetry journaled as batches (issue 20: one row per poll batch, not per reading).
 * A batch of n readings takes n consecutive ULIDs: the first is stored with the batch and the i-th
 * is derived from it (same time part, random part + i). So the wire keeps one ULID per event, the
 * cloud's unique key, while the journal writes one row and makes one random draw per batch.
 *
 * The 80-bit random part is kept as two 40-bit halves (exact in a double). A new millisecond
 * starts from a fresh random value with the top bit of the high half clear, so adding up to 2^79
 * never overflows; within one millisecond (or when the clock steps back) ids continue from the last.
 */
import { randomBytes } from 'node:crypto';

const B32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const HALF = 2 ** 40;
const TIME_MAX = 2 ** 48 - 1;

function encode(n: number, chars: number): string {
  let out = '';
  for (let i = 0; i < chars; i++) {
    out = B32[n % 32]! + out;
    n = Math.floor(n / 32);
  }
  return out;
}

function decode(s: string): number {
  let n = 0;
  for (const c of s) {
    const v = B32.indexOf(c);
    if (v < 0) throw new Error(`not a ULID character: ${c}`);
    n = n * 32 + v;
  }
  return n;
}

/** The i-th id of a batch whose first id is `first` (i = 0 gives `first`). */
export function batchEventId(first: string, i: number): string {
  if (i === 0) return first;
  const lo = decode(first.slice(18, 26)) + i;
  const hi = decode(first.slice(10, 18)) + Math.floor(lo / HALF);
  return first.slice(0, 10) + encode(hi, 8) + encode(lo % HALF, 8);
}

/** Hands out runs of consecutive, strictly increasing ULIDs. */
export class BatchIdGenerator {
  private lastTime = -1;
  private hi = 0;
  private lo = 0;

  constructor(private readonly random: (bytes: number) => Buffer = randomBytes) {}

  /** The first id of a run of `count` ids at time `now` (epoch ms); the run is reserved. */
  take(now: number, count: number): string {
    if (!Number.isSafeInteger(count) || count < 1) throw new Error(`batch id count must be a positive integer, got ${count}`);
    const time = Math.min(Math.max(0, Math.floor(now)), TIME_MAX);
    if (time > this.lastTime) {
      const r = this.random(10);
      this.lastTime = time;
      this.hi = (r.readUIntBE(0, 5) % HALF) / 2; // top bit clear: headroom for any run
      this.hi = Math.floor(this.hi);
      this.lo = r.readUIntBE(5, 5);
    } else {
      // same millisecond, or the clock stepped back: continue after the last id handed out
      this.lo += 1;
      if (this.lo >= HALF) {
        this.hi += 1;
        this.lo -= HALF;
      }
    }
    const first = encode(this.lastTime, 10) + encode(this.hi, 8) + encode(this.lo, 8);
    const end = this.lo + count - 1;
    this.hi += Math.floor(end / HALF);
    this.lo = end % HALF;
    return first;
  }
}
