/**
 * Status / enumeration registers: a device's own word on its state (fault, calibration, maintenance …),
 * turned into a quality verdict for the points each register covers.
 */
import type { DeviceState, StatusRegister } from './schema.ts';
import type { QualityVerdict } from './transform.ts';

const STATE_RANK: Record<DeviceState, number> = { normal: 0, alarm: 0, stopped: 2, warmup: 3, maintenance: 3, calibration: 4, fault: 5 };

export function stateVerdict(state: DeviceState, detail: string): QualityVerdict {
  switch (state) {
    case 'normal':
    case 'alarm':
      return { quality: 'good' };
    case 'fault':
      return { quality: 'bad', reason: 'sensor_fault', detail };
    case 'calibration':
      return { quality: 'uncertain', reason: 'calibration', detail };
    case 'maintenance':
      return { quality: 'uncertain', reason: 'maintenance', detail };
    case 'warmup':
      return { quality: 'uncertain', reason: 'warmup', detail };
    case 'stopped':
      return { quality: 'uncertain', reason: 'stopped', detail };
  }
}

/** The verdict one status register gives, from its raw register (or bit) value. */
export function statusVerdict(reg: StatusRegister, rawValue: number): QualityVerdict {
  const masked = reg.mask === undefined ? rawValue : rawValue & reg.mask;
  const found: { state: DeviceState; what: string }[] = [];
  const code = reg.codes.find((c) => c.value === masked);
  if (code !== undefined) found.push({ state: code.state, what: code.label?.en ?? code.state });
  for (const b of reg.bits) {
    if (((rawValue >> b.bit) & 1) === 1) found.push({ state: b.state, what: b.label?.en ?? `${b.state} (bit ${b.bit})` });
  }
  if (found.length === 0) {
    if (reg.codes.length > 0) {
      return { quality: reg.unknownCode, reason: 'decode_error', detail: `${reg.id}: unknown status code ${masked}` };
    }
    return { quality: 'good' };
  }
  const worst = found.reduce((a, b) => (STATE_RANK[b.state] > STATE_RANK[a.state] ? b : a));
  return stateVerdict(worst.state, `${reg.id}: ${worst.what}`);
}
