/**
 * Turns one uplink message into committed rows and decisions, independent of MQTT (the worker
 * feeds it; tests and benchmarks can call it directly). Per batch, one transaction:
 * lock the stream row → insert events by id (duplicates ignored) → latest/aggregates → rules →
 * sequence bookkeeping → alarm decisions into the outbox. The ack is returned, to be published
 * only after this resolves (i.e. after COMMIT).
 */
import { errorMessage, rateLimited, type AckMessage, type AlarmBatch, type AlarmEvent, type Clock, type Logger, type TelemetryBatch, type TelemetryEvent } from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';
import type { AlarmOutbox, OutboxOp } from '../store/alarm-outbox.ts';
import { siteOf, type TelemetryStore } from '../store/telemetry-store.ts';
import type { RulesEvaluator } from '../rules/evaluator.ts';
import type { GatewayDirectory, GatewayInfo } from './directory.ts';
import { opsForAlarmEvents } from './edge-alarms.ts';
import { alarmEventsToApply, telemetryToApply } from './ordered-events.ts';
import { handleStatus } from './gateway-status.ts';
import type { IngestMetrics, RejectReason } from './metrics.ts';
import { applySeqs, lockStream, saveStream } from './seq-tracker.ts';
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
}

export class UplinkProcessor {
  private readonly logLimit: ReturnType<typeof rateLimited>;
  constructor(private readonly deps: UplinkProcessorDeps) {
    this.logLimit = rateLimited(10_000, () => deps.clock.monotonic());
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
        return { enqueued: r.enqueued, inserted: 0, duplicates: 0 };
      }
    }
  }

  /** Events whose point belongs to a site the gateway does not serve are rejected (and still sequenced). */
  private async ownedEvents<E extends { point: string; id: string; seq: number }>(topic: string, gw: GatewayInfo, events: readonly E[]): Promise<E[]> {
    const owned: E[] = [];
    for (const e of events) {
      const subject = (e as { subject?: string }).subject; // fault events: their subject must be on the same site
      if (gw.siteIds.includes(siteOf(e.point)) && (subject === undefined || siteOf(subject) === siteOf(e.point))) owned.push(e);
      else await this.reject(topic, gw.id, 'wrong_tenant', `event ${e.id} seq ${e.seq}: point ${e.point} is not on a site of gateway ${gw.id}`, undefined);
    }
    return owned;
  }

  private async telemetry(topic: string, gw: GatewayInfo, batch: TelemetryBatch, receivedAt: number): Promise<UplinkOutcome> {
    const { db, store, rules, outbox, metrics, clock } = this.deps;
    const events = await this.ownedEvents(topic, gw, batch.events);
    await store.prepare(events);
    if (rules) await rules.prepare(gw.id, events);
    const started = clock.monotonic();
    const r = await db.transaction(async (tx) => {
      const stream = await lockStream(tx, gw.id, 'telemetry', receivedAt);
      const fresh = await store.insert(tx, gw.id, events, receivedAt);
      const upd = applySeqs(stream, batch.events.map((e) => e.seq), receivedAt);
      await saveStream(tx, upd.state, receivedAt);
      // Rules see each reading once, in sequence order, when it becomes contiguous.
      const ordered = rules ? await telemetryToApply(tx, gw.id, stream.ackSeq, upd.state.ackSeq, events) : [];
      const ops: OutboxOp[] = rules && ordered.length > 0 ? await rules.evaluate(tx, gw.id, ordered, receivedAt) : [];
      const enqueued = ops.length > 0 ? await outbox.enqueue(tx, ops) : 0;
      return { fresh, ackSeq: upd.state.ackSeq, enqueued };
    });
    metrics?.commitSeconds.observe({ stream: 'telemetry' }, (clock.monotonic() - started) / 1000);
    metrics?.batches.inc({ stream: 'telemetry' });
    metrics?.readingsIngested.inc(r.fresh.length);
    const duplicates = events.length - r.fresh.length;
    if (duplicates > 0) metrics?.duplicates.inc({ stream: 'telemetry' }, duplicates);
    return { ...this.ackFor(gw.id, 'telemetry', r.ackSeq), enqueued: r.enqueued, inserted: r.fresh.length, duplicates, fresh: r.fresh };
  }

  private async alarms(topic: string, gw: GatewayInfo, batch: AlarmBatch, receivedAt: number): Promise<UplinkOutcome> {
    const { db, outbox, metrics, clock } = this.deps;
    const owned = await this.ownedEvents(
      topic,
      gw,
      batch.events.filter((e) => e.type === 'alarm' || e.type === 'fault'),
    );
    const ownedIds = new Set(owned.map((e) => e.id));
    const accepted = batch.events.filter((e) => e.type === 'system' || ownedIds.has(e.id));
    const siteId = gw.siteIds[0] ?? gw.id;
    const started = clock.monotonic();
    const r = await db.transaction(async (tx) => {
      const stream = await lockStream(tx, gw.id, 'alarm', receivedAt);
      let inserted = 0;
      for (const e of accepted) {
        const n = await tx.exec(
          'INSERT INTO edge_events (id, gateway_id, seq, type, point, body, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING',
          [e.id, gw.id, e.seq, e.type, e.type === 'system' ? null : e.point, JSON.stringify(e), receivedAt],
        );
        if (n === 0) continue;
        inserted += 1;
        if (e.type === 'alarm') metrics?.edgeAlarmEvents.inc({ kind: e.kind });
      }
      const upd = applySeqs(stream, batch.events.map((e) => e.seq), receivedAt);
      await saveStream(tx, upd.state, receivedAt);
      // Raise/clear in sequence order, once each: a clear that overtook its raise waits for it.
      const ordered = await alarmEventsToApply(tx, gw.id, stream.ackSeq, upd.state.ackSeq, accepted);
      const ops = opsForAlarmEvents(gw.id, siteId, ordered, (e) => this.ignoredClear(gw.id, e));
      const enqueued = ops.length > 0 ? await outbox.enqueue(tx, ops) : 0;
      return { inserted, ackSeq: upd.state.ackSeq, enqueued };
    });
    metrics?.commitSeconds.observe({ stream: 'alarm' }, (clock.monotonic() - started) / 1000);
    metrics?.batches.inc({ stream: 'alarm' });
    const duplicates = accepted.length - r.inserted;
    if (duplicates > 0) metrics?.duplicates.inc({ stream: 'alarm' }, duplicates);
    return { ...this.ackFor(gw.id, 'alarm', r.ackSeq), enqueued: r.enqueued, inserted: r.inserted, duplicates };
  }

  private ignoredClear(gatewayId: string, e: AlarmEvent): void {
    this.deps.logger.warn({ gatewayId, point: e.point, quality: e.quality, eventId: e.id }, 'edge clear on non-good data ignored: stale or bad data never clears an alarm');
  }

  private ackFor(gatewayId: string, stream: 'telemetry' | 'alarm', ackSeq: number): { ack?: AckMessage } {
    return ackSeq > 0 ? { ack: { v: 1, gatewayId, stream, ackSeq } } : {};
  }

  /** Count, log (rate-limited per reason) and record a rejected payload or event. Never throws. */
  async reject(topic: string, gatewayId: string | undefined, reason: RejectReason, detail: string, payload: Uint8Array | undefined): Promise<void> {
    this.deps.metrics?.rejected.inc({ reason });
    this.logLimit(`${reason}:${gatewayId ?? ''}`, (suppressed) => {
      const level = reason === 'wrong_tenant' || reason === 'wrong_gateway_topic' || reason === 'unknown_gateway' ? 'warn' : 'info';
      this.deps.logger[level]({ reason, detail, gatewayId, topic, suppressed, security: level === 'warn' }, 'uplink rejected');
    });
    const sample = payload ? Buffer.from(payload.buffer, payload.byteOffset, Math.min(payload.byteLength, 2048)).toString('utf8') : null;
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
