/**
 * The ingest timer pass, run by every worker (PostgreSQL: FOR UPDATE SKIP LOCKED, so each due
 * row is handled by exactly one worker; SQLite: one process):
 * - a sequence gap older than the reorder timeout → a replay command to the gateway;
 * - a replay that did not fill the gap within the replay timeout → a data-integrity alarm that stays
 *   active while the gap lasts, and the replay is asked again with backoff. The ack never moves past a
 *   gap on a timeout: only received events and a discard the gateway declares move it (seq-tracker.ts),
 *   so the gateway never releases an event the cloud did not store;
 * - a gateway offline longer than its grace → a 'gateway offline' alarm.
 */
import { monotonicFactory } from 'ulid';
import type { CommandMessage, Logger, Stream } from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';
import type { AlarmOutbox, OutboxOp } from '../store/alarm-outbox.ts';
import type { GatewayDirectory } from './directory.ts';
import { offlineConditionKey } from './gateway-status.ts';
import type { IngestMetrics } from './metrics.ts';
import { firstMissing, fromRow, hasGap, saveStream, STREAM_COLUMNS, type StreamRow, type StreamState } from './seq-tracker.ts';
import { bilingualTitle } from '../alarms/title.ts';
import { raiseIntegrity } from './stream-integrity.ts';

const ulid = monotonicFactory();

/** The longest wait between two replay requests for one gap. */
export const MAX_REPLAY_INTERVAL_MS = 10 * 60_000;

/** Wait at least as long as the gap has lasted (so requests thin out geometrically), within [replayTimeout, MAX]. */
export function replayInterval(gapSince: number, now: number, replayTimeoutMs: number): number {
  return Math.min(MAX_REPLAY_INTERVAL_MS, Math.max(replayTimeoutMs, now - gapSince));
}

export interface TimerResult {
  replays: { gatewayId: string; command: CommandMessage }[];
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
  metrics?: IngestMetrics | undefined;
  logger: Logger;
  reorderTimeoutMs: number;
  replayTimeoutMs: number;
  now: number;
}): Promise<TimerResult> {
  const { db, now } = deps;
  const result: TimerResult = { replays: [], enqueued: 0 };
  const pg = db.dialect === 'postgres';

  // Site of each gateway that may need an alarm, resolved before any transaction (it may be I/O).
  const candidates = await db.query<{ gateway_id: string }>(
    `SELECT gateway_id FROM ingest_streams WHERE gap_since IS NOT NULL AND gap_since <= $1 AND (replay_due IS NULL OR replay_due <= $2)
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
       WHERE gap_since IS NOT NULL AND gap_since <= $1 AND (replay_due IS NULL OR replay_due <= $2)
       ORDER BY gateway_id, stream LIMIT 200${pg ? ' FOR UPDATE SKIP LOCKED' : ''}`,
      [now - deps.reorderTimeoutMs, now],
    );
    for (const row of rows) {
      const s = fromRow(row.gateway_id, row.stream as Stream, row);
      if (!hasGap(s)) continue;
      const missing = firstMissing(s);
      const siteId = siteOf.get(s.gatewayId) ?? s.gatewayId;
      if (s.replayRequestedAt !== null && s.announcedSeq < missing.fromSeq) {
        // Asked once, and the hole starts beyond everything the gateway announced: not a loss (issue 18).
        ops.push(...(await dropUnannounced(tx, s, siteId, now, deps.logger)));
        saveStream(tx, s, now);
        continue;
      }
      const first = s.replayRequestedAt === null;
      if (!first && s.integrity === null) {
        // The replay did not fill the gap in time. The ack stays where it is — the gateway keeps the events
        // in its journal and the cloud keeps asking — and people are told while it lasts.
        s.integrity = [missing.fromSeq, missing.toSeq];
        ops.push(raiseIntegrity(s, s.integrity, siteId, s.gapSince ?? now));
        deps.metrics?.integrityAlarms.inc();
        deps.logger.error({ gatewayId: s.gatewayId, stream: s.stream, ...missing, ackSeq: s.ackSeq }, 'sequence gap not filled after a replay request: data-integrity alarm raised; ack held, asking again');
      }
      s.replayRequestedAt = now;
      s.replayDue = now + replayInterval(s.gapSince ?? now, now, deps.replayTimeoutMs);
      saveStream(tx, s, now);
      if (first) deps.metrics?.gaps.inc();
      deps.metrics?.replayRequests.inc();
      result.replays.push({
        gatewayId: s.gatewayId,
        command: { v: 1, id: ulid(now), type: 'replay', stream: s.stream, fromSeq: missing.fromSeq, toSeq: missing.toSeq },
      });
      if (first) deps.logger.warn({ gatewayId: s.gatewayId, stream: s.stream, ...missing }, 'sequence gap: replay requested');
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
