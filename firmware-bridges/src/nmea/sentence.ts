/**
 * NMEA 0183 sentence codec (DOMAIN.md §10): `$` + talker (2) + type (3) + `,` fields + `*` + 2 hex
 * checksum. Checksum = XOR of every character strictly between `$` and `*`. Only GGA, RMC and GST are
 * decoded; parsing returns a discriminated result and never throws.
 */

export interface GgaSentence {
  type: 'GGA';
  talker: string;
  /** UTC milliseconds since midnight. */
  timeOfDayMs: number | undefined;
  lat: number | undefined;
  lon: number | undefined;
  fixQuality: number;
  satellites: number | undefined;
  hdop: number | undefined;
  /** Altitude above mean sea level, m. */
  altitude: number | undefined;
  /** Geoid separation (ellipsoid − geoid), m. */
  geoidSeparation: number | undefined;
}

export interface RmcSentence {
  type: 'RMC';
  talker: string;
  timeOfDayMs: number | undefined;
  valid: boolean;
  lat: number | undefined;
  lon: number | undefined;
  /** UTC date as epoch ms of its midnight. */
  dateMs: number | undefined;
}

export interface GstSentence {
  type: 'GST';
  talker: string;
  timeOfDayMs: number | undefined;
  /** 1-sigma errors in metres. */
  sdLat: number | undefined;
  sdLon: number | undefined;
  sdAlt: number | undefined;
}

export type NmeaSentence = GgaSentence | RmcSentence | GstSentence;

export type NmeaParseResult =
  | { ok: true; sentence: NmeaSentence }
  | { ok: false; reason: 'bad_checksum' | 'malformed' | 'unsupported'; detail: string };

export function nmeaChecksum(body: string): number {
  let x = 0;
  for (let i = 0; i < body.length; i += 1) x ^= body.charCodeAt(i) & 0xff;
  return x;
}

/** `$` + body + `*` + checksum, as a receiver writes it (without CRLF). */
export function buildNmeaSentence(body: string): string {
  return `$${body}*${nmeaChecksum(body).toString(16).toUpperCase().padStart(2, '0')}`;
}

const SENTENCE = /^\$([A-Z0-9]{2})([A-Z0-9]{3}),([\x20-\x7e]*)\*([0-9A-Fa-f]{2})$/;

export function parseNmeaSentence(line: string): NmeaParseResult {
  const text = line.trim();
  if (!text.startsWith('$')) return { ok: false, reason: 'malformed', detail: 'does not start with $' };
  const star = text.lastIndexOf('*');
  if (star < 0) return { ok: false, reason: 'bad_checksum', detail: 'no checksum' };
  const m = SENTENCE.exec(text);
  if (!m) return { ok: false, reason: 'malformed', detail: 'not $TTSSS,…*HH' };
  const body = text.slice(1, star);
  const expected = nmeaChecksum(body);
  if (Number.parseInt(m[4] ?? '', 16) !== expected) {
    return { ok: false, reason: 'bad_checksum', detail: `checksum ${m[4]} != computed ${expected.toString(16).toUpperCase().padStart(2, '0')}` };
  }
  const talker = m[1] ?? '';
  const type = m[2] ?? '';
  const f = (m[3] ?? '').split(',');
  switch (type) {
    case 'GGA':
      return parseGga(talker, f);
    case 'RMC':
      return parseRmc(talker, f);
    case 'GST':
      return parseGst(talker, f);
    default:
      return { ok: false, reason: 'unsupported', detail: `sentence ${type}` };
  }
}

type Parsed = NmeaParseResult;
const bad = (detail: string): Parsed => ({ ok: false, reason: 'malformed', detail });

function parseGga(talker: string, f: string[]): Parsed {
  if (f.length < 9) return bad(`GGA has ${f.length} fields`);
  const time = parseTimeOfDay(f[0] ?? '');
  if (time === null) return bad('GGA time');
  const fix = f[5] ?? '';
  if (!/^\d$/.test(fix)) return bad('GGA fix quality');
  const pos = parseLatLon(f[1] ?? '', f[2] ?? '', f[3] ?? '', f[4] ?? '');
  if (pos === null) return bad('GGA position');
  const sats = optNumber(f[6] ?? '', /^\d{1,2}$/);
  const hdop = optNumber(f[7] ?? '');
  const alt = optNumber(f[8] ?? '');
  const sep = optNumber(f[10] ?? '');
  if (sats === null || hdop === null || alt === null || sep === null) return bad('GGA satellites/HDOP/altitude');
  return {
    ok: true,
    sentence: { type: 'GGA', talker, timeOfDayMs: time, lat: pos?.lat, lon: pos?.lon, fixQuality: Number(fix), satellites: sats, hdop, altitude: alt, geoidSeparation: sep },
  };
}

