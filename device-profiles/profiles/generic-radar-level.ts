import { defineProfile } from '../src/schema.ts';

/**
 * Tank radar level transmitter with RS-485 Modbus (HART-to-Modbus style map). Holding registers:
 * 40001–40002 level m (float32 ABCD), 40003–40004 distance (ullage) m, 40005 level % of span 0.01 %,
 * 40006 status code (0 ok, 1 lost echo, 2 hardware fault, 3 simulation, 4 configuration mode).
 * Limits are defaults for a 20 m atmospheric tank (HH interlocks the feed: 高高液位联锁切断进料).
 */
export default defineProfile({
  id: 'generic-radar-level',
  name: { zh: '储罐雷达液位计', en: 'Tank radar level transmitter' },
  sector: 'hazchem',
  protocol: 'modbus',
  points: [
    {
      id: 'level',
      name: { zh: '液位', en: 'Level' },
      table: 'holding',
      address: 0,
      type: 'float32',
      unit: 'm',
      range: { min: 0, max: 20 },
      limits: [
        { level: 'LL', direction: 'low', value: 0.5 },
        { level: 'L', direction: 'low', value: 1.0 },
        { level: 'H', direction: 'high', value: 16.0, deadband: 0.05 },
        { level: 'HH', direction: 'high', value: 18.0, deadband: 0.05 },
      ],
    },
    { id: 'distance', name: { zh: '空高', en: 'Ullage distance' }, table: 'holding', address: 2, type: 'float32', unit: 'm', range: { min: 0, max: 30 } },
    { id: 'levelPercent', name: { zh: '液位百分比', en: 'Level, % of span' }, table: 'holding', address: 4, type: 'uint16', scale: 0.01, unit: '%', range: { min: 0, max: 100 } },
  ],
  status: [
    {
      id: 'deviceStatus',
      table: 'holding',
      address: 5,
      codes: [
        { value: 0, state: 'normal' },
        { value: 1, state: 'fault', label: { zh: '回波丢失', en: 'lost echo' } },
        { value: 2, state: 'fault', label: { zh: '硬件故障', en: 'hardware fault' } },
        { value: 3, state: 'maintenance', label: { zh: '仿真输出', en: 'simulation active' } },
        { value: 4, state: 'maintenance', label: { zh: '组态模式', en: 'configuration mode' } },
      ],
      appliesTo: ['level', 'distance', 'levelPercent'],
    },
  ],
});
