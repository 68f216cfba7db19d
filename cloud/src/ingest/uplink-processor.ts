/**
 * Turns one uplink message into committed rows and decisions, independent of MQTT (the worker
 * feeds it; tests and benchmarks can call it directly). Per batch, one transaction:
 * lock the stream row → insert events by id (duplicates ignored) → latest/aggregates → rules →
 * sequence bookkeeping → alarm decisions into the outbox. The ack is returned, to be published
 * only after this resolves (i.e. after COMMIT).
 */
import { monotonicFactory } from 'ulid';
import {
  errorMessage,
  isDeflated,
  rateLimited,
  type AckMessage,
  type AlarmBatch,
  type AlarmEvent,
  type AlarmStreamEvent,
  type Clock,
  type CommandMessage,
  type Logger,
  type TelemetryBatch,
  type TelemetryEvent,
} from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';
import type { AlarmOutbox, OutboxOp } from '../store/alarm-outbox.ts';
import { siteOf, type TelemetryStore } from '../store/telemetry-store.ts';
import type { RulesEvaluator } from '../rules/evaluator.ts';
import type { GatewayDirectory, GatewayInfo } from './directory.ts';
import { opsForAlarmEvents } from './edge-alarms.ts';
import { alarmEventsToApply, telemetryToApply } from './ordered-events.ts';
import { handleStatus } from './gateway-status.ts';
import type { IngestMetrics, RejectReason } from './metrics.ts';
import { applySeqs, lockStream, saveStream, type StreamState } from './seq-tracker.ts';
import { DEFAULT_SEQ_WINDOW, guardBatch, type GuardDecision } from './seq-guard.ts';
import { noteBatch } from './stream-health.ts';
import { clearIntegrity } from './stream-integrity.ts';

const commandId = monotonicFactory();
import { validateUplink } from './validate.ts';

export interface UplinkProcessorDeps {
  db: SqlDb;
  store: TelemetryStore;
  outbox: AlarmOutbox;
  directory: GatewayDirectory;
  /** Called after a birth or an honoured death commits (the tenancy registry keeps online history). */
  onGatewayStatus?: ((gatewayId: string, online: boolean, at: number) => Promise<void>) | undefined;
  rules?: RulesEvaluator | undefined;
  metrics?: IngestMetrics | undefined;
  logger: Logger;
  clock: Clock;
  offlineGraceMs: number;
  plannedStopGraceMs?: number | undefined;
  /** Seqs accepted above what the gateway announced (seq-guard.ts). Default DEFAULT_SEQ_WINDOW. */
  seqWindow?: number | undefined;
  /** Resends of acknowledged events closer together than this count as one round (stream-health.ts). */
  stuckRoundGapMs?: number | undefined;
}

export interface UplinkOutcome {
  ack?: AckMessage;
  /** Decisions written to the outbox: dispatch after commit. */
  enqueued: number;
  inserted: number;
  duplicates: number;
  rejected?: RejectReason;
  /** Telemetry events stored for the first time by this batch (for live push after commit). */
  fresh?: readonly TelemetryEvent[];
  /** Stream epoch the ack belongs to (acks of a new epoch restart from its numbering). */
  epoch?: number;
  /** Commands for the gateway, to publish after commit (rebirth of a stuck stream). */
  commands?: CommandMessage[];
}

export class UplinkProcessor {
  private readonly logLimit: ReturnType<typeof rateLimited>;
  private readonly window: number;
  constructor(private readonly deps: UplinkProcessorDeps) {
    this.logLimit = rateLimited(10_000, () => deps.clock.monotonic());
    this.window = deps.seqWindow ?? DEFAULT_SEQ_WINDOW;
  }

  async handle(topic: string, payload: Uint8Array, receivedAt = this.deps.clock.now()): Promise<UplinkOutcome> {
    const v = validateUplink(topic, payload);
    if (!v.ok) {
      await this.reject(topic, v.gatewayId, v.reason, v.detail, payload);
      return { enqueued: 0, inserted: 0, duplicates: 0, rejected: v.reason };
    }
    const gw = await this.deps.directory.getGateway(v.gatewayId);
    if (!gw) {
      await this.reject(topic, v.gatewayId, 'unknown_gateway', `gateway ${v.gatewayId} is not registered`, payload);
      return { enqueued: 0, inserted: 0, duplicates: 0, rejected: 'unknown_gateway' };
    }
    switch (v.channel) {
      case 'telemetry':
        return this.telemetry(topic, gw, v.msg, receivedAt);
      case 'alarm':
        return this.alarms(topic, gw, v.msg, receivedAt);
      case 'status': {
        const r = await handleStatus({ ...this.deps, gateway: gw, msg: v.msg, now: receivedAt });
        if (r.claimIgnored) await this.reject(topic, gw.id, 'wrong_tenant', `status claims site ${r.claimIgnored} not served by ${gw.id}`, undefined);
        if (r.transition && this.deps.onGatewayStatus) {
          try {
            await this.deps.onGatewayStatus(gw.id, r.transition.online, r.transition.at);
          } catch (err) {
            this.deps.logger.warn({ err: errorMessage(err), gatewayId: gw.id }, 'gateway status listener failed');
          }
        }
        return { enqueued: r.enqueued, inserted: 0, duplicates: 0, ...(r.commands.length > 0 ? { commands: r.commands } : {}) };
      }
    }
  }

