/**
 * A journal batch row's telemetry in columnar form (issue 20, round 4): the JSON text of a v2
 * segment (contract/src/uplink-v2.ts) without its `seq`, `id` and `historical` keys, which the uplink
 * adds when it sends the row. The journal writes this text once per poll batch; the v2 encoder
 * splices it into the payload as it is, so no per-reading JSON is written or parsed on the hot path.
 * Only the v1 payload (old clouds), a row cut by an ack or a byte limit, and tools parse it.
 *
 * Shape: {"n","t","paths","val","q","st","gt"[,"u"][,"r"][,"d"][,"h"]} — `paths` holds one entry per
 * reading (no `p` column), times are ms offsets from `t`, the optional columns are present only when
 * some reading has the field (null elsewhere).
 */
import { QUALITIES, QUALITY_CODES } from '@safeloop/contract';
import type { Reading, ReadingValue, ReasonCode, TelemetrySegmentV2 } from '@safeloop/contract';

/** The parsed columns of a row: a v2 segment without the keys the uplink adds (and no `p`: one path per reading). */
export type Columns = Omit<TelemetrySegmentV2, 'seq' | 'id' | 'p' | 'historical'>;

function valueJson(v: ReadingValue): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/**
 * The columns text of readings[from, to), which the caller has checked against the reading schema
 * (point paths, qualities and reasons are plain identifiers, so they need no escaping).
 */
export function columnsText(readings: readonly Reading[], from = 0, to = readings.length): string {
  const n = to - from;
  let t = Number.MAX_SAFE_INTEGER;
  for (let i = from; i < to; i++) {
    const x = readings[i]!;
    if (x.sourceTime < t) t = x.sourceTime;
    if (x.gatewayTime < t) t = x.gatewayTime;
  }
  const paths = new Array<string>(n);
  const val = new Array<string>(n);
  const q = new Array<number>(n);
  const st = new Array<number>(n);
  const gt = new Array<number>(n);
  let u: string[] | undefined;
  let r: string[] | undefined;
  let d: string[] | undefined;
  let h: string[] | undefined;
  let lastUnit: string | undefined;
  let lastUnitJson = 'null';
  for (let i = 0; i < n; i++) {
    const x = readings[from + i]!;
    paths[i] = x.point;
    val[i] = valueJson(x.value);
    q[i] = QUALITY_CODES[x.quality];
    st[i] = x.sourceTime - t;
    gt[i] = x.gatewayTime - t;
    if (x.unit !== undefined) {
      if (x.unit !== lastUnit) {
        lastUnit = x.unit;
        lastUnitJson = JSON.stringify(x.unit);
      }
      (u ??= new Array<string>(n).fill('null'))[i] = lastUnitJson;
    }
    if (x.reason !== undefined) (r ??= new Array<string>(n).fill('null'))[i] = `"${x.reason}"`;
    if (x.detail !== undefined) (d ??= new Array<string>(n).fill('null'))[i] = JSON.stringify(x.detail);
    if (x.historical !== undefined) (h ??= new Array<string>(n).fill('null'))[i] = String(x.historical);
  }
  let s = `{"n":${n},"t":${t},"paths":["${paths.join('","')}"],"val":[${val.join(',')}],"q":[${q.join(',')}],"st":[${st.join(',')}],"gt":[${gt.join(',')}]`;
  if (u) s += `,"u":[${u.join(',')}]`;
  if (r) s += `,"r":[${r.join(',')}]`;
  if (d) s += `,"d":[${d.join(',')}]`;
  if (h) s += `,"h":[${h.join(',')}]`;
  return `${s}}`;
}

export function parseColumns(text: string): Columns {
  return JSON.parse(text) as Columns;
}

/** Reading i of parsed columns, with the schema's keys in the schema's order. */
export function readingAt(c: Columns, i: number): Reading {
  const out: Reading = { point: c.paths[i]!, value: c.val[i]!, quality: QUALITIES[c.q[i]!]!, sourceTime: c.t + c.st[i]!, gatewayTime: c.t + c.gt[i]! };
  const unit = c.u?.[i];
  if (unit != null) out.unit = unit;
  const reason = c.r?.[i];
  if (reason != null) out.reason = reason;
  const detail = c.d?.[i];
  if (detail != null) out.detail = detail;
  const hist = c.h?.[i];
  if (hist != null) out.historical = hist;
  return out;
}

/**
 * The reading JSON of each reading (the v1 event body, as the journal wrote it before round 4): the text
 * JSON.stringify(readingAt(c, i)) gives, written directly — payload v1 expands every reading this way,
 * and building an object per reading to stringify it cost most of that path. Kept equal by a test.
 */
export function columnBodies(text: string): string[] {
  const c = parseColumns(text);
  const n = c.n;
  if (!(c.paths.length >= n && c.val.length >= n && c.q.length >= n && c.st.length >= n && c.gt.length >= n)) {
    throw new Error(`journal row columns are damaged: ${n} readings announced, fewer stored`);
  }
  const out = new Array<string>(n);
  let lastUnit: string | undefined;
  let lastUnitJson = '';
  for (let i = 0; i < n; i++) {
    const v = c.val[i]!;
    let s = `{"point":"${c.paths[i]}","value":${typeof v === 'string' ? JSON.stringify(v) : String(v)},"quality":"${QUALITIES[c.q[i]!]}","sourceTime":${c.t + c.st[i]!},"gatewayTime":${c.t + c.gt[i]!}`;
    const unit = c.u?.[i];
    if (unit != null) {
      if (unit !== lastUnit) {
        lastUnit = unit;
        lastUnitJson = JSON.stringify(unit);
      }
      s += `,"unit":${lastUnitJson}`;
    }
    const reason = c.r?.[i];
    if (reason != null) s += `,"reason":"${reason}"`;
    const detail = c.d?.[i];
    if (detail != null) s += `,"detail":${JSON.stringify(detail)}`;
    const hist = c.h?.[i];
    if (hist != null) s += `,"historical":${hist}`;
    out[i] = `${s}}`;
  }
  return out;
}

/** The columns text of readings [from, to) of a row (a row cut by an ack or a size limit). */
export function sliceColumns(text: string, from: number, to: number): string {
  const c = parseColumns(text);
  const out: Columns = {
    n: to - from,
    t: c.t,
    paths: c.paths.slice(from, to),
    val: c.val.slice(from, to),
    q: c.q.slice(from, to),
    st: c.st.slice(from, to),
    gt: c.gt.slice(from, to),
  };
  if (c.u) out.u = c.u.slice(from, to);
  if (c.r) out.r = c.r.slice(from, to);
  if (c.d) out.d = c.d.slice(from, to);
  if (c.h) out.h = c.h.slice(from, to);
  return JSON.stringify(out);
}

/** The columns text of a pre-round-4 row (reading JSON joined by newlines). */
export function columnsOfBodies(bodies: readonly string[]): string {
  return columnsText(bodies.map((b) => JSON.parse(b) as Reading));
}
