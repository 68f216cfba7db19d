/** Live values: of the readings a batch stored, the newest (highest seq) of each point, in seq order. */
import type { TelemetryEvent } from '@safeloop/contract';

export function newestPerPoint(events: readonly TelemetryEvent[]): TelemetryEvent[] {
  const newest = new Map<string, TelemetryEvent>();
  for (const e of events) {
    const seen = newest.get(e.point);
    if (!seen || e.seq > seen.seq) newest.set(e.point, e);
  }
  return newest.size === events.length ? [...events] : [...newest.values()].sort((a, b) => a.seq - b.seq);
}
