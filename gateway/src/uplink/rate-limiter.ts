/** Token buckets for publishes/s and bytes/s on one connection (burst = one second's worth). */
import { backoffDelay } from '@safeloop/contract';

export class RateLimiter {
  private publishes: number;
  private bytes: number;
  private last: number;

  constructor(
    private readonly perSec: { publishes: number; bytes: number },
    private readonly now: () => number,
  ) {
    this.publishes = perSec.publishes;
    this.bytes = perSec.bytes;
    this.last = now();
  }

  /** Ms until a publish of `size` bytes fits (0 = now). */
  waitMs(size: number): number {
    this.refill();
    const needP = Math.max(0, 1 - this.publishes) / this.perSec.publishes;
    const needB = Math.max(0, Math.min(size, this.perSec.bytes) - this.bytes) / this.perSec.bytes;
    return Math.ceil(Math.max(needP, needB) * 1000);
  }

  /** Spend tokens (may go negative: alarms are never held back, they only delay later telemetry). */
  take(size: number): void {
    this.refill();
    this.publishes -= 1;
    this.bytes -= size;
  }

  private refill(): void {
    const t = this.now();
    const dt = (t - this.last) / 1000;
    this.last = t;
    this.publishes = Math.min(this.perSec.publishes, this.publishes + dt * this.perSec.publishes);
    this.bytes = Math.min(this.perSec.bytes, this.bytes + dt * this.perSec.bytes);
  }
}

/** Exponential backoff with ±20 % jitter. */
export class Backoff {
  private attempt = 0;
  constructor(private readonly minMs: number, private readonly maxMs: number) {}
  next(): number {
    this.attempt += 1;
    return backoffDelay(this.attempt, { initialMs: this.minMs, maxMs: this.maxMs, jitter: 0.2 });
  }
  reset(): void {
    this.attempt = 0;
  }
}
