/** Profile files (YAML or JSON) from disk: load one, or validate many and report every problem. */
import { readFileSync } from 'node:fs';
import { ConfigError, errorMessage, formatIssuePath, parseConfigText } from '@safeloop/contract';
import { LIBRARY_PROFILE_SOURCES } from '../profiles/index.ts';
import { DeviceProfileSchema, type DeviceProfile } from './schema.ts';

export interface FileProblems {
  file: string;
  problems: { path: string; message: string }[];
}

function parseProfileFile(file: string): { profile?: DeviceProfile; problems: FileProblems['problems'] } {
  if (/\.[cm]?[jt]s$/.test(file)) {
    return { problems: [{ path: '(file)', message: 'profile files are YAML or JSON; library profiles (.ts) are checked by the library tests' }] };
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { problems: [{ path: '(file)', message: errorMessage(err) }] };
  }
  let raw: unknown;
  try {
    raw = parseConfigText(file, text);
  } catch (err) {
    if (err instanceof ConfigError) return { problems: [...err.problems] };
    throw err;
  }
  const parsed = DeviceProfileSchema.safeParse(raw);
  if (parsed.success) return { profile: parsed.data, problems: [] };
  return { problems: parsed.error.issues.map((i) => ({ path: formatIssuePath(i.path), message: i.message })) };
}

/** Load and validate one profile file; throws ConfigError naming the file and each path that is wrong. */
export function loadProfileFile(file: string): DeviceProfile {
  const { profile, problems } = parseProfileFile(file);
  if (profile === undefined) throw new ConfigError(file, problems);
  return profile;
}

function libraryIds(): Set<string> {
  return new Set(LIBRARY_PROFILE_SOURCES.map((s) => (typeof s === 'object' && s !== null && 'id' in s ? String(s.id) : '')));
}

/**
 * Validate profile files (schema and semantic checks). One entry per file, in order; an empty
 * `problems` means the file is valid. A profile id repeated across the files, or taken by a library
 * profile (which one would a device instance get?), is a problem too.
 */
export function validateProfileFiles(paths: readonly string[]): FileProblems[] {
  const firstFileOfId = new Map<string, string>();
  const library = libraryIds();
  return paths.map((file) => {
    const { profile, problems } = parseProfileFile(file);
    if (profile !== undefined) {
      const other = firstFileOfId.get(profile.id);
      if (library.has(profile.id)) problems.push({ path: 'id', message: `profile id "${profile.id}" is a library profile id; choose another` });
      else if (other !== undefined) problems.push({ path: 'id', message: `profile id "${profile.id}" is also used by ${other}` });
      else firstFileOfId.set(profile.id, file);
    }
    return { file, problems };
  });
}

/**
 * Validate the built-in library without throwing (listProfiles throws on the first bad profile):
 * one entry per library profile, `file` being `device-profiles/profiles/<id>.ts`.
 */
export function validateLibraryProfiles(): FileProblems[] {
  return LIBRARY_PROFILE_SOURCES.map((source) => {
    const id = typeof source === 'object' && source !== null && 'id' in source ? String(source.id) : '(no id)';
    const parsed = DeviceProfileSchema.safeParse(source);
    return {
      file: `device-profiles/profiles/${id}.ts`,
      problems: parsed.success ? [] : parsed.error.issues.map((i) => ({ path: formatIssuePath(i.path), message: i.message })),
    };
  });
}
