/**
 * What to send next, and what the cloud still owes an ack for. One lane per stream:
 *  - rows after `sentThrough` go out in batches while fewer than `window` batches await the cloud's ack;
 *  - the alarm lane is always served first, and is never held back by the rate limiter, so a live alarm
 *    waits at most behind the telemetry batches already on the wire (telemetryWindow × maxBatchBytes);
 *  - an application ack releases journal rows and in-flight batches; no ack within ackTimeoutMs sends
 *    everything unacknowledged again (go-back-N; the cloud dedupes by event id);
 *  - replay commands resend a seq range as untracked, historical batches.
 * Telemetry goes as payload v2 (columnar, telemetry-encoder.ts) while the cloud accepts it, else v1.
 * Everything here is synchronous: the journal is read and the publish handed over without awaiting.
 */
import { topics } from '@safeloop/contract';
import type { Clock, Logger, Stream } from '@safeloop/contract';
import type { Journal } from '../journal/index.ts';
import type { ResolvedDeliveryConfig } from './config.ts';
import { RateLimiter } from './rate-limiter.ts';
import { encodeV1, encodeV2, type EncodedBatch, type EncodeOptions } from './telemetry-encoder.ts';

interface InflightBatch {
  fromSeq: number;
  toSeq: number;
  sentAt: number;
}

interface Lane {
  readonly stream: Stream;
  sentThrough: number;
  inflight: InflightBatch[];
  lastProgress: number;
  replays: { next: number; through: number }[];
}

export interface DeliveryCounters {
  batches: number;
  events: number;
  bytes: number;
  resends: number;
  replayedEvents: number;
  acks: number;
  rejectedAcks: number;
}

export interface DeliveryDeps {
  journal: Journal;
  gatewayId: string;
  config: ResolvedDeliveryConfig;
  logger: Logger;
  clock: Clock;
  /** Hand a payload to the current connection (fire and forget; failures recycle the link). */
  publish: (topic: string, payload: string | Buffer) => void;
}

/**
 * Bytes of journaled columns text (journal/columns.ts) read per v2 batch, per byte of maxBatchBytes:
 * plain, the columns are the payload; deflated, they shrink several times over (the encoder still cuts
 * a batch that comes out too big, and telemetryBatchMax usually binds first).
 */
const V2_READ_FACTOR = { plain: 1, deflated: 3 };

const MAX_QUEUED_REPLAYS = 16;

export class Delivery {
  readonly counters: DeliveryCounters = { batches: 0, events: 0, bytes: 0, resends: 0, replayedEvents: 0, acks: 0, rejectedAcks: 0 };
  private readonly lanes: Record<Stream, Lane>;
  private limiter: RateLimiter;
  private active = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private telemetryPayload: 1 | 2 = 1;

  constructor(private readonly deps: DeliveryDeps) {
    const lane = (stream: Stream): Lane => ({ stream, sentThrough: 0, inflight: [], lastProgress: 0, replays: [] });
    this.lanes = { alarm: lane('alarm'), telemetry: lane('telemetry') };
    this.limiter = this.newLimiter();
  }

  /** A new connection: everything not yet acknowledged is sent again, alarms first. */
  attach(): void {
    for (const lane of Object.values(this.lanes)) {
      lane.sentThrough = this.base(lane.stream);
      lane.inflight = [];
      lane.replays = [];
      lane.lastProgress = this.deps.clock.monotonic();
    }
    this.limiter = this.newLimiter();
    this.active = true;
    this.pump();
  }

