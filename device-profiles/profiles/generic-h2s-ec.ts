import { GASES, gasChannel } from '../src/fragments.ts';
import { defineProfile } from '../src/schema.ts';

const channel = gasChannel({ id: 'gas', gas: GASES.h2s, table: 'holding', valueAddress: 0, type: 'uint16', scale: 0.1, statusAddress: 1, sentinels: [0xffff] });

/**
 * Electrochemical H2S detector, Modbus RTU. Holding registers: 40001 concentration 0.1 mg/m3
 * (uint16, 0xFFFF = no measurement), 40002 status code, 40003 sensor temperature 0.1 °C (int16).
 */
export default defineProfile({
  id: 'generic-h2s-ec',
  name: { zh: '电化学硫化氢探测器', en: 'Electrochemical H2S detector' },
  sector: 'hazchem',
  protocol: 'modbus',
  description: 'H2S 0–100 mg/m3; GB/T 50493-2019 appendix: 一级 10 mg/m3 (MAC), 二级 20 mg/m3.',
  points: [
    ...channel.points,
    { id: 'sensorTemperature', name: { zh: '传感器温度', en: 'Sensor temperature' }, table: 'holding', address: 2, type: 'int16', scale: 0.1, unit: '°C', range: { min: -40, max: 70 } },
  ],
  status: channel.status,
});
