/** An OPC-UA variable's value → engineering value with quality (pipeline steps 2–5 of transform.ts). */
import type { AlarmLimit } from '@safeloop/contract';
import { exceededLevels } from './limits.ts';
import type { OpcuaPointDef } from './schema.ts';
import { rangeVerdict, scaleValue, type DecodedPoint } from './transform.ts';

const INTEGER_TYPES = new Set(['SByte', 'Byte', 'Int16', 'UInt16', 'Int32', 'UInt32']);

/**
 * `statusGood` is the driver's reading of the OPC-UA StatusCode; a bad status gives quality bad,
 * reason `exception`, value null. A value of the wrong JavaScript type gives bad `decode_error`.
 * Limits default to the point's own; pass the effective limits to honour instance overrides.
 */
export function decodeOpcuaValue(
  point: OpcuaPointDef,
  value: unknown,
  statusGood: boolean,
  opts: { limits?: readonly AlarmLimit[] } = {},
): Omit<DecodedPoint, 'raw'> {
  const base = { pointId: point.id, ...(point.unit === undefined ? {} : { unit: point.unit }), exceeded: [] };
  if (!statusGood) return { ...base, value: null, quality: 'bad', reason: 'exception', detail: 'OPC-UA status is not good' };
  const wrong = (expected: string): Omit<DecodedPoint, 'raw'> => ({
    ...base,
    value: null,
    quality: 'bad',
    reason: 'decode_error',
    detail: `expected ${expected} for ${point.dataType}, got ${typeof value === 'number' ? String(value) : typeof value}`,
  });
  switch (point.dataType) {
    case 'Boolean':
      return typeof value === 'boolean' ? { ...base, value, quality: 'good' } : wrong('a boolean');
    case 'String':
      return typeof value === 'string' ? { ...base, value, quality: 'good' } : wrong('a string');
    case 'SByte':
    case 'Byte':
    case 'Int16':
    case 'UInt16':
    case 'Int32':
    case 'UInt32':
    case 'Float':
    case 'Double': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return wrong('a finite number');
      if (INTEGER_TYPES.has(point.dataType) && !Number.isInteger(value)) return wrong('an integer');
      const kind = point.dataType === 'Float' ? 'float32' : point.dataType === 'Double' ? 'float64' : 'integer';
      const eng = scaleValue(value, point.scale, point.offset, kind);
      return {
        ...base,
        value: eng,
        ...rangeVerdict(eng, point.range, point.outOfRange),
        exceeded: exceededLevels(eng, opts.limits ?? point.limits),
      };
    }
  }
}
