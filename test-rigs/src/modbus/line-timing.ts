/**
 * Serial line arithmetic for Modbus RTU: 11 bits per character (start + 8 data + parity or second
 * stop + stop), a 3.5-character silence between frames (fixed at 1.75 ms above 19200 baud, as the
 * spec recommends), and a precise wait for pacing replies.
 */
import { blockFor } from '@safeloop/contract';
export const BITS_PER_CHARACTER = 11;

export function characterMs(baudRate: number): number {
  return (BITS_PER_CHARACTER * 1000) / baudRate;
}

export function interFrameGapMs(baudRate: number): number {
  return baudRate > 19200 ? 1.75 : 3.5 * characterMs(baudRate);
}

export function frameMs(bytes: number, baudRate: number): number {
  return bytes * characterMs(baudRate);
}

/**
 * The best possible transaction rate on a line: request, gap, reply, gap — per second.
 * E.g. reading 10 registers (8-byte request, 25-byte reply) at 9600 baud ≈ 23.9/s.
 */
export function lineLimitPerSec(requestBytes: number, replyBytes: number, baudRate: number): number {
  return 1000 / (frameMs(requestBytes + replyBytes, baudRate) + 2 * interFrameGapMs(baudRate));
}

/**
 * Resolve at `targetMs` on the performance.now() clock, to well under a millisecond: a timer for
 * all but the last 2 ms (timers fire up to ~1 ms late, more on a busy machine), then a blocking
 * futex wait for the tail but its last 0.25 ms, which is spun (a sleeping thread takes a while to
 * wake in a VM). Spinning the whole last 3 ms on setImmediate instead cost a core's worth of CPU on a loaded
 * machine and was descheduled, overshooting by more than the timer would.
 */
export async function waitUntil(targetMs: number, signal?: { stopped: boolean }): Promise<void> {
  for (;;) {
    const remaining = targetMs - performance.now();
    if (remaining <= 0 || signal?.stopped === true) return;
    if (remaining > 2.5) await new Promise<void>((resolve) => setTimeout(resolve, remaining - 2));
    else if (remaining > 0.25) blockFor(remaining - 0.25);
    else await new Promise<void>((resolve) => setImmediate(resolve)); // hides the wake-up latency
  }
}
