/**
 * The reading: one value of one point at one moment, with its quality.
 * Every driver and bridge produces these; the journal, uplink, cloud and dashboard consume them.
 */
import { z } from 'zod';

/** `site/device/point` — each part a safe identifier (no `/`, `+`, `#`, NUL or spaces). */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const IdSchema = z.string().regex(ID_PATTERN, 'must be 1-64 characters of A-Z a-z 0-9 _ -');
export const PointPathSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}\/[A-Za-z0-9_-]{1,64}\/[A-Za-z0-9_-]{1,64}$/, 'must be site/device/point');

export const QUALITIES = ['good', 'uncertain', 'bad'] as const;
export const QualitySchema = z.enum(QUALITIES);
export type Quality = z.infer<typeof QualitySchema>;

/**
 * Why a reading is not `good`. Codes are API: they appear in logs, payloads and the dashboard.
 * Drivers may add a detail string (e.g. the Modbus exception text) beside the code.
 */
export const REASON_CODES = [
  'timeout', // device did not answer in time
  'comm_lost', // device/connection lost for longer than the comm-loss bound
  'exception', // protocol exception reply (Modbus exception code, OPC-UA bad status)
  'crc_error', // frame check failed
  'short_frame', // truncated reply
  'out_of_range', // value outside the measuring range
  'sensor_fault', // device reports a fault
  'calibration', // device in calibration
  'maintenance', // device in maintenance
  'stopped', // device stopped (HJ 212 F)
  'manual', // manually entered value (HJ 212 S)
  'stale', // no fresh value within the expected interval
  'decode_error', // raw data could not be decoded (NaN pattern, sentinel)
  'bridge_flag', // a bridge protocol flag marked it
  'no_fix', // GNSS without a usable fix
  'gap', // value follows an outage (OPC-UA reconnect, replay)
  'warmup', // device warming up after power-on (detector not yet measuring)
  'bad_time', // source time implausible against the gateway clock (device clock wrong); value kept, both times recorded
] as const;
export const ReasonCodeSchema = z.enum(REASON_CODES);
export type ReasonCode = z.infer<typeof ReasonCodeSchema>;

export const ReadingValueSchema = z.union([z.number().finite(), z.boolean(), z.string().max(256), z.null()]);
export type ReadingValue = z.infer<typeof ReadingValueSchema>;

/** Epoch milliseconds; sane bounds so a 1970 RTC or a far-future clock is caught, not stored. */
export const EpochMsSchema = z.number().int().min(946_684_800_000).max(4_102_444_800_000);

export const ReadingSchema = z.object({
  point: PointPathSchema,
  value: ReadingValueSchema,
  unit: z.string().max(32).optional(),
  quality: QualitySchema,
  reason: ReasonCodeSchema.optional(),
  /** Free text beside the reason, e.g. "Modbus exception 0x02 illegal data address". */
  detail: z.string().max(200).optional(),
  /** When the value was measured (device or bridge time), epoch ms. */
  sourceTime: EpochMsSchema,
  /** When the gateway received it, epoch ms. */
  gatewayTime: EpochMsSchema,
  /**
   * True for values the device reports after the fact (HJ 212 minute/hour/day data, replays): stored and
   * evaluated for history, never overwrite a newer current value. Absent = live.
   */
  historical: z.boolean().optional(),
});
export type Reading = z.infer<typeof ReadingSchema>;

/**
 * `site/device/point`. Joined, not concatenated: V8 keeps a concatenation of 13 characters or more as a
 * rope of two parts until first use, and a gateway holds one path per point (100,000 on a large one).
 */
export function pointPath(site: string, device: string, point: string): string {
  return [site, device, point].join('/');
}

export function splitPointPath(path: string): { site: string; device: string; point: string } {
  const [site, device, point] = path.split('/');
  if (site === undefined || device === undefined || point === undefined) {
    throw new Error(`not a point path: ${path}`);
  }
  return { site, device, point };
}

/** Callback that a reading source (driver, bridge) pushes its readings into. */
export type ReadingSink = (readings: readonly Reading[]) => void;

