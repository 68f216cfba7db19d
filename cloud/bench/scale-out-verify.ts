/**
 * What the scale-out benchmark checks against the database after the run has drained: nothing
 * acknowledged is missing, nothing sent is missing, nothing is stored twice; how long limit crossings
 * took to become alarms; when the survivors took up what the killed worker had held.
 */
import type { SqlDb } from '../src/db/index.ts';
import type { LoadResult } from './scale-out-gateways.ts';

export interface StoreCheck {
  rows: number;
  /** Seqs ≤ a gateway's acknowledged seq that are not stored (must be 0). */
  lostAcked: number;
  /** Seqs ≤ the highest seq a gateway sent that are not stored after the drain (must be 0). */
  lostSent: number;
  /** Rows beyond the first per (gateway, seq) (must be 0). */
  duplicated: number;
}

/** A VALUES list of our own generated gateway ids and integers (no outside input reaches this SQL). */
function values(rows: (string | number)[][]): string {
  return rows.map((r) => `(${r.map((x) => (typeof x === 'number' ? String(Math.trunc(x)) : `'${x.replace(/[^A-Za-z0-9_-]/g, '')}'`)).join(', ')})`).join(',\n');
}

export async function checkStore(db: SqlDb, load: LoadResult): Promise<StoreCheck> {
  const per = load.gateways.map(([, sent, acked], i) => [`gw${i}`, acked, sent]);
  const r = await db.query<{ rows: number; lost_acked: number; lost_sent: number; duplicated: number }>(`
    WITH g(gw, acked, sent) AS (VALUES ${values(per)}),
    s AS (
      SELECT r.gateway_id, COUNT(*) AS n, COUNT(DISTINCT r.seq) AS d,
             COUNT(DISTINCT r.seq) FILTER (WHERE r.seq <= g.acked) AS d_acked,
             COUNT(DISTINCT r.seq) FILTER (WHERE r.seq <= g.sent) AS d_sent
      FROM telemetry_raw r JOIN g ON g.gw = r.gateway_id GROUP BY r.gateway_id)
    SELECT COALESCE(SUM(s.n), 0) AS rows,
           SUM(g.acked - COALESCE(s.d_acked, 0)) AS lost_acked,
           SUM(g.sent - COALESCE(s.d_sent, 0)) AS lost_sent,
           COALESCE(SUM(s.n - s.d), 0) AS duplicated
    FROM g LEFT JOIN s ON s.gateway_id = g.gw`);
  const x = r[0]!;
  return { rows: Number(x.rows), lostAcked: Number(x.lost_acked), lostSent: Number(x.lost_sent), duplicated: Number(x.duplicated) };
}

export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

export interface AlarmLatency {
  crossings: number;
  alarmed: number;
  /** First publish → alarm recorded by the sink (after the outbox commit), ms. */
  p50: number;
  p99: number;
  max: number;
  /** Reading's source time → alarm (includes time waiting in the gateway's journal), ms. */
  fromSourceP99: number;
}

/** Each crossing is the only reading of its point, so its alarm is occurrence 1 of `limit:{point}:GAS_1`. */
export async function alarmLatency(db: SqlDb, load: LoadResult): Promise<AlarmLatency> {
  const rows = await db.query<{ condition_key: string; raised_at: number }>("SELECT condition_key, raised_at FROM test_alarm_occurrences WHERE condition_key LIKE 'limit:%/GT-X%'");
  const raised = new Map(rows.map((r) => [r.condition_key, Number(r.raised_at)]));
  const lat: number[] = [];
  const fromSource: number[] = [];
  for (const [g, seq, publishedAt, sourceTime] of load.crossings) {
    const at = raised.get(`limit:s${g}/GT-X${seq}/lel:GAS_1`);
    if (at === undefined) continue;
    lat.push(at - publishedAt);
    fromSource.push(at - sourceTime);
  }
  return { crossings: load.crossings.length, alarmed: lat.length, p50: percentile(lat, 50), p99: percentile(lat, 99), max: lat.length ? Math.max(...lat) : NaN, fromSourceP99: percentile(fromSource, 99) };
}

export interface Takeover {
  /** Batches first published from 5 s before the kill on that no survivor got on their first delivery and the killed worker had not stored: its session held them. */
  held: number;
  /** Kill → the first / last of them received by a survivor (received_at, just before its commit), ms. */
  firstMs: number;
  lastMs: number;
  /** Kill → the last first publish that the dead session took (the broker stopped handing it a share), ms. */
  lastTakenMs: number;
}

/** `survivorsGot`: "gw seq" of every batch a surviving worker received on its first delivery. */
export async function takeover(db: SqlDb, load: LoadResult, killedAt: number, survivorsGot: ReadonlySet<string>): Promise<Takeover> {
  const candidates = load.firstPublishes.filter(([g, seq, at]) => at >= killedAt - 5000 && !survivorsGot.has(`gw${g} ${seq}`));
  if (candidates.length === 0) return { held: 0, firstMs: NaN, lastMs: NaN, lastTakenMs: NaN };
  const rows = await db.query<{ n: number; first: number | null; last: number | null; taken: number | null }>(`
    WITH b(gw, seq, at) AS (VALUES ${values(candidates.map(([g, seq, at]) => [`gw${g}`, seq, at]))}),
    c AS (SELECT b.at AS published, MIN(r.received_at) AS received FROM b JOIN telemetry_raw r ON r.gateway_id = b.gw AND r.seq = b.seq GROUP BY b.gw, b.seq, b.at)
    SELECT COUNT(*) AS n, MIN(received) AS first, MAX(received) AS last, MAX(published) AS taken FROM c WHERE received >= ${Math.trunc(killedAt)}`);
  const x = rows[0]!;
  if (x.first === null) return { held: 0, firstMs: NaN, lastMs: NaN, lastTakenMs: NaN };
  return { held: Number(x.n), firstMs: Number(x.first) - killedAt, lastMs: Number(x.last) - killedAt, lastTakenMs: Number(x.taken) - killedAt };
}

/** Data-integrity alarms the ingest raised (a gap still open after a replay request; the ack is held at it), and how many are still active. */
export async function integrityAlarms(db: SqlDb): Promise<{ raised: number; open: number }> {
  const r = await db.query<{ n: number; open: number }>(
    `SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN cleared_at IS NULL THEN 1 ELSE 0 END), 0) AS open FROM test_alarm_occurrences
     WHERE condition_key LIKE 'integrity:%' OR condition_key LIKE 'unannounced:%'`,
  );
  return { raised: Number(r[0]?.n ?? 0), open: Number(r[0]?.open ?? 0) };
}
