/**
 * The alarm conformance table: sequences of (value, quality, reason, device-clock skew) → the alarm
 * and fault transitions a safety system must produce, each row citing its clause. One table, run
 * on three paths so the edge and the cloud cannot drift:
 *   - the shared evaluator itself (contract/test/alarm-conformance.test.ts),
 *   - the gateway agent end to end against a real Modbus TCP rig (test-rigs/test/conformance/),
 *   - the cloud rules engine end to end through a real Mosquitto (cloud/test/ingest/cloud-conformance.test.ts).
 * A row lists the paths it can run on: the Modbus rig stamps readings with the gateway's clock, so
 * device-clock rows run on the evaluator and cloud paths (and the gateway's HJ 212 path, separately).
 *
 * Expected events are written `raise GAS_2`, `raise GAS_2 over_range latched`, `clear GAS_1`,
 * `fault raise comm_lost`, `fault clear sensor_fault`, in the order they must happen.
 */
import type { AlarmLimitInput, Quality, ReasonCode } from '../src/index.ts';

export interface ConformanceStep {
  /** Seconds after the previous step (the first step is at t = 0). */
  dt: number;
  value: number | null;
  quality?: Quality;
  reason?: ReasonCode;
  /** The device clock is off by this many seconds (source time = gateway time + skew). */
  skewSec?: number;
  /** Repeat this reading `repeat` times, `dt` apart (a device polled while it stays in this state). */
  repeat?: number;
}

export type ConformancePath = 'evaluator' | 'gateway' | 'cloud';

export interface ConformanceRow {
  id: string;
  clause: string;
  title: string;
  /** Which rig point the gateway path drives: the catalytic detector's gas channel (0–100 %LEL, status codes). */
  kind: 'gas' | 'o2' | 'phreatic' | 'displacement';
  limits: AlarmLimitInput[];
  unit: string;
  range?: { min: number; max: number };
  steps: ConformanceStep[];
  expect: string[];
  paths: ConformancePath[];
}

const GAS_LIMITS: AlarmLimitInput[] = [
  { level: 'GAS_1', direction: 'high', value: 25, deadband: 2 },
  { level: 'GAS_2', direction: 'high', value: 50, deadband: 2 },
];
const GAS = { kind: 'gas' as const, limits: GAS_LIMITS, unit: '%LEL', range: { min: 0, max: 100 } };
const ALL: ConformancePath[] = ['evaluator', 'gateway', 'cloud'];
const NO_RIG: ConformancePath[] = ['evaluator', 'cloud'];

/** Clause references (DOMAIN.md §3, §7, §13). */
const GBT50493 = 'GB/T 50493-2019 §5.5.2 (一级 ≤ 25 %LEL, 二级 ≤ 50 %LEL)';
const FAULT = 'GB/T 50493-2019: fault signal distinct from the gas alarm; DOMAIN.md §7 fault alarms';
const OVER = 'GB 15322 over-range indication distinct from normal monitoring; DOMAIN.md §7 (over-range gas = 二级, latched) [D]';

