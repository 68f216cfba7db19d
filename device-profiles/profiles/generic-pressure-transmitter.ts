import { defineProfile } from '../src/schema.ts';

/**
 * Pressure transmitter with RS-485 Modbus, 0–2.5 MPa (LPG sphere / pressure vessel). Holding
 * registers: 40001–40002 pressure MPa (float32 ABCD), 40003–40004 sensor temperature °C (float32),
 * 40005 status code (0 ok, 1 over-pressure of the cell, 2 sensor fault, 3 zero trim in progress).
 */
export default defineProfile({
  id: 'generic-pressure-transmitter',
  name: { zh: '压力变送器', en: 'Pressure transmitter' },
  sector: 'hazchem',
  protocol: 'modbus',
  points: [
    {
      id: 'pressure',
      name: { zh: '压力', en: 'Pressure' },
      table: 'holding',
      address: 0,
      type: 'float32',
      unit: 'MPa',
      range: { min: 0, max: 2.5 },
      limits: [
        { level: 'LL', direction: 'low', value: 0.05 },
        { level: 'L', direction: 'low', value: 0.1 },
        { level: 'H', direction: 'high', value: 1.6, deadband: 0.01 },
        { level: 'HH', direction: 'high', value: 1.8, deadband: 0.01 },
      ],
    },
    { id: 'sensorTemperature', name: { zh: '传感器温度', en: 'Sensor temperature' }, table: 'holding', address: 2, type: 'float32', unit: '°C', range: { min: -40, max: 85 } },
  ],
  status: [
    {
      id: 'deviceStatus',
      table: 'holding',
      address: 4,
      codes: [
        { value: 0, state: 'normal' },
        { value: 1, state: 'fault', label: { zh: '传感器过压', en: 'cell over-pressure' } },
        { value: 2, state: 'fault', label: { zh: '传感器故障', en: 'sensor fault' } },
        { value: 3, state: 'calibration', label: { zh: '零点校准', en: 'zero trim' } },
      ],
      appliesTo: ['pressure', 'sensorTemperature'],
    },
  ],
});
