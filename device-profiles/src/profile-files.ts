/** Profile files (YAML or JSON) from disk: load one, or validate many and report every problem. */
import { resolve } from 'node:path';
import { ConfigError } from '@safeloop/contract';
import { LIBRARY_DIR } from './catalog.ts';
import { profileFilesIn, scanProfileFiles, type FileProblems } from './profile-scan.ts';
import type { DeviceProfile } from './schema.ts';

export type { FileProblems } from './profile-scan.ts';

const libraryInputs = (): { file: string; library: boolean }[] => profileFilesIn(LIBRARY_DIR).map((file) => ({ file, library: true }));

/**
 * Validate profile files (schema and cross-field checks together, `extends` resolved against the
 * library and the other files). One entry per file, in order; an empty `problems` means valid. A
 * profile id repeated across the files, or taken by a library profile, is a problem naming the other file.
 */
export function validateProfileFiles(paths: readonly string[]): FileProblems[] {
  // The library first, so a user file repeating a library id is the one reported; a library file
  // given explicitly is scanned once (as part of the library).
  const scanned = scanProfileFiles([...libraryInputs(), ...paths.map((file) => ({ file, library: false }))]);
  return paths.map((file) => {
    const r = scanned.find((s) => resolve(s.file) === resolve(file));
    return { file, problems: r ? r.problems : [] };
  });
}

/** Load and validate one profile file; throws ConfigError naming the file and each path that is wrong. */
export function loadProfileFile(file: string): DeviceProfile {
  const result = scanProfileFiles([...libraryInputs(), { file, library: false }]).find((s) => resolve(s.file) === resolve(file));
  if (result?.profile === undefined) throw new ConfigError(file, result?.problems ?? []);
  return result.profile;
}

/** Validate the built-in library without throwing: one entry per library file. */
export function validateLibraryProfiles(): FileProblems[] {
  return scanProfileFiles(libraryInputs()).map((r) => ({ file: r.file, problems: r.problems }));
}
