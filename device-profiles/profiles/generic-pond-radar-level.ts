import { defineProfile } from '../src/schema.ts';

/**
 * Radar water-level gauge on the decant tower of a tailings pond, RS-485 Modbus. Input registers:
 * 30001–30002 water level elevation m (float32, ABCD), 30003–30004 air gap (sensor to water) m,
 * 30005 echo strength %, 30006 status bits (bit 0 lost echo → fault, bit 1 sensor fault, bit 2 in
 * adjustment → calibration). No default limits: 库水位 thresholds (设计最高洪水位, 汛前控制水位,
 * 生产运行控制水位) come from the pond's design file, set per device instance.
 */
export default defineProfile({
  id: 'generic-pond-radar-level',
  name: { zh: '尾矿库雷达水位计', en: 'Tailings pond radar water level gauge' },
  sector: 'tailings',
  protocol: 'modbus',
  points: [
    { id: 'waterLevel', name: { zh: '库水位', en: 'Pond water level (elevation)' }, table: 'input', address: 0, type: 'float32', unit: 'm', range: { min: 0, max: 3000 } },
    { id: 'airGap', name: { zh: '空高', en: 'Air gap' }, table: 'input', address: 2, type: 'float32', unit: 'm', range: { min: 0, max: 30 } },
    { id: 'echoStrength', name: { zh: '回波强度', en: 'Echo strength' }, table: 'input', address: 4, type: 'uint16', unit: '%', range: { min: 0, max: 100 } },
  ],
  status: [
    {
      id: 'gaugeStatus',
      name: { zh: '仪表状态', en: 'Gauge status' },
      table: 'input',
      address: 5,
      bits: [
        { bit: 0, state: 'fault', label: { zh: '回波丢失', en: 'lost echo' } },
        { bit: 1, state: 'fault', label: { zh: '传感器故障', en: 'sensor fault' } },
        { bit: 2, state: 'calibration', label: { zh: '调校中', en: 'in adjustment' } },
      ],
      appliesTo: ['waterLevel', 'airGap'],
    },
  ],
});