  /**
   * Several telemetry messages of one gateway (what queued up while the worker was busy) in one
   * transaction: the stream row is locked once, each point's latest value, minute row and rule state are
   * written once for the group, and one commit covers them all. A message that fails validation is
   * rejected on its own, as by handle(); the outcome's ack covers everything the group committed. An event
   * sent twice within the group (a resend queued beside the original) counts once.
   */
  async handleTelemetryGroup(items: readonly { topic: string; payload: Uint8Array }[], receivedAt = this.deps.clock.now()): Promise<UplinkOutcome> {
    const first = items[0];
    if (items.length === 1 && first) return this.handle(first.topic, first.payload, receivedAt);
    const valid: { topic: string; msg: TelemetryBatch }[] = [];
    const alone: { topic: string; payload: Uint8Array }[] = [];
    for (const [i, it] of items.entries()) {
      // Parsing a message takes milliseconds: let an alarm that arrived meanwhile in between.
      if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const v = validateUplink(it.topic, it.payload);
      if (!v.ok) await this.reject(it.topic, v.gatewayId, v.reason, v.detail, it.payload);
      else if (v.channel !== 'telemetry' || (valid[0] && valid[0].msg.gatewayId !== v.gatewayId)) alone.push(it); // not the group's kind: on its own
      else valid.push({ topic: it.topic, msg: v.msg });
    }
    for (const it of alone) await this.handle(it.topic, it.payload, receivedAt);
    const head = valid[0];
    if (!head) return { enqueued: 0, inserted: 0, duplicates: 0, rejected: 'invalid' };
    const gw = await this.deps.directory.getGateway(head.msg.gatewayId);
    if (!gw) {
      for (const x of valid) await this.reject(x.topic, head.msg.gatewayId, 'unknown_gateway', `gateway ${head.msg.gatewayId} is not registered`, undefined);
      return { enqueued: 0, inserted: 0, duplicates: 0, rejected: 'unknown_gateway' };
    }
    const seen = new Set<string>();
    const events: TelemetryEvent[] = [];
    let discardedThrough: number | undefined;
    for (const { msg } of valid) {
      for (const e of msg.events) if (!seen.has(e.id)) (seen.add(e.id), events.push(e));
      if (msg.discardedThrough !== undefined) discardedThrough = Math.max(discardedThrough ?? 0, msg.discardedThrough);
    }
    const merged: TelemetryBatch = { ...head.msg, events, ...(discardedThrough === undefined ? {} : { discardedThrough }) };
    return this.telemetry(head.topic, gw, merged, receivedAt);
  }

  /** Events whose point belongs to a site the gateway does not serve are refused (seq-guard decides whether they still count). */
  private async splitOwned<E extends { point: string; id: string; seq: number }>(topic: string, gw: GatewayInfo, events: readonly E[]): Promise<{ owned: E[]; refused: E[] }> {
    const owned: E[] = [];
    const refused: E[] = [];
    for (const e of events) {
      const subject = (e as { subject?: string }).subject; // fault events: their subject must be on the same site
      if (gw.siteIds.includes(siteOf(e.point)) && (subject === undefined || siteOf(subject) === siteOf(e.point))) owned.push(e);
      else {
        refused.push(e);
        await this.reject(topic, gw.id, 'wrong_tenant', `event ${e.id} seq ${e.seq}: point ${e.point} is not on a site of gateway ${gw.id}`, undefined);
      }
    }
    return { owned, refused };
  }

  /** Record what the guard refused (after the transaction: never inside it). */
  private async guardRejections(topic: string, gw: GatewayInfo, d: GuardDecision<{ id: string; seq: number }>): Promise<void> {
    for (const r of d.rejected) await this.reject(topic, gw.id, r.reason, r.detail, undefined);
  }

