/**
 * Birth, death (the MQTT will) and periodic status, Sparkplug-style:
 * - a birth makes the gateway online and records its bdSeq; it clears a 'gateway offline' alarm;
 * - a death is honoured only when its bdSeq is the one the current birth announced — a stale
 *   death delivered after a newer birth is ignored; an honoured death marks every latest value of
 *   the gateway stale at once and arms the offline-alarm timer (raised by the timer pass after the grace);
 * - a status message refreshes last-seen and tells us the next sequence per stream (tail gaps);
 * - birth and status carry the seq the gateway has reached (nextSeq − 1, the "announced" seq the ack never
 *   passes) and the id of its journal. A birth from a new journal (another journalId, or a nextSeq below the
 *   cloud's ack) opens a new stream epoch: acks restart from its numbering, earlier rows stay stored under
 *   the old epoch. A periodic status never opens an epoch (a late one could be from the old journal); one
 *   naming another journal gets a rebirth request instead.
 */
import { monotonicFactory } from 'ulid';
import type { CommandMessage, Logger, StatusMessage, Stream } from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';
import type { AlarmOutbox, OutboxOp } from '../store/alarm-outbox.ts';
import type { TelemetryStore } from '../store/telemetry-store.ts';
import type { RulesEvaluator } from '../rules/evaluator.ts';
import type { GatewayInfo } from './directory.ts';
import type { IngestMetrics } from './metrics.ts';
import { applySeqs, lockStream, saveStream, type StreamState } from './seq-tracker.ts';
import { clearIntegrity } from './stream-integrity.ts';
import { stuckConditionKey } from './stream-health.ts';
import { clockSkewOps } from './gateway-facts.ts';
import { gatewayHealthOps } from './gateway-health.ts';

const commandId = monotonicFactory();
const STREAM_NAMES = ['alarm', 'telemetry'] as const satisfies readonly Stream[];

interface GatewayStateRow {
  state: string;
  status: string | null;
  bd_seq: number | null;
  state_at: number;
  offline_alarm: number;
}

/** Default grace after a planned stop before the offline alarm: a restart or maintenance, not an abandoned site. */
export const PLANNED_STOP_GRACE_MS = 4 * 3_600_000;

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
  /** A gateway that stopped on purpose (shutdown status) raises the offline alarm only after this (default 4 h). */
  plannedStopGraceMs?: number | undefined;
  gateway: GatewayInfo;
  msg: StatusMessage;
  now: number;
}): Promise<{ enqueued: number; claimIgnored?: string; transition?: { online: boolean; at: number }; commands: CommandMessage[] }> {
  const { db, store, outbox, gateway, msg, now, logger } = deps;
  const claimIgnored = msg.siteId !== undefined && !gateway.siteIds.includes(msg.siteId) ? msg.siteId : undefined;
  const grace = deps.rules?.gatewayOfflineGraceMs(gateway.siteIds) ?? deps.offlineGraceMs;
  let transition: { online: boolean; at: number } | undefined;
  const commands: CommandMessage[] = [];
  const enqueued = await db.transaction(async (tx) => {
    await tx.exec("INSERT INTO gateway_state (gateway_id, site_id, state, state_at, last_seen) VALUES ($1, $2, 'unknown', 0, $3) ON CONFLICT DO NOTHING", [
      gateway.id,
      gateway.siteIds[0] ?? null,
      now,
    ]);
    const rows = await tx.query<GatewayStateRow>(
      `SELECT state, bd_seq, state_at, offline_alarm, status FROM gateway_state WHERE gateway_id = $1${tx.dialect === 'postgres' ? ' FOR UPDATE' : ''}`,
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
          "UPDATE gateway_state SET state = 'online', bd_seq = $2, state_at = $3, last_seen = $4, offline_due = NULL, offline_alarm = 0, planned_stop = 0, status = $5 WHERE gateway_id = $1",
          [gateway.id, msg.bdSeq, msg.time, now, JSON.stringify(msg)],
        );
        transition = { online: true, at: msg.time };
        ops.push(...clockSkewOps(gateway.id, gateway.siteIds[0] ?? gateway.id, row.status, msg), ...gatewayHealthOps(gateway.id, gateway.siteIds[0] ?? gateway.id, row.status, msg));
        for (const stream of STREAM_NAMES) ops.push(...(await announceBirth(tx, gateway.id, stream, msg, now, logger)));
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
        const planned = msg.shutdown === true;
        await tx.exec("UPDATE gateway_state SET state = 'offline', state_at = $2, last_seen = $3, offline_due = $4, planned_stop = $5 WHERE gateway_id = $1", [
          gateway.id,
          Math.max(msg.time, Number(row.state_at)),
          now,
          now + (planned ? (deps.plannedStopGraceMs ?? PLANNED_STOP_GRACE_MS) : grace),
          planned ? 1 : 0,
        ]);
        if (planned) logger.info({ gatewayId: gateway.id }, 'gateway stopped on purpose: shown as stopped; offline alarm only if not back within the planned-stop grace');
        transition = { online: false, at: Math.max(msg.time, Number(row.state_at)) };
        const n = await store.markGatewayStale(tx, gateway.id);
        logger.warn({ gatewayId: gateway.id, bdSeq: msg.bdSeq, stalePoints: n }, 'gateway offline: points marked stale');
        break;
      }
      case 'status': {
        if (msg.time < statusTime(row.status)) {
          // A status overtaken by a newer one (parallel lanes): it proves the gateway is alive, but its
          // health and clock are older news and must not reopen or clear an alarm.
          await tx.exec('UPDATE gateway_state SET last_seen = $2 WHERE gateway_id = $1', [gateway.id, now]);
          logger.debug({ gatewayId: gateway.id, statusTime: msg.time }, 'status older than the recorded one: only the heartbeat counts');
          break;
        }
        await tx.exec('UPDATE gateway_state SET last_seen = $2, status = $3 WHERE gateway_id = $1', [gateway.id, now, JSON.stringify(msg)]);
        ops.push(...clockSkewOps(gateway.id, gateway.siteIds[0] ?? gateway.id, row.status, msg), ...gatewayHealthOps(gateway.id, gateway.siteIds[0] ?? gateway.id, row.status, msg));
        if (msg.nextSeq) {
          for (const stream of STREAM_NAMES) {
            const tail = msg.nextSeq[stream] - 1;
            if (tail < 1) continue;
            const s = await lockStream(tx, gateway.id, stream, now);
            if (msg.journalId !== undefined && s.journalId !== null && msg.journalId !== s.journalId) {
              logger.warn({ gatewayId: gateway.id, stream, journalId: msg.journalId, current: s.journalId }, 'status names another journal: rebirth requested');
              if (commands.length === 0) commands.push({ v: 1, id: commandId(now), type: 'rebirth' });
              continue;
            }
            if (tail <= s.expectedSeq && tail <= s.announcedSeq) continue;
            const next = tail > s.expectedSeq ? applySeqs(s, [], now, tail).state : { ...s };
            next.announcedSeq = Math.max(s.announcedSeq, tail);
            saveStream(tx, next, now);
          }
        }
        break;
      }
    }
    return ops.length > 0 ? outbox.enqueue(tx, ops) : 0;
  });
  return { enqueued, commands, ...(claimIgnored === undefined ? {} : { claimIgnored }), ...(transition ? { transition } : {}) };
}

