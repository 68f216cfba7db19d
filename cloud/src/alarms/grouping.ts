/**
 * Flood and chattering grouping (ISA-18.2): so an operator sees "site X is flooding" rather than 300
 * rows. Grouping only tags alarms with a group id and keeps a summary row; every alarm and every
 * transition stays in the record.
 * - Flood: more than 10 new alarms within 10 minutes for one site; it ends when fewer than 5 remain in the window.
 * - Chattering: at least 3 raise/clear transitions of one condition within a minute.
 */
import { ulid } from 'ulid';
import type { SqlDb } from '../db/index.ts';
import type { Alarm } from './types.ts';

export const FLOOD_RULE = { windowMs: 10 * 60_000, enterAbove: 10, endBelow: 5 } as const;
export const CHATTER_RULE = { windowMs: 60_000, transitions: 3 } as const;

export interface FloodOutcome {
  groupId: string | null;
  /** True when this alarm started the flood (notify the group once): it is the group's page alarm. */
  started: boolean;
  size: number;
}

/** Called in the raise transaction after a new alarm row is inserted. */
export async function applyFloodGrouping(tx: SqlDb, alarm: Alarm, now: number): Promise<FloodOutcome> {
  const since = now - FLOOD_RULE.windowMs;
  const recent = await tx.query<{ id: string; group_id: string | null }>(
    'SELECT id, group_id FROM alarms WHERE site_id = $1 AND created_at > $2',
    [alarm.siteId, since],
  );
  const open = await tx.query<{ id: string; alarm_count: number }>(
    "SELECT id, alarm_count FROM alarm_groups WHERE site_id = $1 AND kind = 'flood' AND ended_at IS NULL",
    [alarm.siteId],
  );
  const group = open[0];
  if (group) {
    if (recent.length < FLOOD_RULE.endBelow) {
      await tx.exec('UPDATE alarm_groups SET ended_at = $2 WHERE id = $1', [group.id, now]);
      return { groupId: null, started: false, size: 0 };
    }
    await tx.exec('UPDATE alarms SET group_id = $2 WHERE id = $1', [alarm.id, group.id]);
    await tx.exec('UPDATE alarm_groups SET alarm_count = alarm_count + 1, event_count = event_count + 1, last_at = $2 WHERE id = $1', [
      group.id,
      now,
    ]);
    return { groupId: group.id, started: false, size: Number(group.alarm_count) + 1 };
  }
  if (recent.length <= FLOOD_RULE.enterAbove) return { groupId: null, started: false, size: 0 };
  const id = ulid();
  await tx.exec(
    `INSERT INTO alarm_groups (id, kind, site_id, enterprise_id, region_code, condition_key, started_at, last_at, alarm_count, event_count, page_alarm_id)
     VALUES ($1, 'flood', $2, $3, $4, NULL, $5, $5, $6, $6, $7)`,
    [id, alarm.siteId, alarm.enterpriseId, alarm.regionCode, now, recent.length, alarm.id],
  );
  await tx.exec('UPDATE alarms SET group_id = $1 WHERE site_id = $2 AND created_at > $3 AND group_id IS NULL', [id, alarm.siteId, since]);
  return { groupId: id, started: true, size: recent.length };
}

/** End floods whose window has calmed down (called from the scheduler tick). */
export async function endCalmFloods(tx: SqlDb, now: number): Promise<number> {
  const open = await tx.query<{ id: string; site_id: string }>("SELECT id, site_id FROM alarm_groups WHERE kind = 'flood' AND ended_at IS NULL");
  let ended = 0;
  for (const g of open) {
    const n = await tx.query<{ n: number }>('SELECT COUNT(*) AS n FROM alarms WHERE site_id = $1 AND created_at > $2', [
      g.site_id,
      now - FLOOD_RULE.windowMs,
    ]);
    if (Number(n[0]?.n ?? 0) < FLOOD_RULE.endBelow) {
      ended += await tx.exec('UPDATE alarm_groups SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL', [g.id, now]);
    }
  }
  return ended;
}

/**
 * After a raise/reactivation/clear has been audited: count this condition's transitions in the last
 * minute; at the threshold, mark the alarm chattering and open a chatter group. Returns true when
 * the alarm is chattering (callers then skip per-transition notifications).
 */
export async function applyChatterDetection(tx: SqlDb, alarm: Alarm, now: number): Promise<boolean> {
  const rows = await tx.query<{ n: number }>(
    "SELECT COUNT(*) AS n FROM alarm_audit WHERE alarm_id = $1 AND action IN ('raised', 'reactivated', 'cleared') AND at > $2",
    [alarm.id, now - CHATTER_RULE.windowMs],
  );
  const n = Number(rows[0]?.n ?? 0);
  if (alarm.chattering) {
    const g = await tx.query<{ id: string }>("SELECT id FROM alarm_groups WHERE kind = 'chatter' AND condition_key = $1 AND ended_at IS NULL", [
      alarm.conditionKey,
    ]);
    if (g[0]) await tx.exec('UPDATE alarm_groups SET event_count = event_count + 1, last_at = $2 WHERE id = $1', [g[0].id, now]);
    return true;
  }
  if (n < CHATTER_RULE.transitions) return false;
  const id = ulid();
  await tx.exec(
    `INSERT INTO alarm_groups (id, kind, site_id, enterprise_id, region_code, condition_key, started_at, last_at, alarm_count, event_count)
     VALUES ($1, 'chatter', $2, $3, $4, $5, $6, $6, 1, $7)`,
    [id, alarm.siteId, alarm.enterpriseId, alarm.regionCode, alarm.conditionKey, now, n],
  );
  await tx.exec('UPDATE alarms SET chattering = 1, group_id = COALESCE(group_id, $2), version = version + 1 WHERE id = $1', [alarm.id, id]);
  return true;
}

/** Close the chatter group of a condition when its alarm closes. */
export async function endChatter(tx: SqlDb, conditionKey: string, now: number): Promise<void> {
  await tx.exec("UPDATE alarm_groups SET ended_at = $2 WHERE kind = 'chatter' AND condition_key = $1 AND ended_at IS NULL", [conditionKey, now]);
}
