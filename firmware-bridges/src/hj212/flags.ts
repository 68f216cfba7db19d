/** HJ 212 data flags → reading quality and reason (DOMAIN.md §8, mapping [D]). */
import type { Quality, ReasonCode } from '@safeloop/contract';

export interface FlagQuality {
  quality: Quality;
  reason?: ReasonCode;
  detail?: string;
}

export const HJ212_FLAG_QUALITY: Readonly<Record<string, FlagQuality>> = {
  N: { quality: 'good' },
  T: { quality: 'bad', reason: 'out_of_range', detail: 'HJ 212 flag T: over the upper range' },
  D: { quality: 'bad', reason: 'sensor_fault', detail: 'HJ 212 flag D: instrument fault' },
  B: { quality: 'bad', reason: 'comm_lost', detail: 'HJ 212 flag B: instrument-logger comms fault' },
  F: { quality: 'uncertain', reason: 'stopped', detail: 'HJ 212 flag F: stopped' },
  M: { quality: 'uncertain', reason: 'maintenance', detail: 'HJ 212 flag M: maintenance' },
  C: { quality: 'uncertain', reason: 'calibration', detail: 'HJ 212 flag C: calibration' },
  S: { quality: 'uncertain', reason: 'manual', detail: 'HJ 212 flag S: manual value' },
};

/** Quality for a data flag; an absent flag is N, an unknown one reads uncertain `bridge_flag`. */
export function hj212FlagQuality(flag: string | undefined): FlagQuality {
  if (flag === undefined || flag === '') return { quality: 'good' };
  return HJ212_FLAG_QUALITY[flag] ?? { quality: 'uncertain', reason: 'bridge_flag', detail: `HJ 212 flag ${flag.slice(0, 8)}: unknown` };
}
