import { defineProfile } from '../src/schema.ts';

/**
 * Vibrating-wire piezometer (渗压计) read through a DAQ module, RS-485 Modbus. Holding registers:
 * 40001–40002 phreatic-line burial depth m (float32, CDAB as most DAQ modules send it), 40003–40004
 * pore-water pressure kPa, 40005–40006 wire frequency Hz, 40007 temperature 0.1 °C, 40008 status
 * (0 ok, 1 open wire, 2 short circuit, 3 no resonance). No default limits: the red threshold is the
 * GB 50863 minimum burial depth for the embankment height (orange = 1.1 × red), set per instance.
 */
export default defineProfile({
  id: 'generic-piezometer',
  name: { zh: '振弦式渗压计 (浸润线)', en: 'Vibrating-wire piezometer (phreatic line)' },
  sector: 'tailings',
  protocol: 'modbus',
  points: [
    { id: 'phreaticDepth', name: { zh: '浸润线埋深', en: 'Phreatic line depth' }, table: 'holding', address: 0, type: 'float32', order: 'CDAB', unit: 'm', range: { min: 0, max: 100 } },
    { id: 'porePressure', name: { zh: '孔隙水压力', en: 'Pore-water pressure' }, table: 'holding', address: 2, type: 'float32', order: 'CDAB', unit: 'kPa', range: { min: 0, max: 1000 } },
    { id: 'frequency', name: { zh: '振弦频率', en: 'Wire frequency' }, table: 'holding', address: 4, type: 'float32', order: 'CDAB', unit: 'Hz', range: { min: 400, max: 6000 } },
    { id: 'temperature', name: { zh: '温度', en: 'Temperature' }, table: 'holding', address: 6, type: 'int16', scale: 0.1, unit: '°C', range: { min: -20, max: 80 } },
  ],
  status: [
    {
      id: 'channelStatus',
      name: { zh: '通道状态', en: 'Channel status' },
      table: 'holding',
      address: 7,
      codes: [
        { value: 0, state: 'normal' },
        { value: 1, state: 'fault', label: { zh: '断线', en: 'open wire' } },
        { value: 2, state: 'fault', label: { zh: '短路', en: 'short circuit' } },
        { value: 3, state: 'fault', label: { zh: '无谐振', en: 'no resonance' } },
      ],
      appliesTo: ['phreaticDepth', 'porePressure', 'frequency'],
    },
  ],
});