  detach(): void {
    this.active = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** The telemetry payload version to use from the next batch on (2 only when the cloud accepts it). */
  setPayloadVersion(version: 1 | 2): void {
    this.telemetryPayload = this.deps.config.payload === 'v1' ? 1 : version;
  }

  get payloadVersion(): 1 | 2 {
    return this.telemetryPayload;
  }

  /** Send whatever the windows and rate limits allow. */
  pump(): void {
    if (!this.active) return;
    for (let guard = 0; guard < 10_000; guard++) {
      if (!this.active) return;
      if (this.sendNext(this.lanes.alarm, false)) continue;
      if (this.sendReplay(this.lanes.alarm)) continue;
      if (this.sendReplay(this.lanes.telemetry)) continue;
      if (this.sendNext(this.lanes.telemetry, true)) continue;
      break;
    }
  }

  onAck(stream: Stream, ackSeq: number): void {
    const prev = this.deps.journal.cursor(stream).ackedSeq;
    const res = this.deps.journal.ack(stream, ackSeq);
    if (!res.accepted) {
      this.counters.rejectedAcks += 1;
      this.deps.logger.warn({ stream, ackSeq, reason: res.reason }, 'uplink: acknowledgement refused; no journal rows released');
      return;
    }
    this.counters.acks += 1;
    const lane = this.lanes[stream];
    lane.inflight = lane.inflight.filter((b) => b.toSeq > res.ackedSeq);
    if (lane.sentThrough < res.ackedSeq) lane.sentThrough = res.ackedSeq;
    if (res.ackedSeq > prev) lane.lastProgress = this.deps.clock.monotonic();
    this.pump();
  }

  onReplay(stream: Stream, fromSeq: number, toSeq: number | undefined): void {
    const lane = this.lanes[stream];
    const last = this.deps.journal.cursor(stream).nextSeq - 1;
    let through = Math.min(toSeq ?? last, last);
    if (through < fromSeq) {
      this.deps.logger.warn({ stream, fromSeq, toSeq, last }, 'uplink: replay range holds no journaled seq; ignored');
      return;
    }
    if (through - fromSeq + 1 > this.deps.config.maxReplayRows) {
      through = fromSeq + this.deps.config.maxReplayRows - 1;
      this.deps.logger.warn({ stream, fromSeq, toSeq, through }, 'uplink: replay range clamped to maxReplayRows');
    }
    if (lane.replays.length >= MAX_QUEUED_REPLAYS) {
      this.deps.logger.warn({ stream, fromSeq, toSeq }, 'uplink: too many replays queued; request dropped (the cloud will ask again)');
      return;
    }
    lane.replays.push({ next: fromSeq, through });
    this.pump();
  }

  /**
   * The cloud announced a new ingest session (cloud status online): whatever it had received but not
   * committed may be gone, and what was published while it was away may have had no subscriber. Send
   * everything unacknowledged again now, alarms first, instead of waiting for the ack timeout.
   */
  resendUnacknowledged(): number {
    if (!this.active) return 0;
    let lanes = 0;
    const now = this.deps.clock.monotonic();
    for (const lane of Object.values(this.lanes)) {
      if (lane.sentThrough <= this.base(lane.stream) && lane.inflight.length === 0) continue;
      lane.inflight = [];
      lane.sentThrough = this.base(lane.stream);
      lane.lastProgress = now;
      lanes += 1;
    }
    if (lanes > 0) {
      this.counters.resends += 1;
      this.pump();
    }
    return lanes;
  }

  /** Resend on ack timeout; returns true when something was resent. */
  checkAckTimeouts(): boolean {
    if (!this.active) return false;
    let resent = false;
    const now = this.deps.clock.monotonic();
    for (const lane of Object.values(this.lanes)) {
      const oldest = lane.inflight[0];
      if (!oldest) continue;
      if (now - Math.max(oldest.sentAt, lane.lastProgress) < this.deps.config.ackTimeoutMs) continue;
      this.counters.resends += 1;
      this.deps.logger.warn(
        { stream: lane.stream, fromSeq: oldest.fromSeq, ackTimeoutMs: this.deps.config.ackTimeoutMs },
        'uplink: no acknowledgement from the cloud in time; resending everything unacknowledged',
      );
      lane.inflight = [];
      lane.sentThrough = this.base(lane.stream);
      lane.lastProgress = now;
      resent = true;
    }
    if (resent) this.pump();
    return resent;
  }

  inflightBatches(): { alarm: number; telemetry: number } {
    return { alarm: this.lanes.alarm.inflight.length, telemetry: this.lanes.telemetry.inflight.length };
  }

  private base(stream: Stream): number {
    const c = this.deps.journal.cursor(stream);
    return Math.max(c.ackedSeq, c.discardedThrough);
  }

  private sendNext(lane: Lane, limited: boolean): boolean {
    const cfg = this.deps.config;
    const isAlarm = lane.stream === 'alarm';
    if (lane.inflight.length >= (isAlarm ? cfg.alarmWindow : cfg.telemetryWindow)) return false;
    if (limited && this.deferIfLimited(1)) return false;
    const after = Math.max(lane.sentThrough, this.base(lane.stream));
    const batch = this.read(lane.stream, after, undefined, false);
    if (!batch) return false;
    if (limited && this.deferIfLimited(batch.bytes)) return false;
    this.limiter.take(batch.bytes);
    lane.inflight.push({ fromSeq: batch.fromSeq, toSeq: batch.toSeq, sentAt: this.deps.clock.monotonic() });
    lane.sentThrough = batch.toSeq;
    this.emit(lane.stream, batch);
    return true;
  }

  private sendReplay(lane: Lane): boolean {
    const job = lane.replays[0];
    if (!job) return false;
    const limited = lane.stream === 'telemetry';
    if (limited && this.deferIfLimited(1)) return false;
    const batch = this.read(lane.stream, job.next - 1, job.through, true);
    if (!batch) {
      lane.replays.shift();
      return true;
    }
    if (limited && this.deferIfLimited(batch.bytes)) return false;
    this.limiter.take(batch.bytes);
    job.next = batch.toSeq + 1;
    if (job.next > job.through) lane.replays.shift();
    this.counters.replayedEvents += batch.count;
    this.emit(lane.stream, batch);
    return true;
  }

  private emit(stream: Stream, batch: EncodedBatch): void {
    this.counters.batches += 1;
    this.counters.events += batch.count;
    this.counters.bytes += batch.bytes;
    this.deps.publish(topics.up(this.deps.gatewayId, stream), batch.payload);
  }

  /** The next batch after `after` (through `through`), encoded; undefined when the journal has none. */
  private read(stream: Stream, after: number, through: number | undefined, historical: boolean): EncodedBatch | undefined {
    const cfg = this.deps.config;
    const isAlarm = stream === 'alarm';
    const opts: EncodeOptions = {
      gatewayId: this.deps.gatewayId,
      historical,
      cutoff: this.deps.clock.now() - cfg.historicalAfterSec * 1000,
      discardedThrough: undefined,
    };
    if (!isAlarm) {
      const c = this.deps.journal.cursor('telemetry');
      if (c.discardedThrough > c.ackedSeq) opts.discardedThrough = c.discardedThrough;
    }
    const range = { afterSeq: after, ...(through === undefined ? {} : { throughSeq: through }) };
    if (!isAlarm && this.telemetryPayload === 2) {
      const readBytes = (cfg.maxBatchBytes - 1024) * (cfg.deflate ? V2_READ_FACTOR.deflated : V2_READ_FACTOR.plain);
      const slices = this.deps.journal.peekTelemetrySlices(cfg.telemetryBatchMax, { ...range, maxBytes: readBytes });
      if (slices.length === 0) return undefined;
      return encodeV2(slices, { ...opts, deflate: cfg.deflate, maxBytes: cfg.maxBatchBytes });
    }
    const rows = this.deps.journal.peek(stream, isAlarm ? cfg.alarmBatchMax : cfg.telemetryBatchMax, { ...range, maxBytes: cfg.maxBatchBytes - 1024 });
    return rows.length === 0 ? undefined : encodeV1(stream, rows, opts);
  }

  private deferIfLimited(bytes: number): boolean {
    const wait = this.limiter.waitMs(bytes);
    if (wait <= 0) return false;
    if (!this.retryTimer) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        try {
          this.pump();
        } catch (err) {
          this.deps.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'uplink: reading the journal failed');
        }
      }, wait);
    }
    return true;
  }

  private newLimiter(): RateLimiter {
    return new RateLimiter(
      { publishes: this.deps.config.maxPublishesPerSec, bytes: this.deps.config.maxBytesPerSec },
      () => this.deps.clock.monotonic(),
    );
  }
}
