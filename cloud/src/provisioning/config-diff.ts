/** A small structural diff of two JSON values, for the configuration audit trail. */
export interface DiffEntry {
  path: string;
  before?: unknown;
  after?: unknown;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function jsonDiff(before: unknown, after: unknown, path = '', out: DiffEntry[] = [], limit = 500): DiffEntry[] {
  if (out.length >= limit) return out;
  if (isObject(before) && isObject(after)) {
    for (const k of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
      jsonDiff(before[k], after[k], path ? `${path}.${k}` : k, out, limit);
    }
    return out;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    for (let i = 0; i < Math.max(before.length, after.length); i++) jsonDiff(before[i], after[i], `${path}[${i}]`, out, limit);
    return out;
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return out;
  out.push({ path: path || '(root)', ...(before !== undefined ? { before } : {}), ...(after !== undefined ? { after } : {}) });
  return out;
}
