/**
 * Suspicious-reading heuristics for commissioning: given several live reads of one point, say what
 * a technician should look at before signing off. Pure functions over the decoded samples and the
 * raw registers they came from.
 *
 * - `no_reading`   every read failed (bad quality) — wiring, address, unit id or profile
 * - `quality`      some reads bad / uncertain (device status, sentinel, comm errors)
 * - `out_of_range` a value outside the measuring range (量程)
 * - `byte_order`   the configured byte/word order gives implausible values while another order
 *                  gives plausible ones for every read (e.g. CDAB device configured as ABCD)
 * - `stuck_zero`   exactly 0 on every read of an analog point (disconnected loop, dead cell)
 * - `constant`     the same non-zero value on every read of an analog point (frozen transmitter)
 */
import type { Quality, ReasonCode } from '@safeloop/contract';
import type { ByteOrder, ModbusValueType, Range } from '@safeloop/device-profiles';
import { decodeRaw } from '@safeloop/device-profiles/register-codec';

export type FlagKind = 'no_reading' | 'quality' | 'out_of_range' | 'byte_order' | 'stuck_zero' | 'constant';

export interface PointFlag {
  kind: FlagKind;
  severity: 'error' | 'warning';
  message: string;
  /** For byte_order: the order that decodes plausibly. */
  suggestedOrder?: ByteOrder;
}

export interface PointSample {
  value: number | boolean | string | null;
  quality: Quality;
  reason?: ReasonCode;
  detail?: string;
  raw: readonly number[];
}

/** What the heuristics need to know about a point (Modbus fields optional, so OPC-UA points fit). */
export interface PointFacts {
  id: string;
  unit?: string;
  range?: Range;
  /** Modbus raw type, or a numeric/non-numeric marker for OPC-UA. */
  type?: ModbusValueType;
  numeric: boolean;
  table?: 'holding' | 'input' | 'coil' | 'discrete';
  order?: ByteOrder;
  scale?: number;
  offset?: number;
}

export interface PointCheck {
  /** true/false when every numeric value is inside/outside the range; null without a range or value. */
  inRange: boolean | null;
  flags: PointFlag[];
}

export const ALL_ORDERS: readonly ByteOrder[] = ['ABCD', 'CDAB', 'BADC', 'DCBA'];

/** An analog measurement: numeric, with a unit (state points and counters without a unit are not). */
export function isAnalog(p: PointFacts): boolean {
  return p.numeric && p.unit !== undefined && p.type !== 'bool' && p.type !== 'bit' && p.type !== 'string';
}

/**
 * Plausible: finite, not a vanishing non-zero float (what a swapped exponent byte produces), and
 * inside the range — with 5 % of the span to spare unless `strict` (alternatives must fit exactly).
 */
export function plausible(value: number, p: Pick<PointFacts, 'range' | 'type'>, strict = false): boolean {
  if (!Number.isFinite(value)) return false;
  const span = p.range ? Math.max(Math.abs(p.range.max - p.range.min), Number.MIN_VALUE) : 1;
  if ((p.type === 'float32' || p.type === 'float64') && value !== 0 && Math.abs(value) < Math.max(1e-20, span * 1e-9)) return false;
  if (p.range) {
    const slack = strict ? 0 : span * 0.05;
    return value >= p.range.min - slack && value <= p.range.max + slack;
  }
  return Math.abs(value) < 1e9;
}

function decodeWith(p: PointFacts, raw: readonly number[], order: ByteOrder): number | undefined {
  if (p.type === undefined || p.table === undefined) return undefined;
  const v = decodeRaw({ table: p.table, type: p.type, order, bit: undefined }, raw);
  if (typeof v !== 'number') return undefined;
  return v * (p.scale ?? 1) + (p.offset ?? 0);
}

/** Orders that differ for this type (16-bit values only honour the byte swap). */
function candidateOrders(p: PointFacts): ByteOrder[] {
  const configured = p.order ?? 'ABCD';
  const sixteen = p.type === 'int16' || p.type === 'uint16';
  const list = sixteen ? ALL_ORDERS.filter((o) => (o === 'BADC' || o === 'DCBA') !== (configured === 'BADC' || configured === 'DCBA')) : ALL_ORDERS.filter((o) => o !== configured);
  return sixteen ? list.slice(0, 1) : list;
}

