import { defineProfile } from '../src/schema.ts';

/**
 * Tipping-bucket rain gauge (0.1 mm bucket) with an RS-485 Modbus logger. Input registers:
 * 30001 rainfall intensity 0.1 mm/h, 30002 rainfall in the last 24 h 0.1 mm, 30003–30004 total since
 * reset 0.1 mm (uint32), 30005 status (0 ok, 1 bucket stuck, 2 heater fault → uncertain maintenance).
 * 24 h limits follow the national rainfall warning bands: 暴雨 ≥ 50 mm (yellow), ≥ 100 mm.
 */
export default defineProfile({
  id: 'generic-rain-gauge',
  name: { zh: '翻斗式雨量计', en: 'Tipping-bucket rain gauge' },
  sector: 'tailings',
  protocol: 'modbus',
  points: [
    { id: 'intensity', name: { zh: '降雨强度', en: 'Rainfall intensity' }, table: 'input', address: 0, type: 'uint16', scale: 0.1, unit: 'mm/h', range: { min: 0, max: 300 } },
    {
      id: 'rain24h',
      name: { zh: '24小时降雨量', en: 'Rainfall, last 24 h' },
      table: 'input',
      address: 1,
      type: 'uint16',
      scale: 0.1,
      unit: 'mm',
      range: { min: 0, max: 1000 },
      limits: [
        { level: 'H', direction: 'high', value: 50 },
        { level: 'HH', direction: 'high', value: 100 },
      ],
    },
    { id: 'rainTotal', name: { zh: '累计降雨量', en: 'Rainfall total' }, table: 'input', address: 2, type: 'uint32', scale: 0.1, unit: 'mm', range: { min: 0, max: 100000 } },
  ],
  status: [
    {
      id: 'gaugeStatus',
      table: 'input',
      address: 4,
      codes: [
        { value: 0, state: 'normal' },
        { value: 1, state: 'fault', label: { zh: '翻斗卡滞', en: 'bucket stuck' } },
        { value: 2, state: 'maintenance', label: { zh: '加热故障', en: 'heater fault' } },
      ],
      appliesTo: ['intensity', 'rain24h', 'rainTotal'],
    },
  ],
});