export const CONFORMANCE: ConformanceRow[] = [
  {
    id: 'gas-ramp',
    clause: GBT50493,
    title: '一级/二级 gas rising and falling with deadband',
    ...GAS,
    steps: [{ dt: 0, value: 3 }, { dt: 1, value: 26 }, { dt: 1, value: 55 }, { dt: 1, value: 49 }, { dt: 1, value: 47.5 }, { dt: 1, value: 24 }, { dt: 1, value: 22 }, { dt: 1, value: 3 }],
    expect: ['raise GAS_1', 'raise GAS_2', 'clear GAS_2', 'clear GAS_1'],
    paths: ALL,
  },
  {
    id: 'over-range-jump',
    clause: OVER,
    title: 'a detector jumping from 3 to 110 %LEL (above its 0–100 range) raises 二级 at once',
    ...GAS,
    steps: [{ dt: 0, value: 3 }, { dt: 1, value: 110, quality: 'uncertain', reason: 'out_of_range', repeat: 3 }, { dt: 1, value: 3, repeat: 2 }],
    expect: ['raise GAS_1 over_range latched', 'raise GAS_2 over_range latched', 'clear GAS_1', 'clear GAS_2'],
    paths: ALL,
  },
  {
    id: 'under-range',
    clause: 'DOMAIN.md §7: below range beyond tolerance is a fault; GB/T 50493 fault signal',
    title: 'a negative reading beyond 1 % of span is an under-range fault, not a value; slight drift is not',
    ...GAS,
    steps: [{ dt: 0, value: 0 }, { dt: 1, value: -0.5, quality: 'uncertain', reason: 'out_of_range' }, { dt: 1, value: -8, quality: 'uncertain', reason: 'out_of_range', repeat: 3 }, { dt: 1, value: 1, repeat: 8 }],
    expect: ['fault raise under_range', 'fault clear under_range'],
    paths: ALL,
  },
  {
    id: 'fault-bit',
    clause: FAULT,
    title: 'the detector reports a fault: a fault alarm titled as such; its value raises nothing; it clears after good data holds',
    ...GAS,
    steps: [{ dt: 0, value: 3 }, { dt: 1, value: 80, quality: 'bad', reason: 'sensor_fault', repeat: 4 }, { dt: 1, value: 3, repeat: 8 }],
    expect: ['fault raise sensor_fault', 'fault clear sensor_fault'],
    paths: ALL,
  },
  {
    id: 'fault-holds-alarm',
    clause: `${FAULT}; DOMAIN.md §7: bad data never clears`,
    title: 'a fault during an active 二级 alarm neither clears nor re-raises it',
    ...GAS,
    steps: [{ dt: 0, value: 60 }, { dt: 1, value: 0, quality: 'bad', reason: 'sensor_fault', repeat: 3 }, { dt: 1, value: 60, repeat: 8 }],
    expect: ['raise GAS_1', 'raise GAS_2', 'fault raise sensor_fault', 'fault clear sensor_fault'],
    paths: ALL,
  },
  {
    id: 'calibration',
    clause: 'DOMAIN.md §7; HJ 212-2017 flag C (calibration: alarm evaluation suppressed, occurrence recorded)',
    title: 'calibration gas at 60 %LEL raises no gas alarm; calibration is recorded as its own fault alarm',
    ...GAS,
    steps: [{ dt: 0, value: 2 }, { dt: 1, value: 60, quality: 'uncertain', reason: 'calibration', repeat: 4 }, { dt: 1, value: 2, repeat: 8 }],
    expect: ['fault raise calibration', 'fault clear calibration'],
    paths: ALL,
  },
  {
    id: 'comm-loss-30s',
    clause: 'DESIGN.md guarantee 4 (a silent device shown within a bounded time); DOMAIN.md §7 (no flapping)',
    title: 'a 30 s outage: exactly one comm-loss fault, cleared once after the device is back',
    ...GAS,
    steps: [
      { dt: 0, value: 3, repeat: 2 },
      { dt: 1, value: null, quality: 'bad', reason: 'timeout' },
      { dt: 1, value: null, quality: 'bad', reason: 'comm_lost', repeat: 29 },
      { dt: 1, value: 3, repeat: 8 },
    ],
    expect: ['fault raise comm_lost', 'fault clear comm_lost'],
    paths: ALL,
  },
  {
    id: 'comm-flaps',
    clause: 'DOMAIN.md §7: a fault clears only after good data has held (no flapping)',
    title: 'a link that comes and goes for 5 min (one good poll in three) raises one comm-loss fault and never clears it meanwhile',
    ...GAS,
    steps: [
      { dt: 0, value: 3 },
      ...Array.from({ length: 100 }, (): ConformanceStep[] => [{ dt: 1, value: null, quality: 'bad', reason: 'comm_lost', repeat: 2 }, { dt: 1, value: 3 }]).flat(),
      { dt: 1, value: 3, repeat: 8 },
    ],
    expect: ['fault raise comm_lost', 'fault clear comm_lost'],
    paths: NO_RIG,
  },
  {
    id: 'comm-loss-5min',
    clause: 'DESIGN.md guarantee 4; DOMAIN.md §7',
    title: 'a 5 min outage during an active 一级 alarm: one fault, the gas alarm neither cleared nor re-raised',
    ...GAS,
    steps: [{ dt: 0, value: 30 }, { dt: 1, value: null, quality: 'bad', reason: 'comm_lost', repeat: 300 }, { dt: 1, value: 30, repeat: 8 }, { dt: 1, value: 5 }],
    expect: ['raise GAS_1', 'fault raise comm_lost', 'fault clear comm_lost', 'clear GAS_1'],
    paths: NO_RIG,
  },
  {
    id: 'o2-low',
    clause: 'GB/T 50493-2019 §5.5.2 (欠氧 19.5 %VOL, 过氧 23.5 %VOL)',
    title: 'oxygen falling below 19.5 %VOL raises the low alarm; it clears beyond the deadband',
    kind: 'o2',
    unit: '%VOL',
    range: { min: 0, max: 25 },
    limits: [
      { level: 'GAS_1', direction: 'high', value: 23.5, deadband: 0.2 },
      { level: 'GAS_2', direction: 'low', value: 19.5, deadband: 0.2 },
    ],
    steps: [{ dt: 0, value: 20.9 }, { dt: 1, value: 19.4 }, { dt: 1, value: 19.6 }, { dt: 1, value: 19.8 }, { dt: 1, value: 20.9 }],
    expect: ['raise GAS_2', 'clear GAS_2'],
    paths: NO_RIG,
  },
  {
    id: 'phreatic',
    clause: 'GB 51108-2015 §8.3 commentary (浸润线 orange = 1.1 × red); GB 50863-2013 §5.5 four colours',
    title: 'phreatic depth falling below the orange then the red control depth raises L then LL',
    kind: 'phreatic',
    unit: 'm',
    limits: [
      { level: 'L', direction: 'low', value: 6.6, deadband: 0.1 },
      { level: 'LL', direction: 'low', value: 6.0, deadband: 0.1 },
    ],
    steps: [{ dt: 0, value: 8 }, { dt: 60, value: 6.5 }, { dt: 60, value: 5.9 }, { dt: 60, value: 6.05 }, { dt: 60, value: 6.2 }, { dt: 60, value: 7 }],
    expect: ['raise L', 'raise LL', 'clear LL', 'clear L'],
    paths: NO_RIG,
  },
  {
    id: 'displacement',
    clause: 'GB 51108-2015 §8.3 (滑坡体位移 orange = 80 % of red); DOMAIN.md §3.2',
    title: 'dam displacement crossing orange (H) and red (HH) with an on-delay against a single noisy fix',
    kind: 'displacement',
    unit: 'mm',
    limits: [
      { level: 'H', direction: 'high', value: 40, deadband: 2, onDelaySec: 120 },
      { level: 'HH', direction: 'high', value: 50, deadband: 2, onDelaySec: 120 },
    ],
    steps: [{ dt: 0, value: 10 }, { dt: 60, value: 55 }, { dt: 60, value: 12 }, { dt: 60, value: 42, repeat: 3 }, { dt: 60, value: 52, repeat: 3 }, { dt: 60, value: 30, repeat: 2 }],
    expect: ['raise H', 'raise HH', 'clear H', 'clear HH'],
    paths: NO_RIG,
  },
  {
    id: 'chattering',
    clause: 'ISA-18.2 / IEC 62682 (deadband against chattering); DOMAIN.md §7',
    title: 'a value wandering 49–51 %LEL around the 二级 limit raises once and does not chatter',
    ...GAS,
    steps: [{ dt: 0, value: 40 }, ...[51, 49, 50.5, 48.5, 51, 49.5, 50, 48.2].map((v): ConformanceStep => ({ dt: 1, value: v })), { dt: 1, value: 40 }],
    expect: ['raise GAS_1', 'raise GAS_2', 'clear GAS_2'],
    paths: ALL,
  },
  {
    id: 'clock-ahead-3d',
    clause: 'DOMAIN.md §7: source times far ahead are bad_time; the latest value is the latest arrival',
    title: 'a reading stamped 3 days ahead still alarms on its value (judged on the gateway clock), and the device clock is a fault',
    ...GAS,
    steps: [{ dt: 0, value: 3 }, { dt: 1, value: 60, quality: 'uncertain', reason: 'bad_time', skewSec: 3 * 86_400 }, { dt: 1, value: 3, repeat: 8 }],
    expect: ['fault raise bad_time', 'raise GAS_1', 'raise GAS_2', 'clear GAS_1', 'clear GAS_2', 'fault clear bad_time'],
    paths: NO_RIG,
  },
  {
    id: 'clock-behind-8h',
    clause: 'DOMAIN.md §7: a logger in the wrong time zone (8 h behind) is bad_time, its values still judged',
    title: 'readings 8 h behind: a bad-time fault, and the gas alarm still raises and clears on the values',
    ...GAS,
    steps: [{ dt: 0, value: 30, quality: 'uncertain', reason: 'bad_time', skewSec: -8 * 3600 }, { dt: 1, value: 10, quality: 'uncertain', reason: 'bad_time', skewSec: -8 * 3600 }],
    expect: ['fault raise bad_time', 'raise GAS_1', 'clear GAS_1'],
    paths: NO_RIG,
  },
];

