import { defineProfile } from '../src/schema.ts';

/**
 * Emergency shut-down (紧急切断) valve position through a remote I/O module, Modbus. Discrete inputs:
 * 10001 open limit switch, 10002 closed limit switch, 10003 actuator fault (fault makes both
 * positions bad `sensor_fault`), 10004 local/remote selector (1 = remote). Coil 00001 close command,
 * writable (the only write; allow-listed in the instance). Open and closed both true or both false
 * for longer than the stroke time is a position mismatch: the rules engine raises it.
 */
export default defineProfile({
  id: 'generic-esd-valve',
  name: { zh: '紧急切断阀阀位', en: 'ESD valve position' },
  sector: 'hazchem',
  protocol: 'modbus',
  points: [
    { id: 'open', name: { zh: '全开到位', en: 'Open limit' }, table: 'discrete', address: 0, type: 'bool' },
    { id: 'closed', name: { zh: '全关到位', en: 'Closed limit' }, table: 'discrete', address: 1, type: 'bool' },
    { id: 'remote', name: { zh: '远程模式', en: 'Remote mode' }, table: 'discrete', address: 3, type: 'bool' },
    { id: 'closeCommand', name: { zh: '关阀指令', en: 'Close command' }, table: 'coil', address: 0, type: 'bool', writable: true },
  ],
  status: [
    {
      id: 'actuatorFault',
      name: { zh: '执行机构故障', en: 'Actuator fault' },
      table: 'discrete',
      address: 2,
      codes: [
        { value: 0, state: 'normal' },
        { value: 1, state: 'fault', label: { zh: '执行机构故障', en: 'actuator fault' } },
      ],
      appliesTo: ['open', 'closed'],
    },
  ],
});
