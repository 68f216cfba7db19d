/** Golden vectors for the gas detector profiles (GB/T 50493-2019 set-points). */
import { goldenModbus, holding, input, s16 } from './golden-helpers.ts';

const SN = [0x4341, 0x542d, 0x3031, 0, 0, 0, 0, 0]; // "CAT-01"

goldenModbus('generic-catalytic-lel', [
  {
    name: 'clean air: 12.3 %LEL, relay 1 energised, serial number',
    blocks: [holding(0, [123, 0, 0b01, 95]), holding(16, SN)],
    expect: [['gas', 12.3], ['relay1', true], ['relay2', false], ['sensorLife', 95], ['serialNumber', 'CAT-01']],
  },
  {
    name: '52 %LEL with the device in level-2 alarm: good quality, both levels reached',
    blocks: [holding(0, [520, 2, 0b11, 95])],
    expect: [['gas', 52, 'good', undefined, ['GAS_1', 'GAS_2']], ['relay1', true], ['relay2', true], ['sensorLife', 95]],
  },
  {
    name: 'over range 110 %LEL: value kept, uncertain out_of_range, still alarming',
    blocks: [holding(0, [1100, 2, 0b11, 95])],
    expect: [['gas', 110, 'uncertain', 'out_of_range', ['GAS_1', 'GAS_2']], ['relay1', true], ['relay2', true], ['sensorLife', 95]],
  },
  {
    name: 'fault code with the no-measurement sentinel: bad sensor_fault',
    blocks: [holding(0, [0x8000, 3, 0, 95])],
    expect: [['gas', null, 'bad', 'sensor_fault'], ['relay1', false], ['relay2', false], ['sensorLife', 95]],
  },
  {
    name: 'calibration gas 25 %LEL applied: uncertain calibration',
    blocks: [holding(0, [250, 4, 0, 101])],
    expect: [['gas', 25, 'uncertain', 'calibration', ['GAS_1']], ['relay1', false], ['relay2', false], ['sensorLife', 101, 'uncertain', 'out_of_range']],
  },
]);

goldenModbus('generic-h2s-ec', [
  { name: 'normal 8.5 mg/m3', blocks: [holding(0, [85, 0, 235])], expect: [['gas', 8.5], ['sensorTemperature', 23.5]] },
  { name: '20 mg/m3 reaches both levels', blocks: [holding(0, [200, 2, s16(-100)])], expect: [['gas', 20, 'good', undefined, ['GAS_1', 'GAS_2']], ['sensorTemperature', -10]] },
  { name: 'sentinel 0xFFFF: bad decode_error', blocks: [holding(0, [0xffff, 0, 235])], expect: [['gas', null, 'bad', 'decode_error'], ['sensorTemperature', 23.5]] },
  { name: 'over range 120 mg/m3', blocks: [holding(0, [1200, 1, 235])], expect: [['gas', 120, 'uncertain', 'out_of_range', ['GAS_1', 'GAS_2']], ['sensorTemperature', 23.5]] },
  { name: 'warm-up: uncertain warmup', blocks: [holding(0, [50, 5, 235])], expect: [['gas', 5, 'uncertain', 'warmup'], ['sensorTemperature', 23.5]] },
]);

goldenModbus('generic-co-ec', [
  { name: 'just below level 1', blocks: [holding(0, [199, 0, 250])], expect: [['gas', 19.9], ['sensorTemperature', 25]] },
  { name: '40 mg/m3 reaches both levels', blocks: [holding(0, [400, 2, 250])], expect: [['gas', 40, 'good', undefined, ['GAS_1', 'GAS_2']], ['sensorTemperature', 25]] },
  { name: 'over range 350 mg/m3', blocks: [holding(0, [3500, 2, 250])], expect: [['gas', 350, 'uncertain', 'out_of_range', ['GAS_1', 'GAS_2']], ['sensorTemperature', 25]] },
  { name: 'fault', blocks: [holding(0, [100, 3, 250])], expect: [['gas', 10, 'bad', 'sensor_fault'], ['sensorTemperature', 25]] },
]);

goldenModbus('generic-nh3-ec', [
  { name: '20 mg/m3 is level 1', blocks: [holding(0, [200, 1, 250])], expect: [['gas', 20, 'good', undefined, ['GAS_1']], ['sensorTemperature', 25]] },
  { name: 'over range 100.1 mg/m3', blocks: [holding(0, [1001, 2, 250])], expect: [['gas', 100.1, 'uncertain', 'out_of_range', ['GAS_1', 'GAS_2']], ['sensorTemperature', 25]] },
  { name: 'calibration', blocks: [holding(0, [0, 4, 250])], expect: [['gas', 0, 'uncertain', 'calibration'], ['sensorTemperature', 25]] },
]);

goldenModbus('generic-cl2-ec', [
  { name: '1.5 mg/m3 is level 1 (0.01 resolution)', blocks: [holding(0, [150, 1, 200])], expect: [['gas', 1.5, 'good', undefined, ['GAS_1']], ['sensorTemperature', 20]] },
  { name: '2 mg/m3 is level 2', blocks: [holding(0, [200, 2, 200])], expect: [['gas', 2, 'good', undefined, ['GAS_1', 'GAS_2']], ['sensorTemperature', 20]] },
  { name: 'over range 10.01 mg/m3', blocks: [holding(0, [1001, 2, 200])], expect: [['gas', 10.01, 'uncertain', 'out_of_range', ['GAS_1', 'GAS_2']], ['sensorTemperature', 20]] },
  { name: 'inhibited: uncertain maintenance', blocks: [holding(0, [3, 6, 200])], expect: [['gas', 0.03, 'uncertain', 'maintenance'], ['sensorTemperature', 20]] },
]);

