/**
 * What the ingest knows of each gateway beyond its registration: when it was last heard from (any status,
 * heartbeat included), its clock offset against the cloud, as its last status reported it (the gateway estimates
 * it from the cloud time on acks; DOMAIN.md §7). Read from the status the ingest keeps per gateway, so a
 * skewed gateway is visible in the API next to its other facts — and whether an offline gateway stopped on
 * purpose (its shutdown status) rather than being lost.
 */
import type { StatusMessage } from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';
import type { OutboxOp } from '../store/alarm-outbox.ts';
import { bilingualTitle } from '../alarms/title.ts';

export interface GatewayFacts {
  /** Last message of any kind (birth, status heartbeat, death) the cloud received from it. */
  lastSeenAt?: number;
  /** Gateway clock minus cloud clock, ms (positive: the gateway is ahead). */
  clockOffsetMs?: number;
  /** When the cloud received the status that reported it. */
  clockOffsetAt?: number;
  /** Offline because it stopped on purpose (its shutdown status), not lost. */
  stoppedOnPurpose?: true;
}

/** Offsets beyond this are called out (same tolerance as a device clock ahead of the gateway, 5 min). */
export const GATEWAY_CLOCK_TOLERANCE_MS = 5 * 60_000;

export async function readGatewayFacts(db: SqlDb, gatewayIds: readonly string[]): Promise<Map<string, GatewayFacts>> {
  const out = new Map<string, GatewayFacts>();
  if (gatewayIds.length === 0) return out;
  const params = gatewayIds.map((_, i) => `$${i + 1}`).join(', ');
  let rows: { gateway_id: string; last_seen: number; status: string | null; state: string; planned_stop: number }[];
  try {
    rows = await db.query(`SELECT gateway_id, last_seen, status, state, planned_stop FROM gateway_state WHERE gateway_id IN (${params})`, [...gatewayIds]);
  } catch {
    // An API node on a store no ingest worker has migrated yet: there is no status to read.
    return out;
  }
  for (const r of rows) {
    const facts: GatewayFacts = { lastSeenAt: Number(r.last_seen), ...(r.state === 'offline' && Number(r.planned_stop) === 1 ? { stoppedOnPurpose: true as const } : {}) };
    const offset = previousOffset(r.status);
    if (offset !== undefined && Number.isFinite(offset)) Object.assign(facts, { clockOffsetMs: offset, clockOffsetAt: Number(r.last_seen) });
    out.set(r.gateway_id, facts);
  }
  return out;
}

export function clockConditionKey(gatewayId: string): string {
  return `clock:${gatewayId}`;
}

function skewed(offset: number | undefined): boolean {
  return offset !== undefined && Math.abs(offset) > GATEWAY_CLOCK_TOLERANCE_MS;
}

function previousOffset(statusJson: string | null): number | undefined {
  if (!statusJson) return undefined;
  try {
    const v = (JSON.parse(statusJson) as { clockOffsetMs?: unknown }).clockOffsetMs;
    return typeof v === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A gateway whose clock drifts beyond the tolerance raises a system alarm (its device-time checks and
 * the times it stamps are off by as much); back within tolerance, it clears. Only transitions between
 * the previous status and this one produce an operation.
 */
export function clockSkewOps(gatewayId: string, siteId: string, previousStatus: string | null, msg: StatusMessage): OutboxOp[] {
  const now = msg.clockOffsetMs;
  if (now === undefined) return [];
  const before = skewed(previousOffset(previousStatus));
  const minutes = Math.round(now / 60_000);
  if (skewed(now) && !before) {
    return [
      {
        op: 'raise',
        input: {
          conditionKey: clockConditionKey(gatewayId),
          siteId,
          origin: 'cloud',
          ruleId: 'gateway-clock',
          kind: 'system',
          title: bilingualTitle(`网关时钟偏差 ${minutes} 分钟：${gatewayId}`, `Gateway clock off by ${minutes} min: ${gatewayId}`),
          inputs: { gatewayId, clockOffsetMs: now, toleranceMs: GATEWAY_CLOCK_TOLERANCE_MS },
          at: msg.time,
        },
      },
    ];
  }
  if (!skewed(now) && before) {
    return [{ op: 'clear', input: { conditionKey: clockConditionKey(gatewayId), at: msg.time, reason: `gateway clock within ${GATEWAY_CLOCK_TOLERANCE_MS / 60_000} min of the cloud (${now} ms)` } }];
  }
  return [];
}
