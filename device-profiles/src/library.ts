/** The built-in profile library: every file in profiles/, indexed by profiles/index.ts (generated). */
import { SafeLoopError } from '@safeloop/contract';
import { LIBRARY_PROFILE_SOURCES } from '../profiles/index.ts';
import { DeviceProfileSchema, type DeviceProfile } from './schema.ts';

let parsed: readonly DeviceProfile[] | undefined;
let byId: ReadonlyMap<string, DeviceProfile> | undefined;

/** Every library profile, parsed (defaults filled) and checked; parsed once, then frozen. */
export function listProfiles(): readonly DeviceProfile[] {
  if (parsed === undefined) {
    parsed = Object.freeze(
      LIBRARY_PROFILE_SOURCES.map((source) => {
        const result = DeviceProfileSchema.safeParse(source);
        if (!result.success) {
          const id = typeof source === 'object' && source !== null && 'id' in source ? String(source.id) : '?';
          throw new SafeLoopError('PROFILE_LIBRARY_INVALID', `library profile ${id}: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
        }
        return deepFreeze(result.data);
      }),
    );
    byId = new Map(parsed.map((p) => [p.id, p]));
  }
  return parsed;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** Library ids that look like `id` (typo distance or shared words), best first. */
export function nearProfileIds(id: string, max = 5): string[] {
  const words = id.toLowerCase().split(/[-_\s]+/).filter((w) => w.length > 1 && w !== 'generic');
  return listProfiles()
    .map((p) => ({ id: p.id, d: editDistance(id.toLowerCase(), p.id), shared: words.filter((w) => p.id.includes(w)).length }))
    .filter((x) => x.d <= Math.max(3, Math.floor(id.length / 3)) || x.shared > 0)
    .sort((a, b) => b.shared - a.shared || a.d - b.d || a.id.localeCompare(b.id))
    .slice(0, max)
    .map((x) => x.id);
}

/** A library profile by id; throws SafeLoopError PROFILE_NOT_FOUND naming the nearest ids. */
export function getProfile(id: string): DeviceProfile {
  listProfiles();
  const found = byId?.get(id);
  if (found !== undefined) return found;
  const near = nearProfileIds(id);
  throw new SafeLoopError(
    'PROFILE_NOT_FOUND',
    `no device profile "${id}"${near.length > 0 ? `; did you mean ${near.join(', ')}?` : ''} (safeloop profile list shows all)`,
    { details: { id, near } },
  );
}
