import { defineProfile } from '../src/schema.ts';

/**
 * PT100 temperature transmitter with RS-485 Modbus. Input registers: 30001 temperature 0.1 °C
 * (int16; 0x7FFF = sensor open circuit, 0x8000 = short circuit — no measurement), 30002 loop current
 * 0.001 mA (the 4–20 mA output it drives), 30003 diagnostics bits (bit 0 RTD break, bit 1 RTD short,
 * bit 2 cold-junction / electronics fault).
 */
export default defineProfile({
  id: 'generic-temperature-transmitter',
  name: { zh: '温度变送器 (PT100)', en: 'Temperature transmitter (PT100)' },
  sector: 'hazchem',
  protocol: 'modbus',
  points: [
    {
      id: 'temperature',
      name: { zh: '温度', en: 'Temperature' },
      table: 'input',
      address: 0,
      type: 'int16',
      scale: 0.1,
      unit: '°C',
      range: { min: -50, max: 200 },
      sentinels: [32767, -32768],
      limits: [
        { level: 'L', direction: 'low', value: -10 },
        { level: 'H', direction: 'high', value: 60, deadband: 0.5 },
        { level: 'HH', direction: 'high', value: 80, deadband: 0.5 },
      ],
    },
    { id: 'loopCurrent', name: { zh: '输出电流', en: 'Loop current' }, table: 'input', address: 1, type: 'uint16', scale: 0.001, unit: 'mA', range: { min: 3.6, max: 21 } },
  ],
  status: [
    {
      id: 'diagnostics',
      table: 'input',
      address: 2,
      bits: [
        { bit: 0, state: 'fault', label: { zh: '热电阻断线', en: 'RTD open' } },
        { bit: 1, state: 'fault', label: { zh: '热电阻短路', en: 'RTD short' } },
        { bit: 2, state: 'fault', label: { zh: '电子部件故障', en: 'electronics fault' } },
      ],
      appliesTo: ['temperature', 'loopCurrent'],
    },
  ],
});
