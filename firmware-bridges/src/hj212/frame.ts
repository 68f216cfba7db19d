/**
 * HJ 212-2017 frame codec (DOMAIN.md §8): `##` + 4-digit length + data segment + CRC + CRLF.
 * Parse leniently (length as UTF-8 bytes or as characters, either CRC case, QN/Flag optional);
 * build strictly (UTF-8 byte length, upper-case CRC, fields in the standard's order).
 * Pure functions: parsing returns a discriminated result and never throws.
 */
import { hj212Crc, hj212CrcHex } from './crc.ts';

export const HJ212_FRAME_OVERHEAD = 2 + 4 + 4 + 2;
export const HJ212_MAX_DATA_LENGTH = 1024;

export type Hj212RejectReason =
  | 'bad_header' // no `##` + 4 digits
  | 'oversize' // data segment over the length limit
  | 'truncated' // a new frame started before this one ended
  | 'bad_length' // length field matches neither the byte nor the character count
  | 'bad_crc' // CRC missing, not hex, or wrong
  | 'malformed' // data segment fields unreadable (no CN, no CP, duplicated key)
  | 'unknown_logger' // MN not in the bridge profile
  | 'wrong_password' // PW does not match the logger's
  | 'unknown_command' // CN not a data upload this bridge handles
  | 'bad_datatime' // DataTime missing or not a valid time
  | 'bad_split' // PNUM/PNO inconsistent
  | 'split_timeout' // not all packets of a split upload arrived in time
  | 'garbage' // bytes outside any frame
  | 'garbage_connection' // a connection closed for sending too much garbage
  | 'idle_timeout' // a connection closed for sending no valid frame
  | 'too_many_connections';

export interface Hj212Packet {
  qn?: string;
  st?: string;
  cn: string;
  pw?: string;
  mn?: string;
  /** Flag bits V5…V0 D A; absent when the frame carries none. */
  flag?: number;
  pnum?: number;
  pno?: number;
  /** Text between `CP=&&` and the closing `&&`. */
  cp: string;
}

export type Hj212ParseResult =
  | { ok: true; packet: Hj212Packet; dataSegment: string }
  | { ok: false; reason: Hj212RejectReason; detail: string; dataSegment?: string };

export function flagAsksReply(flag: number | undefined): boolean {
  return flag !== undefined && (flag & 1) === 1;
}

export function flagIsSplit(flag: number | undefined): boolean {
  return flag !== undefined && (flag & 2) === 2;
}

/** Check one complete frame (`##` … `\r\n`) and split its data segment into fields. */
export function parseHj212Frame(frame: Uint8Array, maxDataLength = HJ212_MAX_DATA_LENGTH): Hj212ParseResult {
  const buf = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  if (buf.length < HJ212_FRAME_OVERHEAD || buf[0] !== 0x23 || buf[1] !== 0x23) {
    return { ok: false, reason: 'bad_header', detail: 'frame does not start with ##' };
  }
  const lengthText = buf.toString('latin1', 2, 6);
  if (!/^\d{4}$/.test(lengthText)) return { ok: false, reason: 'bad_header', detail: `length field ${JSON.stringify(lengthText)} is not 4 digits` };
  if (buf[buf.length - 2] !== 0x0d || buf[buf.length - 1] !== 0x0a) return { ok: false, reason: 'truncated', detail: 'frame does not end with CRLF' };
  const declared = Number(lengthText);
  const data = buf.subarray(6, buf.length - 6);
  if (declared > maxDataLength || data.length > maxDataLength) {
    return { ok: false, reason: 'oversize', detail: `data segment ${Math.max(declared, data.length)} > ${maxDataLength} bytes` };
  }
  const dataSegment = data.toString('utf8');
  if (declared !== data.length && declared !== dataSegment.length) {
    return { ok: false, reason: 'bad_length', detail: `length field ${declared}, data segment ${data.length} bytes`, dataSegment };
  }
  const crcText = buf.toString('latin1', buf.length - 6, buf.length - 2);
  if (!/^[0-9A-Fa-f]{4}$/.test(crcText)) return { ok: false, reason: 'bad_crc', detail: `CRC field ${JSON.stringify(crcText)} is not 4 hex digits`, dataSegment };
  const expected = hj212Crc(data);
  if (Number.parseInt(crcText, 16) !== expected) {
    return { ok: false, reason: 'bad_crc', detail: `CRC ${crcText.toUpperCase()} != computed ${expected.toString(16).toUpperCase().padStart(4, '0')}`, dataSegment };
  }
  const fields = parseDataSegment(dataSegment);
  if (!fields.ok) return { ...fields, dataSegment };
  return { ok: true, packet: fields.packet, dataSegment };
}

const HEAD_KEYS = new Set(['QN', 'ST', 'CN', 'PW', 'MN', 'Flag', 'PNUM', 'PNO']);

