import { gasChannelStatusCodes } from '../src/fragments.ts';
import { defineProfile } from '../src/schema.ts';

const channels = [
  { id: 'co', zh: '一氧化碳', en: 'CO' },
  { id: 'no2', zh: '二氧化氮', en: 'NO2' },
  { id: 'o2', zh: '氧气', en: 'Oxygen' },
] as const;

/**
 * Underground multi-gas monitor for metal and non-metal mines (AQ 2031: toxic gases), Modbus.
 * Holding registers: 40001 CO ppm (uint16), 40002 NO2 0.1 ppm, 40003 O2 0.1 %VOL (0xFFFF = no
 * measurement on any channel), 40004–40006 channel status codes (as gas detectors: 3 fault,
 * 4 calibration, 5 warm-up, 6 inhibited). Limits follow non-coal practice (DOMAIN.md §3.4 [K]):
 * CO 24 ppm, NO2 2.5 ppm, O2 below 19.5 %VOL.
 */
export default defineProfile({
  id: 'generic-mine-multigas',
  name: { zh: '矿用多参数气体监测仪', en: 'Mine multi-gas monitor' },
  sector: 'nonCoal',
  protocol: 'modbus',
  points: [
    { id: 'co', name: { zh: '一氧化碳浓度', en: 'CO concentration' }, table: 'holding', address: 0, type: 'uint16', unit: 'ppm', range: { min: 0, max: 1000 }, sentinels: [0xffff], limits: [{ level: 'H', direction: 'high', value: 24 }] },
    { id: 'no2', name: { zh: '二氧化氮浓度', en: 'NO2 concentration' }, table: 'holding', address: 1, type: 'uint16', scale: 0.1, unit: 'ppm', range: { min: 0, max: 20 }, sentinels: [0xffff], limits: [{ level: 'H', direction: 'high', value: 2.5 }] },
    { id: 'o2', name: { zh: '氧气浓度', en: 'Oxygen concentration' }, table: 'holding', address: 2, type: 'uint16', scale: 0.1, unit: '%VOL', range: { min: 0, max: 25 }, sentinels: [0xffff], limits: [{ level: 'L', direction: 'low', value: 19.5 }] },
  ],
  status: channels.map((c, i) => ({
    id: `${c.id}Status`,
    name: { zh: `${c.zh}通道状态`, en: `${c.en} channel status` },
    table: 'holding' as const,
    address: 3 + i,
    codes: gasChannelStatusCodes(),
    appliesTo: [c.id],
  })),
});