/**
 * The order that makes every sample plausible when the configured one does not, or undefined.
 * Only for multi-byte numeric Modbus points with raw registers.
 */
export function guessByteOrder(p: PointFacts, samples: readonly PointSample[]): ByteOrder | undefined {
  if (!p.numeric || p.type === undefined || p.table === undefined || p.table === 'coil' || p.table === 'discrete') return undefined;
  if (p.type === 'bool' || p.type === 'bit' || p.type === 'string') return undefined;
  const raws = samples.map((s) => s.raw).filter((r) => r.length > 0);
  if (raws.length === 0) return undefined;
  const configured = p.order ?? 'ABCD';
  const configuredOk = raws.every((r) => {
    const v = decodeWith(p, r, configured);
    return v !== undefined && plausible(v, p);
  });
  if (configuredOk) return undefined;
  // All-zero registers decode to 0 in every order: they prove nothing about the order.
  if (raws.every((r) => r.every((w) => w === 0))) return undefined;
  return candidateOrders(p).find((o) =>
    raws.every((r) => {
      const v = decodeWith(p, r, o);
      return v !== undefined && plausible(v, p, true);
    }),
  );
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

/** Check several reads of one point. `constantAfter`: reads needed before "constant" is claimed (default 3). */
export function checkPoint(p: PointFacts, samples: readonly PointSample[], opts: { constantAfter?: number } = {}): PointCheck {
  const flags: PointFlag[] = [];
  const n = samples.length;
  const bad = samples.filter((s) => s.quality === 'bad');
  const numbers = samples.filter((s) => typeof s.value === 'number' && s.quality !== 'bad').map((s) => s.value as number);

  const order = guessByteOrder(p, samples);
  if (order !== undefined) {
    const example = samples.find((s) => s.raw.length > 0);
    const shown = example ? decodeWith(p, example.raw, order) : undefined;
    flags.push({
      kind: 'byte_order',
      severity: 'error',
      suggestedOrder: order,
      message: `implausible with byte order ${p.order ?? 'ABCD'}; ${order} reads ${shown === undefined ? 'plausibly' : `${fmt(shown)}${p.unit ? ` ${p.unit}` : ''}`} — check the device's word/byte order setting or use a profile with order ${order}`,
    });
  }

  if (n > 0 && bad.length === n) {
    const first = bad[0];
    flags.push({ kind: 'no_reading', severity: 'error', message: `no good read in ${n}: ${first?.reason ?? 'bad'}${first?.detail ? ` (${first.detail})` : ''}` });
  } else if (bad.length > 0) {
    flags.push({ kind: 'quality', severity: 'error', message: `${bad.length} of ${n} reads bad: ${bad[0]?.reason ?? 'bad'}${bad[0]?.detail ? ` (${bad[0].detail})` : ''}` });
  }
  const uncertain = samples.filter((s) => s.quality === 'uncertain' && s.reason !== 'out_of_range');
  if (uncertain.length > 0) {
    const why = [uncertain[0]?.reason, uncertain[0]?.detail].filter((x) => x !== undefined && x !== '').join(': ');
    flags.push({ kind: 'quality', severity: 'warning', message: `${uncertain.length} of ${n} reads uncertain${why ? ` (${why})` : ''}` });
  }

  let inRange: boolean | null = null;
  if (p.range && numbers.length > 0) {
    const range = p.range;
    const outside = numbers.filter((v) => v < range.min || v > range.max);
    inRange = outside.length === 0;
    if (outside.length > 0) {
      flags.push({ kind: 'out_of_range', severity: 'error', message: `${fmt(outside[0] as number)} outside measuring range ${range.min}..${range.max}${outside.length > 1 ? ` (${outside.length} of ${numbers.length} reads)` : ''}` });
    }
  }

  if (isAnalog(p) && numbers.length === n && n >= 2) {
    const first = numbers[0] as number;
    const same = numbers.every((v) => v === first);
    if (same && first === 0) {
      flags.push({ kind: 'stuck_zero', severity: 'warning', message: `exactly 0 on all ${n} reads — a live transmitter rarely reads a flat zero: check the loop/cell (or confirm with a bump test)` });
    } else if (same && n >= (opts.constantAfter ?? 3) && order === undefined) {
      flags.push({ kind: 'constant', severity: 'warning', message: `the same value ${fmt(first)} on all ${n} reads — frozen transmitter or held output?` });
    }
  }
  return { inRange, flags };
}