  /**
   * Bookkeeping after the events of a batch: seqs, a discard the gateway declared (telemetry only, bounded by
   * what it announced or sent), the integrity alarm of a gap the ack has now passed, stuck detection, a rebirth
   * request when stuck.
   */
  private async sequence(
    tx: SqlDb,
    stream: StreamState,
    d: GuardDecision<{ id: string; seq: number }>,
    batchSeqs: readonly number[],
    inserted: number,
    siteId: string,
    receivedAt: number,
    discardedThrough = 0,
  ): Promise<{ next: StreamState; ops: OutboxOp[]; commands: CommandMessage[] }> {
    let discarded = 0;
    if (discardedThrough > stream.ackSeq) {
      let known = stream.announcedSeq;
      for (const q of d.sequence) if (q > known) known = q;
      discarded = Math.min(discardedThrough, known);
    }
    const upd = applySeqs(stream, d.sequence, receivedAt, 0, discarded);
    const stale = batchSeqs.length > 0 && inserted === 0 && batchSeqs.every((q) => q <= stream.ackSeq);
    const verdict = noteBatch(upd.state, stream.ackSeq, stale, siteId, receivedAt, this.deps.stuckRoundGapMs);
    saveStream(tx, upd.state, receivedAt);
    const ops = [...verdict.ops];
    if (upd.integrityCleared) {
      const [from, to] = upd.integrityCleared;
      const reason =
        discarded >= from
          ? `the gateway declared ${stream.stream} events through ${discarded} discarded by its disk-budget policy (ack ${upd.state.ackSeq})`
          : `events ${from}–${to} arrived; nothing lost (ack ${upd.state.ackSeq})`;
      ops.push(clearIntegrity(stream, upd.integrityCleared, receivedAt, reason));
    }
    if (discarded > stream.ackSeq) this.deps.logger.warn({ gatewayId: stream.gatewayId, fromSeq: stream.ackSeq + 1, discardedThrough: discarded }, 'gateway declared telemetry discarded: ack moved over it');
    const commands: CommandMessage[] = verdict.rebirth ? [{ v: 1, id: commandId(receivedAt), type: 'rebirth' }] : [];
    if (verdict.rebirth) this.deps.logger.warn({ gatewayId: stream.gatewayId, stream: stream.stream, ackSeq: stream.ackSeq }, 'stream stuck: acknowledged events resent again and again; rebirth requested');
    return { next: upd.state, ops, commands };
  }

  private async telemetry(topic: string, gw: GatewayInfo, batch: TelemetryBatch, receivedAt: number): Promise<UplinkOutcome> {
    const { db, store, rules, outbox, metrics, clock } = this.deps;
    const { owned, refused } = await this.splitOwned(topic, gw, batch.events);
    await store.prepare(owned);
    if (rules) await rules.prepare(gw.id, owned);
    const started = clock.monotonic();
    const siteId = gw.siteIds[0] ?? gw.id;
    const r = await db.transaction(async (tx) => {
      const stream = await lockStream(tx, gw.id, 'telemetry', receivedAt);
      const d = await guardBatch(tx, 'telemetry_raw', stream, owned, refused, this.window);
      const fresh = await store.insert(tx, gw.id, d.store, receivedAt, stream.epoch, { newSeqs: d.newSeqs });
      const sq = await this.sequence(tx, stream, d, batch.events.map((e) => e.seq), fresh.length, siteId, receivedAt, batch.discardedThrough);
      // Rules see each reading once, in sequence order, when it becomes contiguous.
      const ordered = rules ? await telemetryToApply(tx, gw.id, stream.epoch, stream.ackSeq, sq.next.ackSeq, d.store) : [];
      const ops: OutboxOp[] = [...sq.ops, ...(rules && ordered.length > 0 ? await rules.evaluate(tx, gw.id, ordered, receivedAt) : [])];
      const enqueued = ops.length > 0 ? await outbox.enqueue(tx, ops) : 0;
      return { fresh, ackSeq: sq.next.ackSeq, epoch: stream.epoch, enqueued, d, commands: sq.commands };
    });
    await this.guardRejections(topic, gw, r.d);
    metrics?.commitSeconds.observe({ stream: 'telemetry' }, (clock.monotonic() - started) / 1000);
    metrics?.batches.inc({ stream: 'telemetry' });
    metrics?.readingsIngested.inc(r.fresh.length);
    const duplicates = r.d.store.length - r.fresh.length;
    if (duplicates > 0) metrics?.duplicates.inc({ stream: 'telemetry' }, duplicates);
    return {
      ...this.ackFor(gw.id, 'telemetry', r.ackSeq),
      epoch: r.epoch,
      enqueued: r.enqueued,
      inserted: r.fresh.length,
      duplicates,
      fresh: r.fresh,
      ...(r.commands.length > 0 ? { commands: r.commands } : {}),
    };
  }

