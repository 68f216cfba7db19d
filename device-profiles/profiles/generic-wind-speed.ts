import { defineProfile } from '../src/schema.ts';

/**
 * Mine airway wind-speed sensor (ultrasonic, 0–15 m/s), Modbus; AQ 2031 lists wind speed among the
 * non-coal mine monitoring items. Input registers: 30001 wind speed 0.01 m/s (uint16), 30002
 * direction (0 forward, 1 reverse airflow — a reversal is a ventilation event), 30003 status code.
 * Default limits are the working-face airflow window (0.25–4 m/s) [K]; each airway overrides them.
 */
export default defineProfile({
  id: 'generic-wind-speed',
  name: { zh: '矿用风速传感器', en: 'Mine wind speed sensor' },
  sector: 'nonCoal',
  protocol: 'modbus',
  points: [
    {
      id: 'windSpeed',
      name: { zh: '风速', en: 'Wind speed' },
      table: 'input',
      address: 0,
      type: 'uint16',
      scale: 0.01,
      unit: 'm/s',
      range: { min: 0, max: 15 },
      limits: [
        { level: 'L', direction: 'low', value: 0.25 },
        { level: 'H', direction: 'high', value: 4 },
      ],
    },
    { id: 'reverse', name: { zh: '反风', en: 'Reverse airflow' }, table: 'input', address: 1, type: 'bool' },
  ],
  status: [
    {
      id: 'sensorStatus',
      table: 'input',
      address: 2,
      codes: [
        { value: 0, state: 'normal' },
        { value: 1, state: 'fault', label: { zh: '探头故障', en: 'probe fault' } },
        { value: 2, state: 'maintenance', label: { zh: '维护', en: 'maintenance' } },
      ],
      appliesTo: ['windSpeed', 'reverse'],
    },
  ],
});
