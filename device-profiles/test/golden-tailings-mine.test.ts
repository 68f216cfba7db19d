/** Golden vectors for tailings-pond and mine profiles. */
import { goldenModbus, holding, input, type Row } from './golden-helpers.ts';

goldenModbus('generic-pond-radar-level', [
  { name: 'water level 256.75 m, air gap 3.5 m', blocks: [input(0, [0x4380, 0x6000, 0x4060, 0, 75, 0])], expect: [['waterLevel', 256.75], ['airGap', 3.5], ['echoStrength', 75]] },
  {
    name: 'lost echo: level and air gap bad, echo strength still good',
    blocks: [input(0, [0x4380, 0x6000, 0x4060, 0, 2, 0b001])],
    expect: [['waterLevel', 256.75, 'bad', 'sensor_fault'], ['airGap', 3.5, 'bad', 'sensor_fault'], ['echoStrength', 2]],
  },
  {
    name: 'in adjustment: uncertain calibration',
    blocks: [input(0, [0x4380, 0x6000, 0x4060, 0, 75, 0b100])],
    expect: [['waterLevel', 256.75, 'uncertain', 'calibration'], ['airGap', 3.5, 'uncertain', 'calibration'], ['echoStrength', 75]],
  },
  { name: 'air gap over range', blocks: [input(0, [0x4380, 0x6000, 0x41f8, 0, 75, 0])], expect: [['waterLevel', 256.75], ['airGap', 31, 'uncertain', 'out_of_range'], ['echoStrength', 75]] },
]);

goldenModbus('generic-piezometer', [
  {
    name: 'depth 12.5 m, pore pressure 98.1 kPa, 2500 Hz (float32 low word first)',
    blocks: [holding(0, [0x0000, 0x4148, 0x3333, 0x42c4, 0x4000, 0x451c, 185, 0])],
    expect: [['phreaticDepth', 12.5], ['porePressure', 98.1], ['frequency', 2500], ['temperature', 18.5]],
  },
  {
    name: 'open wire: the vibrating-wire readings are bad, temperature is not',
    blocks: [holding(0, [0x0000, 0x4148, 0x3333, 0x42c4, 0x0000, 0x4396, 185, 1])],
    expect: [['phreaticDepth', 12.5, 'bad', 'sensor_fault'], ['porePressure', 98.1, 'bad', 'sensor_fault'], ['frequency', 300, 'bad', 'sensor_fault'], ['temperature', 18.5]],
  },
  {
    name: 'frequency below the wire range',
    blocks: [holding(0, [0x0000, 0x4148, 0x3333, 0x42c4, 0x0000, 0x4396, 185, 0])],
    expect: [['phreaticDepth', 12.5], ['porePressure', 98.1], ['frequency', 300, 'uncertain', 'out_of_range'], ['temperature', 18.5]],
  },
]);

goldenModbus('generic-rain-gauge', [
  { name: '55.3 mm in 24 h is 暴雨 (H)', blocks: [input(0, [125, 553, 0, 12345, 0])], expect: [['intensity', 12.5], ['rain24h', 55.3, 'good', undefined, ['H']], ['rainTotal', 1234.5]] },
  { name: '100 mm in 24 h reaches HH; total above 65535 raw', blocks: [input(0, [300, 1000, 0x0001, 0x0002, 0])], expect: [['intensity', 30], ['rain24h', 100, 'good', undefined, ['H', 'HH']], ['rainTotal', 6553.8]] },
  { name: 'bucket stuck: fault', blocks: [input(0, [0, 0, 0, 10, 1])], expect: [['intensity', 0, 'bad', 'sensor_fault'], ['rain24h', 0, 'bad', 'sensor_fault'], ['rainTotal', 1, 'bad', 'sensor_fault']] },
  { name: 'heater fault: uncertain maintenance', blocks: [input(0, [0, 0, 0, 10, 2])], expect: [['intensity', 0, 'uncertain', 'maintenance'], ['rain24h', 0, 'uncertain', 'maintenance'], ['rainTotal', 1, 'uncertain', 'maintenance']] },
  { name: 'intensity over range', blocks: [input(0, [3010, 10, 0, 10, 0])], expect: [['intensity', 301, 'uncertain', 'out_of_range'], ['rain24h', 1], ['rainTotal', 1]] },
]);

function inclinometerRows(node1: Row[], faultNode?: number): Row[] {
  const rows: Row[] = [...node1];
  for (const n of [2, 3, 4]) for (const q of ['TiltA', 'TiltB', 'DispA', 'DispB']) rows.push([`node${n}${q}`, 0]);
  if (faultNode === undefined) return rows;
  return rows.map((r) => (r[0].startsWith(`node${faultNode}`) ? [r[0], r[1], 'bad', 'sensor_fault', r[4] ?? []] : r));
}
const node1Words = [0x3fa0, 0, 0xbf00, 0, 0x4148, 0, 0, 0];
const rest = Array.from({ length: 24 }, () => 0);

goldenModbus('generic-inplace-inclinometer', [
  {
    name: 'node 1 tilted, others level',
    blocks: [input(0, [...node1Words, ...rest, 0])],
    expect: inclinometerRows([['node1TiltA', 1.25], ['node1TiltB', -0.5], ['node1DispA', 12.5], ['node1DispB', 0]]),
  },
  {
    name: 'node 2 fault bit affects node 2 only',
    blocks: [input(0, [...node1Words, ...rest, 0b0010])],
    expect: inclinometerRows([['node1TiltA', 1.25], ['node1TiltB', -0.5], ['node1DispA', 12.5], ['node1DispB', 0]], 2),
  },
  {
    name: 'tilt of 20° is over range',
    blocks: [input(0, [0x41a0, 0, ...node1Words.slice(2), ...rest, 0])],
    expect: inclinometerRows([['node1TiltA', 20, 'uncertain', 'out_of_range'], ['node1TiltB', -0.5], ['node1DispA', 12.5], ['node1DispB', 0]]),
  },
]);

