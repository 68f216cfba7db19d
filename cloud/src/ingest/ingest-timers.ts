/**
 * The ingest timer pass, run by every worker (PostgreSQL: FOR UPDATE SKIP LOCKED, so each due
 * row is handled by exactly one worker; SQLite: one process):
 * - a sequence gap older than the reorder timeout → a replay command to the gateway;
 * - a replay that did not fill the gap within the replay timeout → a data-integrity alarm that
 *   records the lost range, then the ack moves past it so the gateway's journal is not held forever;
 * - a gateway offline longer than its grace → a 'gateway offline' alarm.
 */
import { monotonicFactory } from 'ulid';
import type { AckMessage, CommandMessage, Logger, Stream } from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';
import type { AlarmOutbox, OutboxOp } from '../store/alarm-outbox.ts';
import type { GatewayDirectory } from './directory.ts';
import { opsForAlarmEvents } from './edge-alarms.ts';
import { offlineConditionKey } from './gateway-status.ts';
import { alarmEventsToApply, telemetryToApply } from './ordered-events.ts';
import type { RulesEvaluator } from '../rules/evaluator.ts';
import type { IngestMetrics } from './metrics.ts';
import { firstMissing, fromRow, hasGap, mergeSeqs, saveStream, STREAM_COLUMNS, type StreamRow, type StreamState } from './seq-tracker.ts';
import { bilingualTitle } from '../alarms/title.ts';

const ulid = monotonicFactory();

export interface TimerResult {
  replays: { gatewayId: string; command: CommandMessage }[];
  acks: { ack: AckMessage; epoch: number }[];
  enqueued: number;
}

interface GapRow extends StreamRow {
  gateway_id: string;
  stream: string;
}

export async function runIngestTimers(deps: {
  db: SqlDb;
  outbox: AlarmOutbox;
  directory: GatewayDirectory;
  rules?: RulesEvaluator | undefined;
  metrics?: IngestMetrics | undefined;
  logger: Logger;
  reorderTimeoutMs: number;
  replayTimeoutMs: number;
  now: number;
}): Promise<TimerResult> {
  const { db, now } = deps;
  const result: TimerResult = { replays: [], acks: [], enqueued: 0 };
  const pg = db.dialect === 'postgres';

  // Site of each gateway that may need an alarm, resolved before any transaction (it may be I/O).
  const candidates = await db.query<{ gateway_id: string }>(
    `SELECT gateway_id FROM ingest_streams WHERE gap_since IS NOT NULL AND gap_since <= $1
     UNION SELECT gateway_id FROM gateway_state WHERE state = 'offline' AND offline_alarm = 0 AND offline_due <= $2`,
    [now - deps.reorderTimeoutMs, now],
  );
  if (candidates.length === 0) return result;
  const siteOf = new Map<string, string>();
  for (const { gateway_id } of candidates) {
    const gw = await deps.directory.getGateway(gateway_id);
    siteOf.set(gateway_id, gw?.siteIds[0] ?? gateway_id);
  }

  await db.transaction(async (tx) => {
    const ops: OutboxOp[] = [];
    const rows = await tx.query<GapRow>(
      `SELECT gateway_id, stream, ${STREAM_COLUMNS} FROM ingest_streams
       WHERE gap_since IS NOT NULL AND gap_since <= $1 ORDER BY gateway_id, stream LIMIT 200${pg ? ' FOR UPDATE SKIP LOCKED' : ''}`,
      [now - deps.reorderTimeoutMs],
    );
    for (const row of rows) {
      const s = fromRow(row.gateway_id, row.stream as Stream, row);
      if (!hasGap(s)) continue;
      const missing = firstMissing(s);
      if (s.replayRequestedAt === null) {
        s.replayRequestedAt = now;
        await saveStream(tx, s, now);
        deps.metrics?.gaps.inc();
        deps.metrics?.replayRequests.inc();
        result.replays.push({
          gatewayId: s.gatewayId,
          command: { v: 1, id: ulid(now), type: 'replay', stream: s.stream, fromSeq: missing.fromSeq, toSeq: missing.toSeq },
        });
        deps.logger.warn({ gatewayId: s.gatewayId, stream: s.stream, ...missing }, 'sequence gap: replay requested');
        continue;
      }
      if (s.replayRequestedAt > now - deps.replayTimeoutMs) continue;
      // The ack never passes what the gateway announced it assigned (birth/status nextSeq − 1).
      const skipTo = Math.min(missing.toSeq, s.announcedSeq);
      if (skipTo < missing.fromSeq) {
        ops.push(...(await dropUnannounced(tx, s, siteOf.get(s.gatewayId) ?? s.gatewayId, now, deps.logger)));
        await saveStream(tx, s, now);
        continue;
      }
      missing.toSeq = skipTo;
      // The replay never came: record the loss as a data-integrity alarm and move on.
      const key = `integrity:${s.gatewayId}:${s.stream}:${missing.fromSeq}`;
      ops.push({
        op: 'raise',
        input: {
          conditionKey: key,
          siteId: siteOf.get(s.gatewayId) ?? s.gatewayId,
          origin: 'cloud',
          ruleId: 'ingest-sequence-gap',
          kind: 'system',
          title: bilingualTitle(
            `数据缺失：网关 ${s.gatewayId} 的 ${s.stream} 数据 ${missing.fromSeq}–${missing.toSeq} 未送达`,
            `Data integrity: ${s.stream} events ${missing.fromSeq}–${missing.toSeq} of gateway ${s.gatewayId} never arrived`,
          ),
          inputs: { gatewayId: s.gatewayId, stream: s.stream, fromSeq: missing.fromSeq, toSeq: missing.toSeq, ackSeq: s.ackSeq, replayRequestedAt: s.replayRequestedAt },
          at: s.gapSince ?? now,
        },
      });
      // A loss is an event, not a lasting condition: it shows as cleared-unacknowledged until handled.
      ops.push({ op: 'clear', input: { conditionKey: key, at: now, reason: 'loss recorded; stream resumed after the gap' } });
      const m = mergeSeqs(missing.toSeq, s.pending, []);
      // What waited above the hole now applies, in order.
      if (s.stream === 'telemetry') {
        const ordered = deps.rules ? await telemetryToApply(tx, s.gatewayId, s.epoch, missing.toSeq, m.ack, []) : [];
        if (deps.rules && ordered.length > 0) ops.push(...(await deps.rules.evaluate(tx, s.gatewayId, ordered, now)));
      } else {
        const ordered = await alarmEventsToApply(tx, s.gatewayId, s.epoch, missing.toSeq, m.ack, []);
        ops.push(...opsForAlarmEvents(s.gatewayId, siteOf.get(s.gatewayId) ?? s.gatewayId, ordered, () => undefined));
      }
      s.ackSeq = m.ack;
      s.pending = m.pending;
      s.integrityAlarm = true;
      s.replayRequestedAt = null;
      s.gapSince = hasGap(s) ? now : null;
      await saveStream(tx, s, now);
      deps.metrics?.integrityAlarms.inc();
      result.acks.push({ ack: { v: 1, gatewayId: s.gatewayId, stream: s.stream, ackSeq: s.ackSeq }, epoch: s.epoch });
      deps.logger.error({ gatewayId: s.gatewayId, stream: s.stream, ...missing }, 'sequence gap not filled after replay: data-integrity alarm raised');
    }

    const offline = await tx.query<{ gateway_id: string; state_at: number; planned_stop: number }>(
      `SELECT gateway_id, state_at, planned_stop FROM gateway_state WHERE state = 'offline' AND offline_alarm = 0 AND offline_due <= $1
       ORDER BY gateway_id LIMIT 200${pg ? ' FOR UPDATE SKIP LOCKED' : ''}`,
      [now],
    );
    for (const g of offline) {
      await tx.exec('UPDATE gateway_state SET offline_alarm = 1 WHERE gateway_id = $1', [g.gateway_id]);
      ops.push({
        op: 'raise',
        input: {
          conditionKey: offlineConditionKey(g.gateway_id),
          siteId: siteOf.get(g.gateway_id) ?? g.gateway_id,
          origin: 'cloud',
          ruleId: 'gateway-offline',
          kind: 'system',
          title:
            Number(g.planned_stop) === 1
              ? bilingualTitle(`网关计划停运后未恢复：${g.gateway_id}`, `Gateway ${g.gateway_id} stopped on purpose and not back`)
              : bilingualTitle(`网关离线：${g.gateway_id}`, `Gateway ${g.gateway_id} offline`),
          inputs: { gatewayId: g.gateway_id, offlineSince: Number(g.state_at), plannedStop: Number(g.planned_stop) === 1 },
          at: Number(g.state_at),
        },
      });
    }
    if (ops.length > 0) result.enqueued += await deps.outbox.enqueue(tx, ops);
  });
  return result;
}

