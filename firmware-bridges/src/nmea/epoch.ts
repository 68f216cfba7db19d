/**
 * One receiver epoch (the GGA, RMC and GST sharing a UTC time) → a fix with quality (DOMAIN.md §10):
 * fix quality 4 good, 5 uncertain, others and RMC `V` bad `no_fix`; a good fix with too few
 * satellites, a large HDOP or (with GST) a large 1-sigma error reads uncertain.
 */
import type { NmeaBridgeConfig } from '../config.ts';
import type { Fix } from './displacement.ts';
import type { GgaSentence, GstSentence, RmcSentence } from './sentence.ts';

export interface Epoch {
  timeOfDayMs: number;
  gga?: GgaSentence;
  rmc?: RmcSentence;
  gst?: GstSentence;
}

const DAY_MS = 86_400_000;

/** UTC time of day + the RMC date, or the day that puts it closest to `nowMs` when no date came. */
export function epochTimeMs(timeOfDayMs: number, dateMs: number | undefined, nowMs: number): number {
  if (dateMs !== undefined) return dateMs + timeOfDayMs;
  const today = Math.floor(nowMs / DAY_MS) * DAY_MS;
  let best = today + timeOfDayMs;
  for (const c of [today - DAY_MS + timeOfDayMs, today + DAY_MS + timeOfDayMs]) {
    if (Math.abs(c - nowMs) < Math.abs(best - nowMs)) best = c;
  }
  return best;
}

type QualityRules = Pick<NmeaBridgeConfig, 'goodFixQualities' | 'uncertainFixQualities' | 'minSatellites' | 'maxHdop' | 'maxSigmaMm'>;

/** undefined when the epoch has no GGA (nothing to position from). */
export function fixFromEpoch(epoch: Epoch, rules: QualityRules, nowMs: number): Fix | undefined {
  const gga = epoch.gga;
  if (!gga) return undefined;
  const timeMs = Math.round(epochTimeMs(epoch.timeOfDayMs, epoch.rmc?.dateMs, nowMs));
  const noFix = (detail: string): Fix => ({ timeMs, position: undefined, quality: 'bad', reason: 'no_fix', detail });
  if (epoch.rmc && !epoch.rmc.valid) return noFix('RMC status V (void)');
  let quality: Fix['quality'];
  if (rules.goodFixQualities.includes(gga.fixQuality)) quality = 'good';
  else if (rules.uncertainFixQualities.includes(gga.fixQuality)) quality = 'uncertain';
  else return noFix(`GGA fix quality ${gga.fixQuality}`);
  if (gga.lat === undefined || gga.lon === undefined || gga.altitude === undefined) return noFix('GGA without position or altitude');
  const position = { lat: gga.lat, lon: gga.lon, h: gga.altitude + (gga.geoidSeparation ?? 0) };
  if (quality === 'uncertain') return { timeMs, position, quality, reason: 'no_fix', detail: `GGA fix quality ${gga.fixQuality} (RTK float)` };
  const doubts: string[] = [];
  if (gga.satellites !== undefined && gga.satellites < rules.minSatellites) doubts.push(`${gga.satellites} satellites < ${rules.minSatellites}`);
  if (gga.hdop !== undefined && gga.hdop > rules.maxHdop) doubts.push(`HDOP ${gga.hdop} > ${rules.maxHdop}`);
  const gst = epoch.gst;
  if (rules.maxSigmaMm !== undefined && gst?.sdLat !== undefined && gst.sdLon !== undefined) {
    const sigmaMm = Math.hypot(gst.sdLat, gst.sdLon) * 1000;
    if (sigmaMm > rules.maxSigmaMm) doubts.push(`GST horizontal sigma ${sigmaMm.toFixed(1)} mm > ${rules.maxSigmaMm}`);
  }
  if (doubts.length > 0) return { timeMs, position, quality: 'uncertain', reason: 'bridge_flag', detail: doubts.join('; ') };
  return { timeMs, position, quality: 'good' };
}
