/** Build a contract Reading without undefined optional fields (exactOptionalPropertyTypes). */
import type { Quality, Reading, ReadingValue, ReasonCode } from '@safeloop/contract';

export interface ReadingParts {
  point: string;
  value: ReadingValue;
  unit?: string | undefined;
  quality: Quality;
  reason?: ReasonCode | undefined;
  detail?: string | undefined;
  sourceTime: number;
  gatewayTime: number;
  historical?: boolean | undefined;
}

export function makeReading(p: ReadingParts): Reading {
  const r: Reading = { point: p.point, value: p.value, quality: p.quality, sourceTime: p.sourceTime, gatewayTime: p.gatewayTime };
  if (p.unit !== undefined) r.unit = p.unit;
  if (p.reason !== undefined) r.reason = p.reason;
  if (p.detail !== undefined) r.detail = p.detail.slice(0, 200);
  if (p.historical === true) r.historical = true;
  return r;
}

const QUALITY_RANK: Record<Quality, number> = { good: 0, uncertain: 1, bad: 2 };

/** The worse of two qualities (ties keep the first). */
export function worseQuality<T extends { quality: Quality }>(a: T, b: T): T {
  return QUALITY_RANK[b.quality] > QUALITY_RANK[a.quality] ? b : a;
}

/** Epoch-ms bounds of the contract (EpochMsSchema). */
export function isSaneEpochMs(t: number): boolean {
  return Number.isInteger(t) && t >= 946_684_800_000 && t <= 4_102_444_800_000;
}
