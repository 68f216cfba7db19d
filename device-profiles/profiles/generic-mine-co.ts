import { defineProfile } from '../src/schema.ts';

/**
 * Mine carbon-monoxide sensor (electrochemical, 0–1000 ppm), Modbus. Holding registers: 40001 CO ppm
 * (uint16, 0xFFFF = no measurement), 40002 status code. Alarm 24 ppm (maximum allowable 0.0024 %),
 * as in real KJ networking data (DOMAIN.md §3.3); used underground in coal and non-coal mines.
 */
export default defineProfile({
  id: 'generic-mine-co',
  name: { zh: '矿用一氧化碳传感器', en: 'Mine CO sensor' },
  sector: 'coal',
  protocol: 'modbus',
  points: [
    {
      id: 'co',
      name: { zh: '一氧化碳浓度', en: 'CO concentration' },
      table: 'holding',
      address: 0,
      type: 'uint16',
      unit: 'ppm',
      range: { min: 0, max: 1000 },
      sentinels: [0xffff],
      limits: [{ level: 'H', direction: 'high', value: 24 }],
    },
  ],
  status: [
    {
      id: 'sensorStatus',
      table: 'holding',
      address: 1,
      codes: [
        { value: 0, state: 'normal' },
        { value: 1, state: 'alarm', label: { zh: '报警', en: 'alarm' } },
        { value: 3, state: 'fault', label: { zh: '故障', en: 'fault' } },
        { value: 4, state: 'calibration', label: { zh: '调校', en: 'calibration' } },
      ],
      appliesTo: ['co'],
    },
  ],
});
