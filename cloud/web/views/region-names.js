// Region code → name, from /api/regions (GB/T 2260 codes).
import { itemsOf } from '../api.js';

export function regionName(regionList, code) {
  if (!code) return '';
  const r = itemsOf(regionList).find((x) => x.code === code);
  return r?.name ?? code;
}
