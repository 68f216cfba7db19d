import { defineProfile } from '../src/schema.ts';

/**
 * Coal-mine low-concentration methane sensor (catalytic, 0–4 %CH4) on a monitoring substation,
 * Modbus. Holding registers: 40001 CH4 0.01 %CH4 (uint16, 0xFFFF = no measurement), 40002 status code,
 * 40003 outputs (bit 0 alarm, bit 1 power-off relay 断电). Defaults are the 采煤工作面 T1 row of the
 * 煤矿安全规程 table (DOMAIN.md §3.3): alarm ≥ 1.0 %CH4 (H), power-off ≥ 1.5 %CH4 (HH). Other
 * locations (回风巷 1.0/1.0, 进风巷 0.5/0.5, 专用排瓦斯巷 2.5/2.5) override per instance. Power-off is
 * done locally by the substation; SafeLoop only records it.
 */
export default defineProfile({
  id: 'generic-mine-methane',
  name: { zh: '煤矿低浓度甲烷传感器', en: 'Mine methane sensor (low concentration)' },
  sector: 'coal',
  protocol: 'modbus',
  points: [
    {
      id: 'ch4',
      name: { zh: '甲烷浓度', en: 'Methane concentration' },
      table: 'holding',
      address: 0,
      type: 'uint16',
      scale: 0.01,
      unit: '%CH4',
      range: { min: 0, max: 4 },
      sentinels: [0xffff],
      limits: [
        { level: 'H', direction: 'high', value: 1.0 },
        { level: 'HH', direction: 'high', value: 1.5 },
      ],
    },
    { id: 'alarmOutput', name: { zh: '报警输出', en: 'Alarm output' }, table: 'holding', address: 2, type: 'bit', bit: 0 },
    { id: 'powerOffOutput', name: { zh: '断电输出', en: 'Power-off output' }, table: 'holding', address: 2, type: 'bit', bit: 1 },
  ],
  status: [
    {
      id: 'sensorStatus',
      table: 'holding',
      address: 1,
      codes: [
        { value: 0, state: 'normal' },
        { value: 1, state: 'alarm', label: { zh: '报警', en: 'alarm' } },
        { value: 2, state: 'alarm', label: { zh: '断电', en: 'power-off' } },
        { value: 3, state: 'fault', label: { zh: '故障', en: 'fault' } },
        { value: 4, state: 'calibration', label: { zh: '调校', en: 'calibration' } },
        { value: 5, state: 'maintenance', label: { zh: '标校屏蔽', en: 'inhibited' } },
      ],
      appliesTo: ['ch4'],
    },
  ],
});
