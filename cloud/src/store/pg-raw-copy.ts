/**
 * Raw readings into PostgreSQL by `COPY … FROM STDIN`: the cheapest way in for the server (no JSON to
 * expand, rows written in multi-row chunks, no RETURNING). COPY has no ON CONFLICT, so it is tried only
 * for events the stream has never taken (a new seq: never stored in this epoch) and inside a savepoint:
 * should one of them still exist by id (a journal restored from a backup resending old events under a
 * new epoch), the copy fails with a unique violation, the savepoint rolls it back, and the caller
 * inserts the batch the idempotent way. Nothing is lost or stored twice either way.
 */
import type { TelemetryEvent } from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';
import { encodeValue } from './telemetry-store.ts';

const COPY_RAW = 'COPY telemetry_raw (id, gateway_id, point, seq, value_num, value_json, quality, reason, detail, source_time, gateway_time, historical, received_at, epoch) FROM STDIN';
const NEEDS_ESCAPE = /[\\\t\n\r]/;

/** A text-format COPY field: \N for null; backslash, tab, newline and carriage return escaped. */
function field(v: string | null): string {
  if (v === null) return '\\N';
  if (!NEEDS_ESCAPE.test(v)) return v;
  return v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

/** The COPY input for a batch of events of one gateway. */
export function rawCopyText(gatewayId: string, events: readonly TelemetryEvent[], receivedAt: number, epoch: number): string {
  const gw = field(gatewayId);
  const tail = `${receivedAt}\t${epoch}\n`;
  const parts: string[] = new Array<string>(events.length);
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const v = encodeValue(e.value);
    parts[i] =
      `${field(e.id)}\t${gw}\t${field(e.point)}\t${e.seq}\t${v.num === null ? '\\N' : String(v.num)}\t${field(v.json)}\t${field(e.quality)}\t` +
      `${field(e.reason ?? null)}\t${field(e.detail ?? null)}\t${e.sourceTime}\t${e.gatewayTime}\t${e.historical === true ? 1 : 0}\t${tail}`;
  }
  return parts.join('');
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}

/**
 * Copy the events in; true when every one went in, false when the copy was refused for a duplicate (rolled
 * back: insert them with ON CONFLICT instead) or the connection cannot copy.
 */
export async function copyRaw(tx: SqlDb, gatewayId: string, events: readonly TelemetryEvent[], receivedAt: number, epoch: number): Promise<boolean> {
  if (!tx.copyFrom || events.length === 0) return false;
  await tx.execScript('SAVEPOINT raw_copy');
  try {
    const n = await tx.copyFrom(COPY_RAW, rawCopyText(gatewayId, events, receivedAt, epoch));
    if (n !== events.length) throw new Error(`COPY stored ${n} of ${events.length} readings`);
    await tx.execScript('RELEASE SAVEPOINT raw_copy');
    return true;
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    await tx.execScript('ROLLBACK TO SAVEPOINT raw_copy');
    return false;
  }
}
