/**
 * Time sanity for readings whose source time comes from a device clock (HJ 212 DataTime, NMEA RMC
 * date, OPC-UA SourceTimestamp, a line instrument's stamp). A device whose clock is wrong — days
 * ahead, a GPS week rollover to 2007, a logger in the wrong time zone — must not freeze the
 * dashboard or hide an alarm. Such a reading is kept, marked `uncertain / bad_time`, and both times
 * travel with it (sourceTime as the device claimed, gatewayTime as received). The alarm evaluator
 * still judges its value, on the gateway's time.
 */
import type { Reading } from './reading.ts';

export interface TimeSanityOptions {
  /** A source time more than this far ahead of the gateway clock is bad (default 5 min). */
  aheadToleranceMs?: number;
  /** A live (not historical) source time more than this far behind the gateway clock is bad (default 5 min). */
  behindToleranceMs?: number;
}

export const DEFAULT_TIME_TOLERANCE_MS = 5 * 60_000;

function fmt(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} d`;
}

/** How far the source time is off, if beyond tolerance: positive ahead, negative behind; else undefined. */
export function sourceTimeSkew(r: Pick<Reading, 'sourceTime' | 'gatewayTime' | 'historical'>, opts: TimeSanityOptions = {}): number | undefined {
  const skew = r.sourceTime - r.gatewayTime;
  if (skew > (opts.aheadToleranceMs ?? DEFAULT_TIME_TOLERANCE_MS)) return skew;
  if (r.historical !== true && -skew > (opts.behindToleranceMs ?? DEFAULT_TIME_TOLERANCE_MS)) return skew;
  return undefined;
}

/**
 * The reading, or a copy marked bad_time when its source time is implausible. A reading already
 * bad or uncertain for another reason keeps its quality and reason (they say more about the value)
 * and gets the skew added to its detail.
 */
export function checkSourceTime(r: Reading, opts: TimeSanityOptions = {}): Reading {
  const skew = sourceTimeSkew(r, opts);
  if (skew === undefined) return r;
  const note = `source time ${skew > 0 ? 'ahead of' : 'behind'} gateway clock by ${fmt(skew)} (source ${new Date(r.sourceTime).toISOString()}, gateway ${new Date(r.gatewayTime).toISOString()})`;
  if (r.quality !== 'good') return { ...r, detail: (r.detail ? `${r.detail}; ${note}` : note).slice(0, 200) };
  return { ...r, quality: 'uncertain', reason: 'bad_time', detail: note.slice(0, 200) };
}

/** Apply checkSourceTime to a batch; returns the same array when nothing changed (the usual case). */
export function checkSourceTimes(readings: readonly Reading[], opts: TimeSanityOptions = {}): readonly Reading[] {
  let out: Reading[] | undefined;
  for (let i = 0; i < readings.length; i++) {
    const r = readings[i]!;
    const c = checkSourceTime(r, opts);
    if (c !== r) {
      out ??= readings.slice();
      out[i] = c;
    }
  }
  return out ?? readings;
}
