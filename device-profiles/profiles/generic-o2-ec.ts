import { GASES, gasChannel } from '../src/fragments.ts';
import { defineProfile } from '../src/schema.ts';

const channel = gasChannel({ id: 'gas', gas: GASES.o2, table: 'holding', valueAddress: 0, type: 'uint16', scale: 0.1, statusAddress: 1, sentinels: [0xffff] });

/**
 * Electrochemical O2 detector, Modbus RTU. Holding registers: 40001 concentration 0.1 %VOL (uint16,
 * 0xFFFF = no measurement), 40002 status code, 40003 sensor temperature 0.1 °C (int16).
 */
export default defineProfile({
  id: 'generic-o2-ec',
  name: { zh: '电化学氧气探测器', en: 'Electrochemical oxygen detector' },
  sector: 'hazchem',
  protocol: 'modbus',
  description: 'O2 0–25 %VOL; GB/T 50493-2019 §5.5.2: 过氧 23.5 %VOL (high), 欠氧 19.5 %VOL (low).',
  points: [
    ...channel.points,
    { id: 'sensorTemperature', name: { zh: '传感器温度', en: 'Sensor temperature' }, table: 'holding', address: 2, type: 'int16', scale: 0.1, unit: '°C', range: { min: -40, max: 70 } },
  ],
  status: channel.status,
});
