/**
 * A stream that is stuck: the gateway keeps resending events the cloud has already acknowledged, so it is
 * not taking our acks (a journal replaced while the cloud missed its birth, a gateway bug). Counted per
 * resend round (rounds are the gateway's ack timeout apart; the batches of one round count once); after
 * STUCK_ROUNDS an integrity alarm names the gateway and the cloud asks it to re-announce itself (rebirth),
 * which opens a new epoch when its journal was replaced. The alarm clears when the ack moves again.
 */
import type { OutboxOp } from '../store/alarm-outbox.ts';
import type { StreamState } from './seq-tracker.ts';
import { bilingualTitle } from '../alarms/title.ts';

export const STUCK_ROUNDS = 3;
/** Resends closer together than this belong to one round (the gateway's ack timeout is 20 s by default). */
export const STUCK_ROUND_GAP_MS = 5_000;

export function stuckConditionKey(gatewayId: string, stream: string): string {
  return `stuck:${gatewayId}:${stream}`;
}

export interface StuckVerdict {
  ops: OutboxOp[];
  /** Ask the gateway to publish its birth again. */
  rebirth: boolean;
}

/**
 * Update `next` (the state after this batch) from what the batch was: `stale` when every event in it was
 * already acknowledged and nothing new was stored.
 */
export function noteBatch(next: StreamState, prevAck: number, stale: boolean, siteId: string, now: number, roundGapMs = STUCK_ROUND_GAP_MS): StuckVerdict {
  const ops: OutboxOp[] = [];
  if (next.ackSeq > prevAck || !stale) {
    if (next.stuckAlarm && next.ackSeq > prevAck) {
      ops.push({ op: 'clear', input: { conditionKey: stuckConditionKey(next.gatewayId, next.stream), at: now, reason: `acks advance again (ack ${next.ackSeq})` } });
      next.stuckAlarm = false;
    }
    if (next.ackSeq > prevAck) {
      next.stuckCount = 0;
      next.stuckAt = null;
    }
    return { ops, rebirth: false };
  }
  if (next.stuckAt !== null && now - next.stuckAt < roundGapMs) return { ops, rebirth: false };
  next.stuckCount += 1;
  next.stuckAt = now;
  if (next.stuckCount < STUCK_ROUNDS) return { ops, rebirth: false };
  if (!next.stuckAlarm) {
    next.stuckAlarm = true;
    ops.push({
      op: 'raise',
      input: {
        conditionKey: stuckConditionKey(next.gatewayId, next.stream),
        siteId,
        origin: 'cloud',
        ruleId: 'ingest-stream-stuck',
        kind: 'system',
        title: bilingualTitle(
          `数据完整性：网关 ${next.gatewayId} 持续重发已确认的 ${next.stream} 数据（确认到 ${next.ackSeq}），其缓存未释放`,
          `Data integrity: gateway ${next.gatewayId} keeps resending acknowledged ${next.stream} events (ack ${next.ackSeq}, epoch ${next.epoch}); its journal is not being released`,
        ),
        inputs: { gatewayId: next.gatewayId, stream: next.stream, ackSeq: next.ackSeq, epoch: next.epoch, announcedSeq: next.announcedSeq, rounds: next.stuckCount },
        at: now,
      },
    });
  }
  return { ops, rebirth: true };
}