goldenModbus('generic-o2-ec', [
  { name: 'normal air 20.9 %VOL', blocks: [holding(0, [209, 0, 200])], expect: [['gas', 20.9], ['sensorTemperature', 20]] },
  { name: 'oxygen deficiency 19.5 %VOL (欠氧, low)', blocks: [holding(0, [195, 2, 200])], expect: [['gas', 19.5, 'good', undefined, ['GAS_2']], ['sensorTemperature', 20]] },
  { name: 'oxygen enrichment 23.6 %VOL (过氧, high)', blocks: [holding(0, [236, 1, 200])], expect: [['gas', 23.6, 'good', undefined, ['GAS_1']], ['sensorTemperature', 20]] },
  { name: 'over range 26 %VOL', blocks: [holding(0, [260, 1, 200])], expect: [['gas', 26, 'uncertain', 'out_of_range', ['GAS_1']], ['sensorTemperature', 20]] },
  { name: 'fault', blocks: [holding(0, [0, 3, 200])], expect: [['gas', 0, 'bad', 'sensor_fault', ['GAS_2']], ['sensorTemperature', 20]] },
]);

goldenModbus('generic-ir-lel', [
  { name: '12.5 %LEL, float32 low word first', blocks: [input(0, [0x0000, 0x4148, 0, 98])], expect: [['gas', 12.5], ['transmission', 98]] },
  { name: '50 %LEL reaches both levels', blocks: [input(0, [0x0000, 0x4248, 0, 98])], expect: [['gas', 50, 'good', undefined, ['GAS_1', 'GAS_2']], ['transmission', 98]] },
  { name: 'optics dirty: uncertain maintenance', blocks: [input(0, [0x0000, 0x4148, 0b0010, 40])], expect: [['gas', 12.5, 'uncertain', 'maintenance'], ['transmission', 40]] },
  { name: 'fault and warm-up flags: fault wins', blocks: [input(0, [0x0000, 0x4148, 0b1001, 98])], expect: [['gas', 12.5, 'bad', 'sensor_fault'], ['transmission', 98]] },
  { name: 'NaN: bad decode_error', blocks: [input(0, [0x0000, 0x7fc0, 0, 98])], expect: [['gas', null, 'bad', 'decode_error'], ['transmission', 98]] },
  { name: 'negative drift −5 %LEL: out of range', blocks: [input(0, [0x0000, 0xc0a0, 0, 98])], expect: [['gas', -5, 'uncertain', 'out_of_range'], ['transmission', 98]] },
]);

goldenModbus('generic-open-path-ir', [
  { name: '1.5 LEL·m is level 1', blocks: [holding(0, [150, 1, 80])], expect: [['gas', 1.5, 'good', undefined, ['GAS_1']], ['signal', 80]] },
  { name: '2.5 LEL·m is level 2', blocks: [holding(0, [250, 2, 80])], expect: [['gas', 2.5, 'good', undefined, ['GAS_1', 'GAS_2']], ['signal', 80]] },
  { name: 'over range 6 LEL·m', blocks: [holding(0, [600, 2, 80])], expect: [['gas', 6, 'uncertain', 'out_of_range', ['GAS_1', 'GAS_2']], ['signal', 80]] },
  { name: 'beam blocked (fault, sentinel)', blocks: [holding(0, [0xffff, 3, 0])], expect: [['gas', null, 'bad', 'sensor_fault'], ['signal', 0]] },
]);

const zeros = (n: number): number[] => Array.from({ length: n }, () => 0);
const controller = (values: number[], statuses: number[], flags: number): number[] => [...values, ...zeros(8), ...statuses, ...zeros(8), flags];

goldenModbus('generic-gas-controller-8ch', [
  {
    name: 'all channels normal',
    blocks: [holding(0, controller([123, 0, 0, 0, 0, 0, 85, 209], zeros(8), 0))],
    expect: [['ch1', 12.3], ['ch2', 0], ['ch3', 0], ['ch4', 0], ['ch5', 0], ['ch6', 0], ['ch7', 8.5], ['ch8', 20.9], ['onBattery', false]],
  },
  {
    name: 'mixed: alarm, fault, not fitted, calibration, over range, oxygen deficiency, on battery',
    blocks: [holding(0, controller([0, 300, 40, 0x8000, 100, 1100, 0, 190], [0, 1, 3, 0, 4, 2, 0, 2], 0b01))],
    expect: [
      ['ch1', 0],
      ['ch2', 30, 'good', undefined, ['GAS_1']],
      ['ch3', 4, 'bad', 'sensor_fault'],
      ['ch4', null, 'bad', 'decode_error'],
      ['ch5', 10, 'uncertain', 'calibration'],
      ['ch6', 110, 'uncertain', 'out_of_range', ['GAS_1', 'GAS_2']],
      ['ch7', 0],
      ['ch8', 19, 'good', undefined, ['GAS_2']],
      ['onBattery', true],
    ],
  },
  {
    name: 'controller fault makes every channel bad',
    blocks: [holding(0, controller([123, 0, 0, 0, 0, 0, 85, 209], zeros(8), 0b10))],
    expect: [
      ['ch1', 12.3, 'bad', 'sensor_fault'],
      ['ch2', 0, 'bad', 'sensor_fault'],
      ['ch3', 0, 'bad', 'sensor_fault'],
      ['ch4', 0, 'bad', 'sensor_fault'],
      ['ch5', 0, 'bad', 'sensor_fault'],
      ['ch6', 0, 'bad', 'sensor_fault'],
      ['ch7', 8.5, 'bad', 'sensor_fault'],
      ['ch8', 20.9, 'bad', 'sensor_fault'],
      ['onBattery', false],
    ],
  },
]);
