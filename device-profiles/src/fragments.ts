/**
 * Small data fragments for shapes that repeat across profiles. Each returns plain data (no functions
 * end up inside a profile), so a profile stays serialisable and every tier can read it.
 */
import type { AlarmLimitInput } from '@safeloop/contract';
import type { LocalizedText, ModbusPointInput, StatusRegisterInput } from './schema.ts';
import type { UnitSymbol } from './units.ts';

/** A gas kind with its unit, measuring range and GB/T 50493-2019 alarm set-points (DOMAIN.md §3.1). */
export interface GasKind {
  name: LocalizedText;
  unit: UnitSymbol;
  range: { min: number; max: number };
  limits: AlarmLimitInput[];
}

const high = (level: AlarmLimitInput['level'], value: number): AlarmLimitInput => ({ level, direction: 'high', value });
const low = (level: AlarmLimitInput['level'], value: number): AlarmLimitInput => ({ level, direction: 'low', value });

export const GASES = {
  combustible: { name: { zh: '可燃气体', en: 'Combustible gas' }, unit: '%LEL', range: { min: 0, max: 100 }, limits: [high('GAS_1', 25), high('GAS_2', 50)] },
  openPath: { name: { zh: '线型可燃气体', en: 'Open-path combustible gas' }, unit: 'LEL·m', range: { min: 0, max: 5 }, limits: [high('GAS_1', 1), high('GAS_2', 2)] },
  h2s: { name: { zh: '硫化氢', en: 'Hydrogen sulfide' }, unit: 'mg/m3', range: { min: 0, max: 100 }, limits: [high('GAS_1', 10), high('GAS_2', 20)] },
  co: { name: { zh: '一氧化碳', en: 'Carbon monoxide' }, unit: 'mg/m3', range: { min: 0, max: 300 }, limits: [high('GAS_1', 20), high('GAS_2', 40)] },
  nh3: { name: { zh: '氨气', en: 'Ammonia' }, unit: 'mg/m3', range: { min: 0, max: 100 }, limits: [high('GAS_1', 20), high('GAS_2', 40)] },
  cl2: { name: { zh: '氯气', en: 'Chlorine' }, unit: 'mg/m3', range: { min: 0, max: 10 }, limits: [high('GAS_1', 1), high('GAS_2', 2)] },
  o2: { name: { zh: '氧气', en: 'Oxygen' }, unit: '%VOL', range: { min: 0, max: 25 }, limits: [high('GAS_1', 23.5), low('GAS_2', 19.5)] },
} as const satisfies Record<string, GasKind>;

/**
 * The status codes most gas detectors and controllers use for a channel. The device's own alarm
 * states leave quality good (the value speaks); fault, calibration, warm-up and inhibit qualify it.
 */
export function gasChannelStatusCodes(): StatusRegisterInput['codes'] {
  return [
    { value: 0, state: 'normal', label: { zh: '正常', en: 'normal' } },
    { value: 1, state: 'alarm', label: { zh: '一级报警', en: 'level 1 alarm' } },
    { value: 2, state: 'alarm', label: { zh: '二级报警', en: 'level 2 alarm' } },
    { value: 3, state: 'fault', label: { zh: '故障', en: 'fault' } },
    { value: 4, state: 'calibration', label: { zh: '标定', en: 'calibration' } },
    { value: 5, state: 'warmup', label: { zh: '预热', en: 'warm-up' } },
    { value: 6, state: 'maintenance', label: { zh: '维护屏蔽', en: 'inhibited for maintenance' } },
  ];
}

export interface GasChannelOptions {
  /** Point id of the concentration; the status register is `${id}Status`. */
  id: string;
  gas: GasKind;
  table: 'holding' | 'input';
  valueAddress: number;
  /** Raw register type and scale: e.g. int16 × 0.1 for 0.0–100.0 %LEL. */
  type?: 'int16' | 'uint16' | 'float32';
  scale?: number;
  order?: 'ABCD' | 'CDAB' | 'BADC' | 'DCBA';
  statusAddress?: number;
  /** Name prefix, e.g. { zh: '通道1 ', en: 'Channel 1 ' }. */
  prefix?: LocalizedText;
  sentinels?: number[];
}

/** One gas measurement channel: a concentration point and (optionally) its channel status register. */
export function gasChannel(o: GasChannelOptions): { points: ModbusPointInput[]; status: StatusRegisterInput[] } {
  const prefix = o.prefix ?? { zh: '', en: '' };
  const point: ModbusPointInput = {
    id: o.id,
    name: { zh: `${prefix.zh}${o.gas.name.zh}浓度`, en: `${prefix.en}${o.gas.name.en} concentration` },
    table: o.table,
    address: o.valueAddress,
    type: o.type ?? 'int16',
    ...(o.scale === undefined ? {} : { scale: o.scale }),
    ...(o.order === undefined ? {} : { order: o.order }),
    unit: o.gas.unit,
    range: { ...o.gas.range },
    limits: o.gas.limits.map((l) => ({ ...l })),
    ...(o.sentinels === undefined ? {} : { sentinels: [...o.sentinels] }),
  };
  const status: StatusRegisterInput[] =
    o.statusAddress === undefined
      ? []
      : [
          {
            id: `${o.id}Status`,
            name: { zh: `${prefix.zh}通道状态`, en: `${prefix.en}channel status` },
            table: o.table,
            address: o.statusAddress,
            codes: gasChannelStatusCodes(),
            appliesTo: [o.id],
          },
        ];
  return { points: [point], status };
}

/**
 * One node of an in-place inclinometer string: tilt about axes A and B (deg) and the derived
 * displacement along A and B (mm), four float32 values at `base`, `base+2`, `base+4`, `base+6`.
 */
export function inclinometerNode(n: number, base: number, order: GasChannelOptions['order'] = 'ABCD'): ModbusPointInput[] {
  const node = { zh: `节点${n}`, en: `Node ${n}` };
  const tilt = (axis: 'A' | 'B', address: number): ModbusPointInput => ({
    id: `node${n}Tilt${axis}`,
    name: { zh: `${node.zh} ${axis}向倾角`, en: `${node.en} tilt ${axis}` },
    table: 'input',
    address,
    type: 'float32',
    ...(order === undefined ? {} : { order }),
    unit: 'deg',
    range: { min: -15, max: 15 },
  });
  const displacement = (axis: 'A' | 'B', address: number): ModbusPointInput => ({
    id: `node${n}Disp${axis}`,
    name: { zh: `${node.zh} ${axis}向位移`, en: `${node.en} displacement ${axis}` },
    table: 'input',
    address,
    type: 'float32',
    ...(order === undefined ? {} : { order }),
    unit: 'mm',
    range: { min: -500, max: 500 },
  });
  return [tilt('A', base), tilt('B', base + 2), displacement('A', base + 4), displacement('B', base + 6)];
}
