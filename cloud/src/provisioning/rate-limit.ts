/** Fixed-window attempt counter per key (client address) plus a global cap, for the unauthenticated claim endpoint. */
export class AttemptLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private global = { start: 0, count: 0 };

  constructor(private readonly opts: { perKey: number; global: number; windowMs: number; now: () => number }) {}

  /** True when this attempt is allowed (and counts it). */
  take(key: string): boolean {
    const t = this.opts.now();
    if (t - this.global.start >= this.opts.windowMs) this.global = { start: t, count: 0 };
    let w = this.windows.get(key);
    if (!w || t - w.start >= this.opts.windowMs) {
      w = { start: t, count: 0 };
      this.windows.set(key, w);
      if (this.windows.size > 10_000) {
        for (const [k, v] of this.windows) if (t - v.start >= this.opts.windowMs) this.windows.delete(k);
      }
    }
    if (w.count >= this.opts.perKey || this.global.count >= this.opts.global) return false;
    w.count++;
    this.global.count++;
    return true;
  }
}
