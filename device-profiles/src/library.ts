/** The built-in profile library: the YAML files in device-profiles/profiles/, read once. */
import { ProfileCatalog } from './catalog.ts';
import type { DeviceProfile } from './schema.ts';

let library: ProfileCatalog | undefined;

/** The library alone as a catalog (read on first use; throws PROFILE_INVALID if a file is bad). */
export function libraryCatalog(): ProfileCatalog {
  library ??= ProfileCatalog.load();
  return library;
}

let parsed: readonly DeviceProfile[] | undefined;

/** Every library profile, parsed (defaults filled), checked and frozen. */
export function listProfiles(): readonly DeviceProfile[] {
  parsed ??= Object.freeze(libraryCatalog().entries().map((e) => e.profile));
  return parsed;
}

/** Library ids that look like `id` (typo distance or shared words), best first. */
export function nearProfileIds(id: string, max = 5): string[] {
  return libraryCatalog().nearIds(id, max);
}

/** A library profile by id (or a profile file by path); throws SafeLoopError PROFILE_NOT_FOUND naming the nearest ids. */
export function getProfile(id: string): DeviceProfile {
  return libraryCatalog().get(id);
}
