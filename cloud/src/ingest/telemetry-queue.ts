/**
 * The worker's telemetry queue, one line per gateway: a gateway's batches go in arrival order, at most
 * one of them in flight (its batches would only queue on the stream lock), and the lines share the lanes
 * by bytes (self-clocked fair queueing): each line carries a tag that grows by the size of every batch
 * taken from it, the line with the lowest tag goes next, and a line that starts (or starts again after
 * running empty) takes the tag of the last batch taken, i.e. it goes next. So a gateway with a few
 * readings to report — say the one that crosses a cloud limit — waits for one batch of the busy
 * gateways, not behind their backlog, and a gateway sending many small batches is not held to one batch
 * per round of the big ones.
 *
 * A line can be held (a status message of that gateway is being processed): its batches wait, so a
 * birth is applied before the telemetry the gateway published after it, as the gateway ordered them.
 */
export interface QueuedUplink {
  topic: string;
  payload: Buffer;
  at: number;
}

interface Line {
  items: QueuedUplink[];
  inFlight: boolean;
  /** Status messages of this gateway received and not yet processed: its telemetry waits for them. */
  holds: number;
  /** Bytes served to this line, on the queue's virtual clock (the lowest goes next). */
  tag: number;
}

export class TelemetryQueue {
  private readonly lines = new Map<string, Line>();
  private total = 0;
  /** The tag of the last batch taken. */
  private clock = 0;

  constructor(private readonly max: number) {}

  get size(): number {
    return this.total;
  }

  /** Queue a batch; false when the queue is full (the caller leaves it unacknowledged). */
  push(gatewayId: string, item: QueuedUplink): boolean {
    if (this.total >= this.max) return false;
    let line = this.lines.get(gatewayId);
    if (!line) {
      line = this.newLine();
      this.lines.set(gatewayId, line);
    }
    line.items.push(item);
    this.total += 1;
    return true;
  }

  /** The next batch to process, or undefined when every waiting gateway already has one in flight. */
  take(): { gatewayId: string; item: QueuedUplink } | undefined {
    const g = this.takeGroup(1, Infinity);
    return g && { gatewayId: g.gatewayId, item: g.items[0]! };
  }

  /**
   * The next gateway's waiting batches, oldest first: up to `maxItems`, and beyond the first only while
   * their bytes stay within `maxBytes` (they are committed together; see UplinkProcessor.handleTelemetryGroup).
   * With `onlySmall`, only a line whose next batch is itself within `maxBytes` is considered (the express
   * lane: a gateway reporting a few readings, e.g. one crossing a limit, need not wait for a bulk lane).
   * The line is in flight until done(); its tag grows by every byte taken.
   */
  takeGroup(maxItems: number, maxBytes: number, onlySmall = false): { gatewayId: string; items: QueuedUplink[] } | undefined {
    let best: [string, Line] | undefined;
    for (const entry of this.lines) {
      const line = entry[1];
      if (line.inFlight || line.holds > 0 || line.items.length === 0) continue;
      if (onlySmall && line.items[0]!.payload.byteLength > maxBytes) continue;
      if (!best || line.tag < best[1].tag) best = entry;
    }
    if (!best) return undefined;
    const [gatewayId, line] = best;
    const items = [line.items.shift()!];
    let bytes = items[0]!.payload.byteLength;
    while (items.length < maxItems && line.items.length > 0 && bytes + line.items[0]!.payload.byteLength <= maxBytes) {
      const next = line.items.shift()!;
      bytes += next.payload.byteLength;
      items.push(next);
    }
    line.inFlight = true;
    this.clock = line.tag;
    line.tag += bytes;
    this.total -= items.length;
    return { gatewayId, items };
  }

  /** The gateway's batch is done: its next one may be taken. Idle lines are forgotten. */
  done(gatewayId: string): void {
    const line = this.lines.get(gatewayId);
    if (!line) return;
    line.inFlight = false;
    this.forgetIdle(gatewayId, line);
  }

  /** Hold the gateway's telemetry until release(): a status message of it, received before, is processed first. */
  hold(gatewayId: string): void {
    let line = this.lines.get(gatewayId);
    if (!line) {
      line = this.newLine();
      this.lines.set(gatewayId, line);
    }
    line.holds += 1;
  }

  release(gatewayId: string): void {
    const line = this.lines.get(gatewayId);
    if (!line || line.holds === 0) return;
    line.holds -= 1;
    this.forgetIdle(gatewayId, line);
  }

  private newLine(): Line {
    return { items: [], inFlight: false, holds: 0, tag: this.clock };
  }

  private forgetIdle(gatewayId: string, line: Line): void {
    if (line.items.length === 0 && !line.inFlight && line.holds === 0) this.lines.delete(gatewayId);
  }

  clear(): void {
    this.lines.clear();
    this.total = 0;
  }
}
