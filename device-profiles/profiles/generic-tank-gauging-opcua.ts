import { defineProfile } from '../src/schema.ts';

/**
 * Tank gauging system (radar level with temperature and pressure) exposed by a DCS or tank-gauging
 * server over OPC-UA. One profile per tank naming convention `ns=1;s=Tank01.<Quantity>`; a site with
 * other node ids copies this file. Limits are typical defaults for a 20 m atmospheric tank.
 */
export default defineProfile({
  id: 'generic-tank-gauging-opcua',
  name: { zh: '储罐液位计量系统 (OPC-UA)', en: 'Tank gauging system (OPC-UA)' },
  sector: 'hazchem',
  protocol: 'opcua',
  description: 'Level (m), temperature (°C) and pressure (MPa) of one tank: 高高液位联锁切断进料 at HH.',
  points: [
    {
      id: 'level',
      name: { zh: '储罐液位', en: 'Tank level' },
      nodeId: 'ns=1;s=Tank01.Level',
      dataType: 'Double',
      unit: 'm',
      range: { min: 0, max: 20 },
      limits: [
        { level: 'LL', direction: 'low', value: 0.5 },
        { level: 'L', direction: 'low', value: 1.0 },
        { level: 'H', direction: 'high', value: 16.0, deadband: 0.05 },
        { level: 'HH', direction: 'high', value: 18.0, deadband: 0.05 },
      ],
    },
    {
      id: 'temperature',
      name: { zh: '储罐温度', en: 'Tank temperature' },
      nodeId: 'ns=1;s=Tank01.Temperature',
      dataType: 'Double',
      unit: '°C',
      range: { min: -50, max: 200 },
      limits: [
        { level: 'LL', direction: 'low', value: -20 },
        { level: 'L', direction: 'low', value: -10 },
        { level: 'H', direction: 'high', value: 45, deadband: 0.5 },
        { level: 'HH', direction: 'high', value: 55, deadband: 0.5 },
      ],
    },
    {
      id: 'pressure',
      name: { zh: '储罐压力', en: 'Tank pressure' },
      nodeId: 'ns=1;s=Tank01.Pressure',
      dataType: 'Double',
      unit: 'MPa',
      range: { min: 0, max: 2.5 },
      limits: [
        { level: 'LL', direction: 'low', value: 0.05 },
        { level: 'L', direction: 'low', value: 0.1 },
        { level: 'H', direction: 'high', value: 1.6, deadband: 0.01 },
        { level: 'HH', direction: 'high', value: 1.8, deadband: 0.01 },
      ],
    },
  ],
});
