/**
 * The gateway clock's offset against the cloud, from the cloud's time on each ack (DOMAIN.md §7: a
 * skewed gateway must be visible). One sample is local receive time − cloudTime: our clock minus the
 * cloud's, biased by at most the ack's one-way delay. The median of the last samples is reported, so a
 * single delayed ack (a backlog, a slow link) does not move the figure.
 */
export class ClockOffset {
  private readonly samples: number[] = [];
  constructor(private readonly keep = 9) {}

  add(cloudTime: number, localNow: number): void {
    this.samples.push(localNow - cloudTime);
    if (this.samples.length > this.keep) this.samples.shift();
  }

  /** Gateway clock minus cloud clock in ms (positive: the gateway is ahead), or undefined before any ack. */
  get offsetMs(): number | undefined {
    if (this.samples.length === 0) return undefined;
    const sorted = [...this.samples].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return Math.round(sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2);
  }
}