goldenModbus('generic-mine-methane', [
  { name: '0.75 %CH4 normal', blocks: [holding(0, [75, 0, 0])], expect: [['ch4', 0.75], ['alarmOutput', false], ['powerOffOutput', false]] },
  { name: '1.00 %CH4 alarm (H)', blocks: [holding(0, [100, 1, 0b01])], expect: [['ch4', 1, 'good', undefined, ['H']], ['alarmOutput', true], ['powerOffOutput', false]] },
  { name: '1.50 %CH4 power-off (HH)', blocks: [holding(0, [150, 2, 0b11])], expect: [['ch4', 1.5, 'good', undefined, ['H', 'HH']], ['alarmOutput', true], ['powerOffOutput', true]] },
  { name: '4.5 %CH4 over the catalytic range', blocks: [holding(0, [450, 2, 0b11])], expect: [['ch4', 4.5, 'uncertain', 'out_of_range', ['H', 'HH']], ['alarmOutput', true], ['powerOffOutput', true]] },
  { name: 'sentinel under calibration', blocks: [holding(0, [0xffff, 4, 0])], expect: [['ch4', null, 'bad', 'decode_error'], ['alarmOutput', false], ['powerOffOutput', false]] },
  { name: 'calibration', blocks: [holding(0, [200, 4, 0])], expect: [['ch4', 2, 'uncertain', 'calibration', ['H', 'HH']], ['alarmOutput', false], ['powerOffOutput', false]] },
]);

goldenModbus('generic-mine-co', [
  { name: '23 ppm normal', blocks: [holding(0, [23, 0])], expect: [['co', 23]] },
  { name: '24 ppm alarm', blocks: [holding(0, [24, 1])], expect: [['co', 24, 'good', undefined, ['H']]] },
  { name: '1200 ppm over range', blocks: [holding(0, [1200, 1])], expect: [['co', 1200, 'uncertain', 'out_of_range', ['H']]] },
  { name: 'fault', blocks: [holding(0, [0, 3])], expect: [['co', 0, 'bad', 'sensor_fault']] },
]);

goldenModbus('generic-wind-speed', [
  { name: '1.5 m/s forward', blocks: [input(0, [150, 0, 0])], expect: [['windSpeed', 1.5], ['reverse', false]] },
  { name: '0.2 m/s is below L', blocks: [input(0, [20, 0, 0])], expect: [['windSpeed', 0.2, 'good', undefined, ['L']], ['reverse', false]] },
  { name: '4.5 m/s is above H', blocks: [input(0, [450, 0, 0])], expect: [['windSpeed', 4.5, 'good', undefined, ['H']], ['reverse', false]] },
  { name: '16 m/s over range', blocks: [input(0, [1600, 0, 0])], expect: [['windSpeed', 16, 'uncertain', 'out_of_range', ['H']], ['reverse', false]] },
  { name: 'probe fault covers both points', blocks: [input(0, [150, 1, 1])], expect: [['windSpeed', 1.5, 'bad', 'sensor_fault'], ['reverse', true, 'bad', 'sensor_fault']] },
]);

goldenModbus('generic-mine-multigas', [
  { name: 'fresh air', blocks: [holding(0, [3, 5, 209, 0, 0, 0])], expect: [['co', 3], ['no2', 0.5], ['o2', 20.9]] },
  {
    name: 'after blasting: CO and NO2 high, oxygen low',
    blocks: [holding(0, [80, 31, 190, 1, 1, 2])],
    expect: [['co', 80, 'good', undefined, ['H']], ['no2', 3.1, 'good', undefined, ['H']], ['o2', 19, 'good', undefined, ['L']]],
  },
  {
    name: 'NO2 cell fault, O2 sentinel, CO over range',
    blocks: [holding(0, [1500, 0, 0xffff, 1, 3, 0])],
    expect: [['co', 1500, 'uncertain', 'out_of_range', ['H']], ['no2', 0, 'bad', 'sensor_fault'], ['o2', null, 'bad', 'decode_error']],
  },
]);

goldenModbus('generic-dry-beach-monitor', [
  { name: 'beach 125.6 m, freeboard 1.35 m, slope 0.85 %', blocks: [holding(0, [1256, 135, 85, 0])], expect: [['beachLength', 125.6], ['freeboard', 1.35], ['beachSlope', 0.85]] },
  { name: 'pond above the beach crest: freeboard negative (signed)', blocks: [holding(0, [0, 0xfff4, 0, 0])], expect: [['beachLength', 0], ['freeboard', -0.12], ['beachSlope', 0]] },
  {
    name: 'target lost: every reading bad',
    blocks: [holding(0, [1256, 135, 85, 1])],
    expect: [['beachLength', 125.6, 'bad', 'sensor_fault'], ['freeboard', 1.35, 'bad', 'sensor_fault'], ['beachSlope', 0.85, 'bad', 'sensor_fault']],
  },
  {
    name: 'calibrating: uncertain',
    blocks: [holding(0, [1256, 135, 85, 3])],
    expect: [['beachLength', 125.6, 'uncertain', 'calibration'], ['freeboard', 1.35, 'uncertain', 'calibration'], ['beachSlope', 0.85, 'uncertain', 'calibration']],
  },
]);
