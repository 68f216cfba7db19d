/** Golden vectors for process instruments: tank level, temperature, pressure, ESD valve, OPC-UA tank gauging. */
import { coil, discrete, goldenModbus, goldenOpcua, holding, input, s16 } from './golden-helpers.ts';

goldenModbus('generic-radar-level', [
  {
    name: '17.5 m is above H',
    blocks: [holding(0, [0x418c, 0, 0x4020, 0, 8750, 0])],
    expect: [['level', 17.5, 'good', undefined, ['H']], ['distance', 2.5], ['levelPercent', 87.5]],
  },
  { name: '18.25 m is above HH', blocks: [holding(0, [0x4192, 0, 0x4020, 0, 9125, 0])], expect: [['level', 18.25, 'good', undefined, ['H', 'HH']], ['distance', 2.5], ['levelPercent', 91.25]] },
  { name: '0.25 m is below LL', blocks: [holding(0, [0x3e80, 0, 0x4020, 0, 125, 0])], expect: [['level', 0.25, 'good', undefined, ['LL', 'L']], ['distance', 2.5], ['levelPercent', 1.25]] },
  { name: '21 m is over range', blocks: [holding(0, [0x41a8, 0, 0x4020, 0, 10000, 0])], expect: [['level', 21, 'uncertain', 'out_of_range', ['H', 'HH']], ['distance', 2.5], ['levelPercent', 100]] },
  {
    name: 'lost echo: every covered point bad',
    blocks: [holding(0, [0x418c, 0, 0x4020, 0, 8750, 1])],
    expect: [['level', 17.5, 'bad', 'sensor_fault', ['H']], ['distance', 2.5, 'bad', 'sensor_fault'], ['levelPercent', 87.5, 'bad', 'sensor_fault']],
  },
  {
    name: 'simulation active: uncertain maintenance',
    blocks: [holding(0, [0x418c, 0, 0x4020, 0, 8750, 3])],
    expect: [['level', 17.5, 'uncertain', 'maintenance', ['H']], ['distance', 2.5, 'uncertain', 'maintenance'], ['levelPercent', 87.5, 'uncertain', 'maintenance']],
  },
]);

goldenModbus('generic-temperature-transmitter', [
  { name: '25.3 °C, 8.048 mA', blocks: [input(0, [253, 8048, 0])], expect: [['temperature', 25.3], ['loopCurrent', 8.048]] },
  { name: '60.5 °C is above H', blocks: [input(0, [605, 12000, 0])], expect: [['temperature', 60.5, 'good', undefined, ['H']], ['loopCurrent', 12]] },
  { name: '−10.1 °C is below L', blocks: [input(0, [s16(-101), 4500, 0])], expect: [['temperature', -10.1, 'good', undefined, ['L']], ['loopCurrent', 4.5]] },
  { name: 'open-circuit sentinel 0x7FFF with the RTD-break bit', blocks: [input(0, [0x7fff, 21000, 0b01])], expect: [['temperature', null, 'bad', 'sensor_fault'], ['loopCurrent', 21, 'bad', 'sensor_fault']] },
  { name: '210 °C over range, loop current under range', blocks: [input(0, [2100, 3000, 0])], expect: [['temperature', 210, 'uncertain', 'out_of_range', ['H', 'HH']], ['loopCurrent', 3, 'uncertain', 'out_of_range']] },
]);

goldenModbus('generic-pressure-transmitter', [
  { name: '1.7 MPa is above H', blocks: [holding(0, [0x3fd9, 0x999a, 0x41c8, 0, 0])], expect: [['pressure', 1.7, 'good', undefined, ['H']], ['sensorTemperature', 25]] },
  { name: '0.08 MPa is below L', blocks: [holding(0, [0x3da3, 0xd70a, 0x41c8, 0, 0])], expect: [['pressure', 0.08, 'good', undefined, ['L']], ['sensorTemperature', 25]] },
  { name: '3 MPa is over range', blocks: [holding(0, [0x4040, 0, 0x41c8, 0, 0])], expect: [['pressure', 3, 'uncertain', 'out_of_range', ['H', 'HH']], ['sensorTemperature', 25]] },
  { name: 'zero trim: uncertain calibration', blocks: [holding(0, [0x3fd9, 0x999a, 0x41c8, 0, 3])], expect: [['pressure', 1.7, 'uncertain', 'calibration', ['H']], ['sensorTemperature', 25, 'uncertain', 'calibration']] },
  { name: 'sensor fault', blocks: [holding(0, [0x3fd9, 0x999a, 0x41c8, 0, 2])], expect: [['pressure', 1.7, 'bad', 'sensor_fault', ['H']], ['sensorTemperature', 25, 'bad', 'sensor_fault']] },
]);

goldenModbus('generic-esd-valve', [
  {
    name: 'open, remote, no close command',
    blocks: [discrete(0, [1, 0, 0, 1]), coil(0, [0])],
    expect: [['open', true], ['closed', false], ['remote', true], ['closeCommand', false]],
  },
  {
    name: 'actuator fault: both limit switches bad',
    blocks: [discrete(0, [0, 1, 1, 0]), coil(0, [1])],
    expect: [['open', false, 'bad', 'sensor_fault'], ['closed', true, 'bad', 'sensor_fault'], ['remote', false], ['closeCommand', true]],
  },
]);

goldenModbus('generic-alarm-io', [
  {
    name: 'horn and beacon on, button released',
    blocks: [coil(0, [1, 1]), discrete(0, [0, 0])],
    expect: [['horn', true], ['beacon', true], ['ackButton', false], ['sounderFault', false]],
  },
  {
    name: 'silenced by the local button; sounder fault contact open',
    blocks: [coil(0, [0, 0]), discrete(0, [1, 1])],
    expect: [['horn', false], ['beacon', false], ['ackButton', true], ['sounderFault', true]],
  },
]);

goldenOpcua('generic-tank-gauging-opcua', [
  {
    name: 'normal values',
    inputs: [['level', 12.34, true], ['temperature', 21.5, true], ['pressure', 0.35, true]],
    expect: [['level', 12.34], ['temperature', 21.5], ['pressure', 0.35]],
  },
  {
    name: 'limits: H level, HH temperature, LL pressure',
    inputs: [['level', 16, true], ['temperature', 55, true], ['pressure', 0.05, true]],
    expect: [['level', 16, 'good', undefined, ['H']], ['temperature', 55, 'good', undefined, ['H', 'HH']], ['pressure', 0.05, 'good', undefined, ['LL', 'L']]],
  },
  {
    name: 'over range, wrong type, bad status',
    inputs: [['level', 20.5, true], ['temperature', 'abc', true], ['pressure', 0.3, false]],
    expect: [['level', 20.5, 'uncertain', 'out_of_range', ['H', 'HH']], ['temperature', null, 'bad', 'decode_error'], ['pressure', null, 'bad', 'exception']],
  },
]);