/** Split `QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;CP=&&…&&` into a packet. */
export function parseDataSegment(segment: string): { ok: true; packet: Hj212Packet } | { ok: false; reason: 'malformed'; detail: string } {
  const cpAt = segment.indexOf('CP=&&');
  if (cpAt < 0) return { ok: false, reason: 'malformed', detail: 'no CP=&&' };
  const cpEnd = segment.lastIndexOf('&&');
  if (cpEnd < cpAt + 5) return { ok: false, reason: 'malformed', detail: 'CP not closed with &&' };
  const tail = segment.slice(cpEnd + 2);
  if (tail.trim() !== '' && tail !== ';') return { ok: false, reason: 'malformed', detail: 'text after the closing && of CP' };
  const head = segment.slice(0, cpAt);
  const values = new Map<string, string>();
  for (const part of head.split(';')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) return { ok: false, reason: 'malformed', detail: `field without '=': ${part.slice(0, 32)}` };
    const key = part.slice(0, eq);
    if (!HEAD_KEYS.has(key)) continue; // lenient: unknown header fields are ignored
    if (values.has(key)) return { ok: false, reason: 'malformed', detail: `duplicated field ${key}` };
    values.set(key, part.slice(eq + 1));
  }
  const cn = values.get('CN');
  if (cn === undefined || !/^\d{4}$/.test(cn)) return { ok: false, reason: 'malformed', detail: 'CN missing or not 4 digits' };
  const packet: Hj212Packet = { cn, cp: segment.slice(cpAt + 5, cpEnd) };
  const qn = values.get('QN');
  if (qn !== undefined) packet.qn = qn;
  const st = values.get('ST');
  if (st !== undefined) packet.st = st;
  const pw = values.get('PW');
  if (pw !== undefined) packet.pw = pw;
  const mn = values.get('MN');
  if (mn !== undefined) packet.mn = mn;
  for (const [key, prop] of [['Flag', 'flag'], ['PNUM', 'pnum'], ['PNO', 'pno']] as const) {
    const text = values.get(key);
    if (text === undefined) continue;
    if (!/^\d{1,4}$/.test(text)) return { ok: false, reason: 'malformed', detail: `${key} is not a number` };
    packet[prop] = Number(text);
  }
  return { ok: true, packet };
}

/** Build the data segment strictly, fields in the standard's order. */
export function buildDataSegment(p: Hj212Packet): string {
  const parts: string[] = [];
  if (p.qn !== undefined) parts.push(`QN=${p.qn}`);
  if (p.st !== undefined) parts.push(`ST=${p.st}`);
  parts.push(`CN=${p.cn}`);
  if (p.pw !== undefined) parts.push(`PW=${p.pw}`);
  if (p.mn !== undefined) parts.push(`MN=${p.mn}`);
  if (p.flag !== undefined) parts.push(`Flag=${p.flag}`);
  if (p.pnum !== undefined) parts.push(`PNUM=${p.pnum}`);
  if (p.pno !== undefined) parts.push(`PNO=${p.pno}`);
  parts.push(`CP=&&${p.cp}&&`);
  return parts.join(';');
}

/** Wrap a data segment in a frame: UTF-8 byte length, upper-case CRC, CRLF. */
export function buildHj212Frame(dataSegment: string): string {
  const bytes = Buffer.from(dataSegment, 'utf8');
  if (bytes.length > 9999) throw new RangeError(`HJ 212 data segment of ${bytes.length} bytes does not fit the 4-digit length`);
  return `##${String(bytes.length).padStart(4, '0')}${dataSegment}${hj212CrcHex(bytes)}\r\n`;
}

export function buildHj212PacketFrame(p: Hj212Packet): string {
  return buildHj212Frame(buildDataSegment(p));
}

/** QN as the standard writes it: YYYYMMDDhhmmsszzz in the given UTC offset. */
export function formatQn(epochMs: number, utcOffsetMinutes: number): string {
  const d = new Date(epochMs + utcOffsetMinutes * 60_000);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}${p(d.getUTCMilliseconds(), 3)}`;
}

/** Parse `YYYYMMDDhhmmss[zzz]` in the given UTC offset; undefined when it is not a real time. */
export function parseHj212Time(text: string, utcOffsetMinutes: number): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})?$/.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  const ms = m[7] === undefined ? 0 : Number(m[7]);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return undefined;
  const utc = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const check = new Date(utc);
  if (check.getUTCDate() !== d || check.getUTCMonth() !== mo - 1) return undefined; // 31 February
  return utc - utcOffsetMinutes * 60_000;
}

/** CP content as name → value: items split by `;`, fields by `,`, first `=` separates. */
export function parseCp(cp: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of cp.split(';')) {
    for (const field of item.split(',')) {
      const eq = field.indexOf('=');
      if (eq <= 0) continue;
      out.set(field.slice(0, eq), field.slice(eq + 1));
    }
  }
  return out;
}
