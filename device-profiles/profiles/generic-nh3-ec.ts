import { GASES, gasChannel } from '../src/fragments.ts';
import { defineProfile } from '../src/schema.ts';

const channel = gasChannel({ id: 'gas', gas: GASES.nh3, table: 'holding', valueAddress: 0, type: 'uint16', scale: 0.1, statusAddress: 1, sentinels: [0xffff] });

/**
 * Electrochemical NH3 detector, Modbus RTU. Holding registers: 40001 concentration 0.1 mg/m3 (uint16,
 * 0xFFFF = no measurement), 40002 status code, 40003 sensor temperature 0.1 °C (int16).
 */
export default defineProfile({
  id: 'generic-nh3-ec',
  name: { zh: '电化学氨气探测器', en: 'Electrochemical NH3 detector' },
  sector: 'hazchem',
  protocol: 'modbus',
  description: 'NH3 0–100 mg/m3; GB/T 50493-2019 appendix: 一级 20 mg/m3 (PC-TWA), 二级 40 mg/m3.',
  points: [
    ...channel.points,
    { id: 'sensorTemperature', name: { zh: '传感器温度', en: 'Sensor temperature' }, table: 'holding', address: 2, type: 'int16', scale: 0.1, unit: '°C', range: { min: -40, max: 70 } },
  ],
  status: channel.status,
});
