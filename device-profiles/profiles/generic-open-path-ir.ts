import { GASES, gasChannel } from '../src/fragments.ts';
import { defineProfile } from '../src/schema.ts';

const channel = gasChannel({ id: 'gas', gas: GASES.openPath, table: 'holding', valueAddress: 0, type: 'uint16', scale: 0.01, statusAddress: 1, sentinels: [0xffff] });

/**
 * Open-path (line-type) infrared combustible-gas detector, Modbus RTU. Holding registers: 40001
 * path-integrated concentration 0.01 LEL·m, 40002 status code (beam block reports as fault),
 * 40003 received signal strength %.
 */
export default defineProfile({
  id: 'generic-open-path-ir',
  name: { zh: '线型红外可燃气体探测器', en: 'Open-path infrared gas detector' },
  sector: 'hazchem',
  protocol: 'modbus',
  description: '0–5 LEL·m; GB/T 50493-2019: 一级 1 LEL·m, 二级 2 LEL·m.',
  points: [
    ...channel.points,
    { id: 'signal', name: { zh: '接收信号强度', en: 'Received signal strength' }, table: 'holding', address: 2, type: 'uint16', unit: '%', range: { min: 0, max: 100 } },
  ],
  status: channel.status,
});