function parseRmc(talker: string, f: string[]): Parsed {
  if (f.length < 9) return bad(`RMC has ${f.length} fields`);
  const time = parseTimeOfDay(f[0] ?? '');
  if (time === null) return bad('RMC time');
  const status = f[1] ?? '';
  if (status !== 'A' && status !== 'V') return bad('RMC status');
  const pos = parseLatLon(f[2] ?? '', f[3] ?? '', f[4] ?? '', f[5] ?? '');
  if (pos === null) return bad('RMC position');
  const date = parseDate(f[8] ?? '');
  if (date === null) return bad('RMC date');
  return { ok: true, sentence: { type: 'RMC', talker, timeOfDayMs: time, valid: status === 'A', lat: pos?.lat, lon: pos?.lon, dateMs: date } };
}

function parseGst(talker: string, f: string[]): Parsed {
  if (f.length < 8) return bad(`GST has ${f.length} fields`);
  const time = parseTimeOfDay(f[0] ?? '');
  const sdLat = optNumber(f[5] ?? '');
  const sdLon = optNumber(f[6] ?? '');
  const sdAlt = optNumber(f[7] ?? '');
  if (time === null || sdLat === null || sdLon === null || sdAlt === null) return bad('GST fields');
  return { ok: true, sentence: { type: 'GST', talker, timeOfDayMs: time, sdLat, sdLon, sdAlt } };
}

/** undefined for an empty field, null for an invalid one. */
function optNumber(text: string, pattern = /^-?\d+(\.\d+)?$/): number | undefined | null {
  if (text === '') return undefined;
  return pattern.test(text) ? Number(text) : null;
}

function parseTimeOfDay(text: string): number | undefined | null {
  if (text === '') return undefined;
  const m = /^(\d{2})(\d{2})(\d{2})(\.\d{1,6})?$/.exec(text);
  if (!m) return null;
  const h = Number(m[1]);
  const mi = Number(m[2]);
  const s = Number(m[3]);
  if (h > 23 || mi > 59 || s > 60) return null;
  const frac = m[4] === undefined ? 0 : Math.round(Number(m[4]) * 1000);
  return ((h * 60 + mi) * 60 + s) * 1000 + frac;
}

function parseDate(text: string): number | undefined | null {
  if (text === '') return undefined;
  const m = /^(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (!m) return null;
  const d = Number(m[1]);
  const mo = Number(m[2]);
  const yy = Number(m[3]);
  const y = yy < 80 ? 2000 + yy : 1900 + yy; // two-digit year, pivot 1980
  const t = Date.UTC(y, mo - 1, d);
  const check = new Date(t);
  if (mo < 1 || mo > 12 || check.getUTCDate() !== d || check.getUTCMonth() !== mo - 1) return null;
  return t;
}

/** `ddmm.mmmm`/`dddmm.mmmm` + hemisphere → signed degrees; undefined if all empty, null if invalid. */
function parseLatLon(lat: string, ns: string, lon: string, ew: string): { lat: number; lon: number } | undefined | null {
  if (lat === '' && ns === '' && lon === '' && ew === '') return undefined;
  const la = /^(\d{2})(\d{2}(\.\d{1,10})?)$/.exec(lat);
  const lo = /^(\d{3})(\d{2}(\.\d{1,10})?)$/.exec(lon);
  if (!la || !lo || (ns !== 'N' && ns !== 'S') || (ew !== 'E' && ew !== 'W')) return null;
  const laMin = Number(la[2]);
  const loMin = Number(lo[2]);
  if (laMin >= 60 || loMin >= 60) return null;
  const latDeg = Number(la[1]) + laMin / 60;
  const lonDeg = Number(lo[1]) + loMin / 60;
  if (latDeg > 90 || lonDeg > 180) return null;
  return { lat: ns === 'S' ? -latDeg : latDeg, lon: ew === 'W' ? -lonDeg : lonDeg };
}

/** Degrees → `ddmm.mmmmmmm` / `dddmm.mmmmmmm` with hemisphere (for simulators and tests). */
export function formatLatLon(deg: number, isLat: boolean, minuteDecimals = 7): [string, string] {
  const hemi = isLat ? (deg < 0 ? 'S' : 'N') : deg < 0 ? 'W' : 'E';
  const abs = Math.abs(deg);
  let d = Math.floor(abs);
  let minutes = Number(((abs - d) * 60).toFixed(minuteDecimals));
  if (minutes >= 60) {
    d += 1;
    minutes -= 60;
  }
  const minText = minutes.toFixed(minuteDecimals).padStart(minuteDecimals + 3, '0');
  return [`${String(d).padStart(isLat ? 2 : 3, '0')}${minText}`, hemi];
}
