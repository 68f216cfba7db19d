/**
 * Which reading of a batch becomes a point's latest value — by arrival, not by a source time that may
 * be wrong (DOMAIN.md §7). Rules, per point, over the batch in sequence order:
 * - a live reading with a sane time replaces the latest (the last such one in the batch wins);
 * - historical readings (backfill, replays, HJ 212 minute data) replace the latest only when their
 *   source time is newer (a backlog sent after an outage), never a fresher value, and leave its
 *   stale mark as it is (they are not live);
 * - a `bad_time` reading (device clock implausible) never replaces the latest value: it is kept
 *   beside it as `time_suspect` (until a sane live reading follows), and is the latest only when the
 *   point has no value at all yet;
 * - `good_since` is when the current run of good live readings began (0 while the latest is not
 *   good): a stale/comm-loss condition clears only after good data has held (no flapping).
 */
import type { TelemetryEvent } from '@safeloop/contract';

export interface LatestCandidate {
  event: TelemetryEvent;
  /** live: always replaces; historical: replaces an older latest; ifAbsent: only when the point has no latest. */
  mode: 'live' | 'historical' | 'ifAbsent';
  /** Start of the good run: a time, 0 (not good), or -1 (keep the stored run if the stored latest is good and live). */
  goodSince: number;
  /** Whether the batch had a good reading (moves good_at). */
  good: boolean;
}

export interface TimeSuspectUpdate {
  point: string;
  /** The bad_time reading to show beside the latest value, or null to clear the marker. */
  event: TelemetryEvent | null;
}

export function selectLatest(events: readonly TelemetryEvent[], receivedAt: number): { candidates: LatestCandidate[]; suspects: TimeSuspectUpdate[] } {
  const byPoint = new Map<string, TelemetryEvent[]>();
  for (const e of events) {
    const list = byPoint.get(e.point);
    if (list) list.push(e);
    else byPoint.set(e.point, [e]);
  }
  const candidates: LatestCandidate[] = [];
  const suspects: TimeSuspectUpdate[] = [];
  for (const point of [...byPoint.keys()].sort()) {
    const list = byPoint.get(point)!.slice().sort((a, b) => a.seq - b.seq);
    // Only live good readings with a sane time count as fresh (good_at): not backfill, not bad_time.
    const good = list.some((e) => e.quality === 'good' && e.historical !== true && e.reason !== 'bad_time');
    let live: TelemetryEvent | undefined;
    let liveIndex = -1;
    let suspect: TelemetryEvent | undefined;
    let suspectIndex = -1;
    let hist: TelemetryEvent | undefined;
    list.forEach((e, i) => {
      if (e.historical === true) {
        if (!hist || e.sourceTime > hist.sourceTime) hist = e;
      } else if (e.reason === 'bad_time') {
        suspect = e;
        suspectIndex = i;
      } else {
        live = e;
        liveIndex = i;
      }
    });
    if (live) {
      let goodSince = 0;
      if (live.quality === 'good') {
        const brokeRun = list.slice(0, liveIndex).some((e) => e.historical !== true && e.reason !== 'bad_time' && e.quality !== 'good');
        goodSince = brokeRun ? receivedAt : -1;
      }
      candidates.push({ event: live, mode: 'live', goodSince, good });
    } else if (hist) {
      candidates.push({ event: hist, mode: 'historical', goodSince: -1, good });
    } else if (suspect) {
      candidates.push({ event: suspect, mode: 'ifAbsent', goodSince: 0, good });
    }
    if (suspect && suspectIndex > liveIndex) suspects.push({ point, event: suspect });
    else if (live && liveIndex > suspectIndex) suspects.push({ point, event: null });
  }
  return { candidates, suspects };
}

/** JSON kept in telemetry_latest.time_suspect. */
export function suspectJson(e: TelemetryEvent | null): string | null {
  if (!e) return null;
  return JSON.stringify({ value: e.value, quality: e.quality, reason: e.reason ?? null, detail: e.detail ?? null, sourceTime: e.sourceTime, gatewayTime: e.gatewayTime, eventId: e.id });
}

/**
 * The new good_since of a stored row `t` given the candidate's goodSince `gs` (-1 = keep the run if the
 * stored latest is good and live) and the receive time `now`.
 */
export function goodSinceExpr(t: string, gs: string, now: string): string {
  return `CASE WHEN ${gs} = -1 THEN (CASE WHEN ${t}.quality = 'good' AND ${t}.stale = 0 AND ${t}.good_since > 0 THEN ${t}.good_since ELSE ${now} END) ELSE ${gs} END`;
}

/**
 * SQL pieces shared by both stores. `greatest` is max (SQLite) or GREATEST (PostgreSQL); `run` gives the
 * SQL expressions for the candidate's goodSince and the receive time (omit it to leave good_since alone).
 */
export function latestSetClause(greatest: string, mode: 'live' | 'historical', run?: { gs: string; now: string }): string {
  const common = `site_id = excluded.site_id, gateway_id = excluded.gateway_id, value_num = excluded.value_num,
  value_json = excluded.value_json, unit = excluded.unit, quality = excluded.quality, reason = excluded.reason,
  source_time = excluded.source_time, gateway_time = excluded.gateway_time, event_id = excluded.event_id,
  historical = excluded.historical, good_at = ${greatest}(telemetry_latest.good_at, excluded.good_at)`;
  if (mode === 'historical') return `${common} WHERE excluded.source_time > telemetry_latest.source_time`;
  if (!run) return `${common}, stale = 0`;
  return `${common}, stale = 0, good_since = ${goodSinceExpr('telemetry_latest', run.gs, run.now)}`;
}
