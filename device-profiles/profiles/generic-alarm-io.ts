import { defineProfile } from '../src/schema.ts';

/**
 * Audible-visual alarm (声光报警器) driven through a small Modbus remote I/O module: coil 00001 the
 * horn relay (声), coil 00002 the beacon relay (光), discrete input 10001 the local acknowledge push
 * button (确认/消音), discrete input 10002 the sounder's own fault contact. The gateway's local siren
 * output writes the coils (allow-listed in the instance) and reads the button to silence.
 */
export default defineProfile({
  id: 'generic-alarm-io',
  name: { zh: '声光报警器 I/O 模块', en: 'Audible-visual alarm I/O module' },
  sector: 'general',
  protocol: 'modbus',
  points: [
    { id: 'horn', name: { zh: '声报警输出', en: 'Horn output' }, table: 'coil', address: 0, type: 'bool', writable: true },
    { id: 'beacon', name: { zh: '光报警输出', en: 'Beacon output' }, table: 'coil', address: 1, type: 'bool', writable: true },
    { id: 'ackButton', name: { zh: '现场确认按钮', en: 'Local acknowledge button' }, table: 'discrete', address: 0, type: 'bool' },
    { id: 'sounderFault', name: { zh: '报警器故障', en: 'Sounder fault' }, table: 'discrete', address: 1, type: 'bool' },
  ],
});