/**
 * A hole that starts beyond everything the gateway announced cannot be a loss: what waits above it was
 * never announced either (a forged or misdirected event inside the seq window). Those rows were never
 * applied (not contiguous) nor acknowledged: delete them from this epoch (a genuine one is resent by its
 * gateway, which still holds it), forget the ranges, and record what happened as an integrity event.
 */
async function dropUnannounced(tx: SqlDb, s: StreamState, siteId: string, now: number, logger: Logger): Promise<OutboxOp[]> {
  const ranges = s.pending;
  const table = s.stream === 'telemetry' ? 'telemetry_raw' : 'edge_events';
  let deleted = 0;
  for (const [a, b] of ranges) {
    deleted += await tx.exec(`DELETE FROM ${table} WHERE gateway_id = $1 AND epoch = $2 AND seq >= $3 AND seq <= $4`, [s.gatewayId, s.epoch, a, b]);
  }
  s.pending = [];
  s.expectedSeq = Math.max(s.ackSeq, s.announcedSeq);
  s.gapSince = null;
  s.replayRequestedAt = null;
  const key = `unannounced:${s.gatewayId}:${s.stream}:${now}`;
  logger.error({ gatewayId: s.gatewayId, stream: s.stream, ranges, announcedSeq: s.announcedSeq, deleted }, 'events beyond the gateway’s announced seq never became contiguous: dropped from the bookkeeping');
  return [
    {
      op: 'raise',
      input: {
        conditionKey: key,
        siteId,
        origin: 'cloud',
        ruleId: 'ingest-unannounced-seq',
        kind: 'system',
        title: bilingualTitle(`数据完整性：网关 ${s.gatewayId} 主题上出现它未宣告的 ${s.stream} 序号，已丢弃`, `Data integrity: ${s.stream} seqs ${ranges.map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`)).join(', ')} on gateway ${s.gatewayId}'s topic were never announced by it (announced ${s.announcedSeq}); not kept`),
        inputs: { gatewayId: s.gatewayId, stream: s.stream, ranges, announcedSeq: s.announcedSeq, ackSeq: s.ackSeq, epoch: s.epoch, deleted },
        at: now,
      },
    },
    { op: 'clear', input: { conditionKey: key, at: now, reason: 'recorded; the stream continues from the announced seq' } },
  ];
}
