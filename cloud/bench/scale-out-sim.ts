/**
 * One simulated gateway of the scale-out benchmark, with the uplink's delivery contract
 * (docs/protocol.md §3–4, gateway/src/uplink/delivery.ts) but no disk: readings are a pure function of
 * (gateway, seq), so the "journal" is three counters and a resend rebuilds the same bytes, same ids.
 *
 *  - readings are journaled at `perSecond` from the start; batches of up to `batchMax` go out while
 *    fewer than `window` batches await the cloud's application ack;
 *  - an ack releases everything ≤ ackSeq; no ack progress within `ackTimeoutMs` resends everything
 *    unacknowledged from the ack point (go-back-N), as does a new cloud ingest session;
 *  - replay commands resend a seq range; a birth and a status every 30 s announce `nextSeq`;
 *  - every `crossEvery`-th seq is a reading over the cloud limit on a point of its own (one alarm each).
 */
import { topics } from '@safeloop/contract';

/** Points per simulated gateway (each reported every points ÷ perSecond seconds). */
const POINTS = 600;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID-shaped id that is the same every time the reading is rebuilt. */
function stableId(time: number, gateway: number, seq: number): string {
  let s = '';
  let t = time;
  for (let i = 0; i < 10; i++) {
    s = CROCKFORD[t % 32]! + s;
    t = Math.floor(t / 32);
  }
  let r = '';
  let n = gateway * 1_000_000_000 + seq;
  for (let i = 0; i < 16; i++) {
    r = CROCKFORD[n % 32]! + r;
    n = Math.floor(n / 32);
  }
  return s + r;
}

export interface SimOptions {
  index: number;
  perSecond: number;
  batchMax: number;
  window: number;
  ackTimeoutMs: number;
  /** Every crossEvery-th seq (offset per gateway) crosses the limit; 0 = never. */
  crossEvery: number;
}

interface Inflight {
  to: number;
  sentAt: number;
}

export class SimGateway {
  readonly id: string;
  readonly site: string;
  generated = 0;
  /** Highest seq handed to the broker at least once. */
  maxSent = 0;
  acked = 0;
  publishes = 0;
  resends = 0;
  replays = 0;
  /** First publish (wall ms) of each limit crossing, by seq. */
  readonly crossings = new Map<number, number>();
  /** First publishes [first seq, wall ms] while `recording` (around the kill: which batches a dead session took). */
  readonly firstPublishes: [number, number][] = [];
  recording = false;
  /** Stop journaling new readings; only what was already sent goes out again (the run's drain). */
  draining = false;
  private sentThrough = 0;
  private inflight: Inflight[] = [];
  private lastProgress: number;
  private cloudSession: string | undefined;
  private bdSeq = 0;
  /** Wall-clock ms of seq 1 (the same for every gateway of a run). */
  private start = 0;

  constructor(
    private readonly o: SimOptions,
    private readonly publish: (topic: string, payload: string, resend: boolean) => void,
  ) {
    this.id = `gw${o.index}`;
    this.site = `s${o.index}`;
    this.lastProgress = 0;
  }

  /** The run starts: seq 1 is journaled at `start`. */
  begin(start: number): void {
    this.start = start;
    this.lastProgress = start;
  }

  isCrossing(seq: number): boolean {
    return this.o.crossEvery > 0 && (seq + this.o.index * 7919) % this.o.crossEvery === 0;
  }

  /** The payload of seqs from..to (inclusive), identical on every rebuild. */
  batch(from: number, to: number): string {
    const events: unknown[] = [];
    for (let seq = from; seq <= to; seq++) {
      const t = Math.floor(this.start + ((seq - 1) * 1000) / this.o.perSecond);
      const cross = this.isCrossing(seq);
      const point = cross ? `${this.site}/GT-X${seq}/lel` : `${this.site}/GT-${seq % POINTS}/lel`;
      events.push({ id: stableId(t, this.o.index, seq), seq, point, value: cross ? 40 : 5 + (seq % 7), unit: '%LEL', quality: 'good', sourceTime: t, gatewayTime: t });
    }
    return JSON.stringify({ v: 1, gatewayId: this.id, stream: 'telemetry', events });
  }

  /** Journal what is due by `now` and send what the window allows. */
  tick(now: number): void {
    if (!this.draining) this.generated = Math.max(this.generated, Math.floor(((now - this.start) / 1000) * this.o.perSecond));
    const oldest = this.inflight[0];
    if (oldest && now - Math.max(oldest.sentAt, this.lastProgress) >= this.o.ackTimeoutMs) this.goBack(now);
    this.pump(now);
  }

  /** The end of what may be sent: everything journaled, or during the drain only what was sent before. */
  private get limit(): number {
    return this.draining ? this.maxSent : this.generated;
  }

  private pump(now: number): void {
    while (this.inflight.length < this.o.window && this.sentThrough < this.limit) {
      const from = this.sentThrough + 1;
      const to = Math.min(this.limit, from + this.o.batchMax - 1);
      this.send(from, to, now);
      this.inflight.push({ to, sentAt: now });
      this.sentThrough = to;
    }
  }

  private send(from: number, to: number, now: number): void {
    const resend = from <= this.maxSent;
    if (resend) this.resends += 1;
    else if (this.recording) this.firstPublishes.push([from, now]);
    for (let seq = Math.max(from, this.maxSent + 1); seq <= to; seq++) if (this.isCrossing(seq)) this.crossings.set(seq, now);
    this.maxSent = Math.max(this.maxSent, to);
    this.publishes += 1;
    this.publish(topics.up(this.id, 'telemetry'), this.batch(from, to), resend);
  }

  private goBack(now: number): void {
    this.inflight = [];
    this.sentThrough = this.acked;
    this.lastProgress = now;
  }

  onAck(ackSeq: number, now: number): void {
    // The uplink refuses an ack of a seq it never assigned.
    if (ackSeq > this.maxSent || ackSeq <= this.acked) return;
    this.acked = ackSeq;
    this.lastProgress = now;
    this.inflight = this.inflight.filter((b) => b.to > ackSeq);
    if (this.sentThrough < ackSeq) this.sentThrough = ackSeq;
    this.pump(now);
  }

  onReplay(fromSeq: number, toSeq: number | undefined, now: number): void {
    // As the uplink: at most maxReplayRows (100,000) per command.
    const through = Math.min(toSeq ?? this.maxSent, this.maxSent, fromSeq + 100_000 - 1);
    for (let from = Math.max(fromSeq, 1); from <= through; from += this.o.batchMax) {
      this.replays += 1;
      this.send(from, Math.min(through, from + this.o.batchMax - 1), now);
    }
  }

  /** A cloud status: a new online ingest session (other than the first seen) → resend now. */
  onCloudStatus(instance: string, now: number): void {
    const first = this.cloudSession === undefined;
    if (instance === this.cloudSession) return;
    this.cloudSession = instance;
    if (!first && this.inflight.length > 0) {
      this.goBack(now);
      this.pump(now);
    }
  }

  /** Birth (state online) or periodic status, announcing the next seq. */
  status(state: 'online' | 'status', now: number): string {
    if (state === 'online') this.bdSeq += 1;
    return JSON.stringify({
      v: 1, gatewayId: this.id, state, bdSeq: this.bdSeq, time: now, siteId: this.site, health: 'ok',
      backlog: { alarm: 0, telemetry: this.generated - this.acked }, nextSeq: { alarm: 1, telemetry: this.generated + 1 },
    });
  }
}
