/**
 * The units a profile may use: symbol → UNECE Recommendation 20 common code plus Chinese and English
 * names. A profile naming a unit outside this table fails validation. `unece` is null where Rec 20
 * has no code for the quantity (e.g. LEL·m, the path-integrated concentration of open-path detectors).
 */
export interface UnitInfo {
  readonly unece: string | null;
  readonly zh: string;
  readonly en: string;
}

export const UNITS = {
  '%LEL': { unece: 'P1', zh: '爆炸下限百分比', en: 'percent of lower explosive limit' },
  '%VOL': { unece: 'VP', zh: '体积百分比', en: 'percent by volume' },
  '%CH4': { unece: 'VP', zh: '甲烷体积百分比', en: 'percent methane by volume' },
  'LEL·m': { unece: null, zh: '爆炸下限·米', en: 'LEL metre (open path)' },
  ppm: { unece: '59', zh: '百万分之一 (µmol/mol)', en: 'part per million' },
  'mg/m3': { unece: 'GP', zh: '毫克每立方米', en: 'milligram per cubic metre' },
  m: { unece: 'MTR', zh: '米', en: 'metre' },
  mm: { unece: 'MMT', zh: '毫米', en: 'millimetre' },
  '°C': { unece: 'CEL', zh: '摄氏度', en: 'degree Celsius' },
  MPa: { unece: 'MPA', zh: '兆帕', en: 'megapascal' },
  kPa: { unece: 'KPA', zh: '千帕', en: 'kilopascal' },
  'mm/h': { unece: 'H67', zh: '毫米每小时', en: 'millimetre per hour' },
  'm/s': { unece: 'MTS', zh: '米每秒', en: 'metre per second' },
  deg: { unece: 'DD', zh: '度', en: 'degree (angle)' },
  '%': { unece: 'P1', zh: '百分比', en: 'percent' },
  '%RH': { unece: 'P1', zh: '相对湿度', en: 'percent relative humidity' },
  'm3/h': { unece: 'MQH', zh: '立方米每小时', en: 'cubic metre per hour' },
  mA: { unece: '4K', zh: '毫安', en: 'milliampere' },
  V: { unece: 'VLT', zh: '伏特', en: 'volt' },
  Hz: { unece: 'HTZ', zh: '赫兹', en: 'hertz' },
  h: { unece: 'HUR', zh: '小时', en: 'hour' },
  s: { unece: 'SEC', zh: '秒', en: 'second' },
} as const satisfies Record<string, UnitInfo>;

export type UnitSymbol = keyof typeof UNITS;

export function isKnownUnit(symbol: string): symbol is UnitSymbol {
  return Object.hasOwn(UNITS, symbol);
}