/**
 * Something the gateway runs that produces readings: a Modbus bus, an OPC-UA session, an HJ 212
 * listener, an NMEA reader. It owns its sockets and timers; stop() releases all of them.
 */
export interface ReadingSource {
  readonly id: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const QUALITY_SET: ReadonlySet<string> = new Set(QUALITIES);
const REASON_SET: ReadonlySet<string> = new Set(REASON_CODES);

/** A-Z a-z 0-9 _ - by char code. */
function idChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45;
}

/**
 * PointPathSchema's rule (three segments of 1-64 id characters) by one scan of the characters: the
 * journal checks every reading, and a regex or a cache of known paths (a hash lookup that misses the
 * CPU cache at 100,000 paths) cost several times more per reading.
 */
export function pointPathValid(p: string): boolean {
  const n = p.length;
  if (n < 5 || n > 194) return false;
  let segments = 1;
  let len = 0;
  for (let i = 0; i < n; i++) {
    const c = p.charCodeAt(i);
    if (c === 47) {
      if (len === 0 || ++segments > 3) return false;
      len = 0;
    } else if (!idChar(c) || ++len > 64) return false;
  }
  return segments === 3 && len > 0;
}

function epochOk(t: unknown): t is number {
  return typeof t === 'number' && Number.isInteger(t) && t >= 946_684_800_000 && t <= 4_102_444_800_000;
}

/** True when r passes ReadingSchema (the fast check behind fastCheckReading, without the copy). */
export function readingValid(r: Reading): boolean {
  if (typeof r !== 'object' || r === null) return false;
  const { point, value, unit, quality, reason, detail, sourceTime, gatewayTime, historical } = r;
  if (typeof point !== 'string') return false;
  if (!pointPathValid(point)) return false;
  if (!(value === null || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && value.length <= 256))) return false;
  if (unit !== undefined && (typeof unit !== 'string' || unit.length > 32)) return false;
  if (typeof quality !== 'string' || !QUALITY_SET.has(quality)) return false;
  if (reason !== undefined && (typeof reason !== 'string' || !REASON_SET.has(reason))) return false;
  if (detail !== undefined && (typeof detail !== 'string' || detail.length > 200)) return false;
  if (!epochOk(sourceTime) || !epochOk(gatewayTime)) return false;
  if (historical !== undefined && typeof historical !== 'boolean') return false;
  return true;
}

/**
 * Fast check of a reading against ReadingSchema's rules, for hot paths (the gateway journal).
 * Returns a clean copy (only the schema's keys) when valid, undefined otherwise — then use
 * ReadingSchema.safeParse for the precise problem. Kept equivalent to the schema by a test.
 */
export function fastCheckReading(r: Reading): Reading | undefined {
  if (!readingValid(r)) return undefined;
  const { point, value, unit, quality, reason, detail, sourceTime, gatewayTime, historical } = r;
  const out: Reading = { point, value, quality, sourceTime, gatewayTime };
  if (unit !== undefined) out.unit = unit;
  if (reason !== undefined) out.reason = reason;
  if (detail !== undefined) out.detail = detail;
  if (historical !== undefined) out.historical = historical;
  return out;
}

/**
 * `JSON.stringify(fastCheckReading(r))` without the intermediate object (the journal's hot path:
 * one call per reading). Point paths, qualities and reasons are plain identifiers, so they need no
 * escaping; free text goes through JSON.stringify. Kept equal to the slow form by a test.
 */
export function fastReadingJson(r: Reading): string | undefined {
  if (!readingValid(r)) return undefined;
  const { point, value, unit, quality, reason, detail, sourceTime, gatewayTime, historical } = r;
  let s = `{"point":"${point}","value":${typeof value === 'string' ? JSON.stringify(value) : String(value)},"quality":"${quality}","sourceTime":${sourceTime},"gatewayTime":${gatewayTime}`;
  if (unit !== undefined) s += `,"unit":${JSON.stringify(unit)}`;
  if (reason !== undefined) s += `,"reason":"${reason}"`;
  if (detail !== undefined) s += `,"detail":${JSON.stringify(detail)}`;
  if (historical !== undefined) s += `,"historical":${historical}`;
  return `${s}}`;
}
