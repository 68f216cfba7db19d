import { GASES, gasChannel } from '../src/fragments.ts';
import { defineProfile } from '../src/schema.ts';

const channel = gasChannel({ id: 'gas', gas: GASES.combustible, table: 'holding', valueAddress: 0, type: 'int16', scale: 0.1, statusAddress: 1, sentinels: [-32768] });

/**
 * Point-type catalytic combustible-gas detector, RS-485 Modbus RTU. Holding registers:
 * 40001 concentration 0.1 %LEL (int16, 0x8000 = no measurement), 40002 status code, 40003 relay
 * outputs (bit 0 level-1 relay, bit 1 level-2 relay), 40004 sensor life %, 40017–40024 serial number.
 */
export default defineProfile({
  id: 'generic-catalytic-lel',
  name: { zh: '催化燃烧式可燃气体探测器', en: 'Catalytic combustible gas detector' },
  sector: 'hazchem',
  protocol: 'modbus',
  description: 'Catalytic bead, 0–100 %LEL, GB/T 50493-2019 set-points 一级 25 %LEL / 二级 50 %LEL.',
  points: [
    ...channel.points,
    { id: 'relay1', name: { zh: '一级报警继电器', en: 'Level 1 alarm relay' }, table: 'holding', address: 2, type: 'bit', bit: 0 },
    { id: 'relay2', name: { zh: '二级报警继电器', en: 'Level 2 alarm relay' }, table: 'holding', address: 2, type: 'bit', bit: 1 },
    { id: 'sensorLife', name: { zh: '传感器剩余寿命', en: 'Sensor life remaining' }, table: 'holding', address: 3, type: 'uint16', unit: '%', range: { min: 0, max: 100 } },
    { id: 'serialNumber', name: { zh: '序列号', en: 'Serial number' }, table: 'holding', address: 16, type: 'string', length: 8 },
  ],
  status: channel.status,
});
