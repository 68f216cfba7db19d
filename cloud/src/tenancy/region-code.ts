/**
 * GB/T 2260 administrative-division codes, kept in their short canonical form so that a region's
 * descendants are exactly the codes that start with it: province `36`, city `3601`, county `360102`.
 * Six-digit forms with trailing zeros (`360000`, `360100`) are accepted and shortened.
 */
import { SafeLoopError } from '@safeloop/contract';

export type RegionLevel = 'province' | 'city' | 'county';

export function canonicalRegionCode(input: string): string {
  const raw = input.trim();
  if (!/^\d{2}(\d{2}(\d{2})?)?$/.test(raw)) {
    throw new SafeLoopError('CLOUD_ERR_VALIDATION', `region code must be 2, 4 or 6 digits (GB/T 2260): ${JSON.stringify(input)}`);
  }
  if (raw.length === 6 && raw.endsWith('0000')) return raw.slice(0, 2);
  if (raw.length === 6 && raw.endsWith('00')) return raw.slice(0, 4);
  if (raw.length === 4 && raw.endsWith('00')) return raw.slice(0, 2);
  return raw;
}

export function regionLevel(code: string): RegionLevel {
  const c = canonicalRegionCode(code);
  return c.length === 2 ? 'province' : c.length === 4 ? 'city' : 'county';
}

export function parentRegionCode(code: string): string | undefined {
  const c = canonicalRegionCode(code);
  return c.length === 2 ? undefined : c.slice(0, c.length - 2);
}

/** `360102` → `['36', '3601', '360102']`. */
export function regionAncestry(code: string): string[] {
  const c = canonicalRegionCode(code);
  const out: string[] = [];
  for (let len = 2; len <= c.length; len += 2) out.push(c.slice(0, len));
  return out;
}

/** True when `code` is `ancestor` or lies below it. */
export function regionContains(ancestor: string, code: string): boolean {
  return canonicalRegionCode(code).startsWith(canonicalRegionCode(ancestor));
}
