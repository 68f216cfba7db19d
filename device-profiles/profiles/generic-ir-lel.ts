import { GASES, gasChannel } from '../src/fragments.ts';
import { defineProfile } from '../src/schema.ts';

const channel = gasChannel({ id: 'gas', gas: GASES.combustible, table: 'input', valueAddress: 0, type: 'float32', order: 'CDAB' });

/**
 * Point-type infrared (NDIR) combustible-gas detector, Modbus RTU. Input registers: 30001–30002
 * concentration %LEL (float32, low word first), 30003 status flags (bit 0 fault, bit 1 optics dirty
 * → maintenance, bit 2 calibration, bit 3 warm-up), 30004 optics transmission %.
 */
export default defineProfile({
  id: 'generic-ir-lel',
  name: { zh: '红外可燃气体探测器', en: 'Infrared combustible gas detector' },
  sector: 'hazchem',
  protocol: 'modbus',
  description: 'NDIR, 0–100 %LEL, not poisoned by silicones; 一级 25 %LEL / 二级 50 %LEL.',
  points: [
    ...channel.points,
    { id: 'transmission', name: { zh: '光路透过率', en: 'Optics transmission' }, table: 'input', address: 3, type: 'uint16', unit: '%', range: { min: 0, max: 100 } },
  ],
  status: [
    {
      id: 'detectorFlags',
      name: { zh: '探测器状态位', en: 'Detector status flags' },
      table: 'input',
      address: 2,
      bits: [
        { bit: 0, state: 'fault', label: { zh: '故障', en: 'fault' } },
        { bit: 1, state: 'maintenance', label: { zh: '光学窗口脏污', en: 'optics dirty' } },
        { bit: 2, state: 'calibration', label: { zh: '标定', en: 'calibration' } },
        { bit: 3, state: 'warmup', label: { zh: '预热', en: 'warm-up' } },
      ],
      appliesTo: ['gas'],
    },
  ],
});