/** A (non-stale) birth: record the announced seq and journal id; a new journal opens a new epoch. */
async function announceBirth(tx: SqlDb, gatewayId: string, stream: Stream, msg: StatusMessage, now: number, logger: Logger): Promise<OutboxOp[]> {
  const s = await lockStream(tx, gatewayId, stream, now);
  const tail = msg.nextSeq ? msg.nextSeq[stream] - 1 : undefined;
  const newJournal = msg.journalId !== undefined && s.journalId !== null && msg.journalId !== s.journalId;
  const behindAck = tail !== undefined && tail < s.ackSeq;
  const ops: OutboxOp[] = [];
  let next: StreamState;
  if (newJournal || behindAck) {
    next = {
      ...s,
      epoch: s.epoch + 1,
      journalId: msg.journalId ?? null,
      ackSeq: 0,
      pending: [],
      expectedSeq: 0,
      gapSince: null,
      replayRequestedAt: null,
      replayDue: null,
      integrity: null,
      announcedSeq: 0,
      stuckCount: 0,
      stuckAt: null,
      stuckAlarm: false,
    };
    logger.warn(
      { gatewayId, stream, epoch: next.epoch, journalId: msg.journalId, previousJournalId: s.journalId, nextSeq: tail === undefined ? undefined : tail + 1, previousAck: s.ackSeq },
      'gateway started a new journal: new stream epoch, acks restart from its numbering',
    );
    if (s.stuckAlarm) ops.push({ op: 'clear', input: { conditionKey: stuckConditionKey(gatewayId, stream), at: now, reason: `new journal announced (epoch ${next.epoch})` } });
    // A gap held open in the old epoch can no longer be filled: the loss stays for an operator to acknowledge.
    if (s.integrity) ops.push(clearIntegrity(s, s.integrity, now, `gateway started a new journal (epoch ${next.epoch}): ${stream} events ${s.integrity[0]}–${s.integrity[1]} of epoch ${s.epoch} were never received`));
  } else {
    next = { ...s, journalId: s.journalId ?? msg.journalId ?? null };
  }
  if (tail !== undefined && tail >= 1) {
    next.announcedSeq = Math.max(next.announcedSeq, tail);
    if (tail > next.expectedSeq) next = { ...applySeqs(next, [], now, tail).state, announcedSeq: next.announcedSeq };
  }
  saveStream(tx, next, now);
  return ops;
}

/** The `time` of the status last recorded for a gateway (0 when none or unreadable). */
function statusTime(statusJson: string | null): number {
  if (!statusJson) return 0;
  try {
    const t = (JSON.parse(statusJson) as { time?: unknown }).time;
    return typeof t === 'number' && Number.isFinite(t) ? t : 0;
  } catch {
    return 0;
  }
}