  private async alarms(topic: string, gw: GatewayInfo, batch: AlarmBatch, receivedAt: number): Promise<UplinkOutcome> {
    const { db, outbox, metrics, clock } = this.deps;
    const split = await this.splitOwned(
      topic,
      gw,
      batch.events.filter((e) => e.type === 'alarm' || e.type === 'fault'),
    );
    const refusedIds = new Set(split.refused.map((e) => e.id));
    const owned: AlarmStreamEvent[] = batch.events.filter((e) => !refusedIds.has(e.id));
    const siteId = gw.siteIds[0] ?? gw.id;
    const started = clock.monotonic();
    const r = await db.transaction(async (tx) => {
      const stream = await lockStream(tx, gw.id, 'alarm', receivedAt);
      const d = await guardBatch(tx, 'edge_events', stream, owned, split.refused, this.window);
      let inserted = 0;
      for (const e of d.store) {
        const n = await tx.exec(
          'INSERT INTO edge_events (id, gateway_id, seq, type, point, body, received_at, epoch) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING',
          [e.id, gw.id, e.seq, e.type, e.type === 'system' ? null : e.point, JSON.stringify(e), receivedAt, stream.epoch],
        );
        if (n === 0) continue;
        inserted += 1;
        if (e.type === 'alarm') metrics?.edgeAlarmEvents.inc({ kind: e.kind });
      }
      const sq = await this.sequence(tx, stream, d, batch.events.map((e) => e.seq), inserted, siteId, receivedAt);
      // Raise/clear in sequence order, once each: a clear that overtook its raise waits for it.
      const ordered = await alarmEventsToApply(tx, gw.id, stream.epoch, stream.ackSeq, sq.next.ackSeq, d.store);
      const ops = [...sq.ops, ...opsForAlarmEvents(gw.id, siteId, ordered, (e) => this.ignoredClear(gw.id, e))];
      const enqueued = ops.length > 0 ? await outbox.enqueue(tx, ops) : 0;
      return { inserted, ackSeq: sq.next.ackSeq, epoch: stream.epoch, enqueued, d, commands: sq.commands };
    });
    await this.guardRejections(topic, gw, r.d);
    metrics?.commitSeconds.observe({ stream: 'alarm' }, (clock.monotonic() - started) / 1000);
    metrics?.batches.inc({ stream: 'alarm' });
    const duplicates = r.d.store.length - r.inserted;
    if (duplicates > 0) metrics?.duplicates.inc({ stream: 'alarm' }, duplicates);
    return {
      ...this.ackFor(gw.id, 'alarm', r.ackSeq),
      epoch: r.epoch,
      enqueued: r.enqueued,
      inserted: r.inserted,
      duplicates,
      ...(r.commands.length > 0 ? { commands: r.commands } : {}),
    };
  }

  private ignoredClear(gatewayId: string, e: AlarmEvent): void {
    this.deps.logger.warn({ gatewayId, point: e.point, quality: e.quality, eventId: e.id }, 'edge clear on non-good data ignored: stale or bad data never clears an alarm');
  }

  private ackFor(gatewayId: string, stream: 'telemetry' | 'alarm', ackSeq: number): { ack?: AckMessage } {
    return ackSeq > 0 ? { ack: { v: 1, gatewayId, stream, ackSeq, cloudTime: this.deps.clock.now() } } : {};
  }

  /** Count, log (rate-limited per reason) and record a rejected payload or event. Never throws. */
  async reject(topic: string, gatewayId: string | undefined, reason: RejectReason, detail: string, payload: Uint8Array | undefined): Promise<void> {
    this.deps.metrics?.rejected.inc({ reason });
    this.logLimit(`${reason}:${gatewayId ?? ''}`, (suppressed) => {
      const level = reason === 'wrong_tenant' || reason === 'wrong_gateway_topic' || reason === 'unknown_gateway' ? 'warn' : 'info';
      this.deps.logger[level]({ reason, detail, gatewayId, topic, suppressed, security: level === 'warn' }, 'uplink rejected');
    });
    const head = payload ? Buffer.from(payload.buffer, payload.byteOffset, Math.min(payload.byteLength, 2048)) : undefined;
    // a deflated (v2) payload is binary: keep its sample readable and free of NUL bytes
    const sample = head ? (isDeflated(head) ? `base64:${head.subarray(0, 1536).toString('base64')}` : head.toString('utf8')) : null;
    try {
      await this.deps.db.exec('INSERT INTO ingest_rejects (at, gateway_id, topic, reason, detail, sample) VALUES ($1, $2, $3, $4, $5, $6)', [
        this.deps.clock.now(),
        gatewayId ?? null,
        topic.slice(0, 300),
        reason,
        detail.slice(0, 1000),
        sample,
      ]);
    } catch (err) {
      this.deps.logger.error({ err: errorMessage(err), reason }, 'could not record rejected uplink');
    }
  }
}
