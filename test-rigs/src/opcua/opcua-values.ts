/** Engineering value → the OPC-UA variant a profile's point expects (scale/offset reversed). */
import { DataType, Variant } from 'node-opcua';
import type { OpcuaPointDef, PointValue } from '../profile-access.ts';

const INTEGER_BOUNDS: Partial<Record<OpcuaPointDef['dataType'], readonly [number, number]>> = {
  SByte: [-128, 127],
  Byte: [0, 255],
  Int16: [-0x8000, 0x7fff],
  UInt16: [0, 0xffff],
  Int32: [-0x80000000, 0x7fffffff],
  UInt32: [0, 0xffffffff],
};

export function opcuaDataType(dataType: OpcuaPointDef['dataType']): DataType {
  switch (dataType) {
    case 'Boolean':
      return DataType.Boolean;
    case 'SByte':
      return DataType.SByte;
    case 'Byte':
      return DataType.Byte;
    case 'Int16':
      return DataType.Int16;
    case 'UInt16':
      return DataType.UInt16;
    case 'Int32':
      return DataType.Int32;
    case 'UInt32':
      return DataType.UInt32;
    case 'Float':
      return DataType.Float;
    case 'Double':
      return DataType.Double;
    case 'String':
      return DataType.String;
  }
}

/** The raw value the server exposes for an engineering value: (value − offset) ÷ scale, typed. */
export function toRawOpcuaValue(point: OpcuaPointDef, value: PointValue): boolean | number | string {
  switch (point.dataType) {
    case 'Boolean':
      return value === true || (typeof value === 'number' && value !== 0);
    case 'String':
      return String(value);
    case 'Float':
    case 'Double':
      return (Number(value) - point.offset) / point.scale;
    case 'SByte':
    case 'Byte':
    case 'Int16':
    case 'UInt16':
    case 'Int32':
    case 'UInt32': {
      const [lo, hi] = INTEGER_BOUNDS[point.dataType] ?? [0, 0];
      const raw = Math.round((Number(value) - point.offset) / point.scale);
      return Math.min(hi, Math.max(lo, Number.isFinite(raw) ? raw : 0));
    }
  }
}

export function toVariant(point: OpcuaPointDef, value: PointValue): Variant {
  return new Variant({ dataType: opcuaDataType(point.dataType), value: toRawOpcuaValue(point, value) });
}