/** Evaluator settings every path uses for the table (hold: 3 s and 2 readings). */
export const CONFORMANCE_POLICY = { faultClearHoldSec: 3, faultClearReadings: 2, overRangeLatch: true };

export interface TimedReading {
  /** Seconds from the row's start. */
  t: number;
  value: number | null;
  quality: Quality;
  reason?: ReasonCode;
  skewSec: number;
}

/** The row's steps expanded into one reading per poll. */
export function expandSteps(row: ConformanceRow): TimedReading[] {
  const out: TimedReading[] = [];
  let t = 0;
  for (const s of row.steps) {
    for (let i = 0; i < (s.repeat ?? 1); i++) {
      if (out.length > 0) t += i === 0 ? s.dt : s.dt || 1;
      out.push({ t, value: s.value, quality: s.quality ?? 'good', ...(s.reason ? { reason: s.reason } : {}), skewSec: s.skewSec ?? 0 });
    }
  }
  return out;
}

/** An evaluator event in the table's notation. */
export function describe(e: { type: 'limit' | 'fault' | 'alarm'; kind: 'raised' | 'cleared'; level?: string; fault?: string; cause?: string; latched?: boolean }): string {
  const verb = e.kind === 'raised' ? 'raise' : 'clear';
  if (e.type === 'fault') return `fault ${verb} ${e.fault}`;
  if (e.kind === 'cleared') return `${verb} ${e.level}`;
  return [verb, e.level, e.cause === 'over_range' ? 'over_range' : '', e.latched ? 'latched' : ''].filter(Boolean).join(' ');
}
