/**
 * Birth, death (the MQTT will) and periodic status, Sparkplug-style:
 * - a birth makes the gateway online and records its bdSeq; it clears a 'gateway offline' alarm;
 * - a death is honoured only when its bdSeq is the one the current birth announced — a stale
 *   death delivered after a newer birth is ignored; an honoured death marks every latest value of
 *   the gateway stale at once and arms the offline-alarm timer (raised by the timer pass after the grace);
 * - a status message refreshes last-seen and tells us the next sequence per stream (tail gaps).
 */
import type { Logger, StatusMessage, Stream } from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';
import type { AlarmOutbox, OutboxOp } from '../store/alarm-outbox.ts';
import type { TelemetryStore } from '../store/telemetry-store.ts';
import type { RulesEvaluator } from '../rules/evaluator.ts';
import type { GatewayInfo } from './directory.ts';
import type { IngestMetrics } from './metrics.ts';
import { applySeqs, lockStream, saveStream } from './seq-tracker.ts';

interface GatewayStateRow {
  state: string;
  bd_seq: number | null;
  state_at: number;
  offline_alarm: number;
}

export function offlineConditionKey(gatewayId: string): string {
  return `offline:${gatewayId}`;
}

export async function handleStatus(deps: {
  db: SqlDb;
  store: TelemetryStore;
  outbox: AlarmOutbox;
  rules?: RulesEvaluator | undefined;
  metrics?: IngestMetrics | undefined;
  logger: Logger;
  offlineGraceMs: number;
  gateway: GatewayInfo;
  msg: StatusMessage;
  now: number;
}): Promise<{ enqueued: number; claimIgnored?: string; transition?: { online: boolean; at: number } }> {
  const { db, store, outbox, gateway, msg, now, logger } = deps;
  const claimIgnored = msg.siteId !== undefined && !gateway.siteIds.includes(msg.siteId) ? msg.siteId : undefined;
  const grace = deps.rules?.gatewayOfflineGraceMs(gateway.siteIds) ?? deps.offlineGraceMs;
  let transition: { online: boolean; at: number } | undefined;
  const enqueued = await db.transaction(async (tx) => {
    await tx.exec("INSERT INTO gateway_state (gateway_id, site_id, state, state_at, last_seen) VALUES ($1, $2, 'unknown', 0, $3) ON CONFLICT DO NOTHING", [
      gateway.id,
      gateway.siteIds[0] ?? null,
      now,
    ]);
    const rows = await tx.query<GatewayStateRow>(
      `SELECT state, bd_seq, state_at, offline_alarm FROM gateway_state WHERE gateway_id = $1${tx.dialect === 'postgres' ? ' FOR UPDATE' : ''}`,
      [gateway.id],
    );
    const row = rows[0];
    if (!row) throw new Error(`gateway_state row vanished for ${gateway.id}`);
    const ops: OutboxOp[] = [];
    switch (msg.state) {
      case 'online': {
        if (msg.time < Number(row.state_at)) {
          logger.info({ gatewayId: gateway.id, bdSeq: msg.bdSeq }, 'birth older than the recorded state ignored');
          break;
        }
        await tx.exec(
          "UPDATE gateway_state SET state = 'online', bd_seq = $2, state_at = $3, last_seen = $4, offline_due = NULL, offline_alarm = 0, status = $5 WHERE gateway_id = $1",
          [gateway.id, msg.bdSeq, msg.time, now, JSON.stringify(msg)],
        );
        transition = { online: true, at: msg.time };
        if (Number(row.offline_alarm) === 1) {
          ops.push({ op: 'clear', input: { conditionKey: offlineConditionKey(gateway.id), at: msg.time, reason: `birth bdSeq ${msg.bdSeq}` } });
        }
        break;
      }
      case 'offline': {
        if (row.bd_seq !== null && Number(row.bd_seq) !== msg.bdSeq) {
          deps.metrics?.staleDeathsIgnored.inc();
          logger.info({ gatewayId: gateway.id, deathBdSeq: msg.bdSeq, currentBdSeq: Number(row.bd_seq) }, 'stale death ignored (a newer birth was seen)');
          break;
        }
        if (row.state === 'offline') break;
        await tx.exec("UPDATE gateway_state SET state = 'offline', state_at = $2, last_seen = $3, offline_due = $4 WHERE gateway_id = $1", [
          gateway.id,
          Math.max(msg.time, Number(row.state_at)),
          now,
          now + grace,
        ]);
        transition = { online: false, at: Math.max(msg.time, Number(row.state_at)) };
        const n = await store.markGatewayStale(tx, gateway.id);
        logger.warn({ gatewayId: gateway.id, bdSeq: msg.bdSeq, stalePoints: n }, 'gateway offline: points marked stale');
        break;
      }
      case 'status': {
        await tx.exec('UPDATE gateway_state SET last_seen = $2, status = $3 WHERE gateway_id = $1', [gateway.id, now, JSON.stringify(msg)]);
        if (msg.nextSeq) {
          for (const stream of ['alarm', 'telemetry'] as const satisfies readonly Stream[]) {
            const tail = msg.nextSeq[stream] - 1;
            if (tail < 1) continue;
            const s = await lockStream(tx, gateway.id, stream, now);
            if (tail <= s.expectedSeq) continue;
            await saveStream(tx, applySeqs(s, [], now, tail).state, now);
          }
        }
        break;
      }
    }
    return ops.length > 0 ? outbox.enqueue(tx, ops) : 0;
  });
  return { enqueued, ...(claimIgnored === undefined ? {} : { claimIgnored }), ...(transition ? { transition } : {}) };
}
