import { GASES, gasChannel, type GasKind } from '../src/fragments.ts';
import { defineProfile } from '../src/schema.ts';

const CHANNEL_GASES: readonly { gas: GasKind; scale: number }[] = [
  { gas: GASES.combustible, scale: 0.1 },
  { gas: GASES.combustible, scale: 0.1 },
  { gas: GASES.combustible, scale: 0.1 },
  { gas: GASES.combustible, scale: 0.1 },
  { gas: GASES.combustible, scale: 0.1 },
  { gas: GASES.combustible, scale: 0.1 },
  { gas: GASES.h2s, scale: 0.1 },
  { gas: GASES.o2, scale: 0.1 },
];

const channels = CHANNEL_GASES.map(({ gas, scale }, i) =>
  gasChannel({
    id: `ch${i + 1}`,
    gas,
    table: 'holding',
    valueAddress: i,
    type: 'int16',
    scale,
    statusAddress: 16 + i,
    prefix: { zh: `通道${i + 1} `, en: `Channel ${i + 1} ` },
    sentinels: [-32768],
  }),
);

/**
 * Gas alarm controller (气体报警控制器) with eight detector channels behind one Modbus address.
 * Holding registers: 40001–40008 channel concentrations (int16 × 0.1; 0x8000 = channel not fitted
 * or no measurement), 40017–40024 channel status codes (0 normal, 1 一级, 2 二级, 3 fault,
 * 4 calibration, 5 warm-up, 6 inhibited), 40033 controller flags (bit 0 on battery, bit 1 controller
 * fault → every channel bad). Channels 1–6 combustible %LEL, 7 H2S mg/m3, 8 O2 %VOL: a site with a
 * different fit copies this file and changes CHANNEL_GASES.
 */
export default defineProfile({
  id: 'generic-gas-controller-8ch',
  name: { zh: '八通道气体报警控制器', en: 'Gas alarm controller, 8 channels' },
  sector: 'hazchem',
  protocol: 'modbus',
  points: [
    ...channels.flatMap((c) => c.points),
    { id: 'onBattery', name: { zh: '备电供电', en: 'On battery' }, table: 'holding', address: 32, type: 'bit', bit: 0 },
  ],
  status: [
    ...channels.flatMap((c) => c.status),
    {
      id: 'controllerStatus',
      name: { zh: '控制器状态', en: 'Controller status' },
      table: 'holding',
      address: 32,
      bits: [{ bit: 1, state: 'fault', label: { zh: '控制器故障', en: 'controller fault' } }],
      appliesTo: channels.flatMap((c) => c.points.map((p) => p.id)),
    },
  ],
});
