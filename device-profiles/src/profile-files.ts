/** Profile files (YAML or JSON) from disk: load one, or validate many and report every problem. */
import { readFileSync } from 'node:fs';
import { ConfigError, errorMessage, formatIssuePath, parseConfigText } from '@safeloop/contract';
import { DeviceProfileSchema, type DeviceProfile } from './schema.ts';

export interface FileProblems {
  file: string;
  problems: { path: string; message: string }[];
}

function parseProfileFile(file: string): { profile?: DeviceProfile; problems: FileProblems['problems'] } {
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

/**
 * Validate profile files (schema and semantic checks). One entry per file, in order; an empty
 * `problems` means the file is valid. Profile ids repeated across the files are reported too.
 */
export function validateProfileFiles(paths: readonly string[]): FileProblems[] {
  const firstFileOfId = new Map<string, string>();
  return paths.map((file) => {
    const { profile, problems } = parseProfileFile(file);
    if (profile !== undefined) {
      const other = firstFileOfId.get(profile.id);
      if (other !== undefined) problems.push({ path: 'id', message: `profile id "${profile.id}" is also used by ${other}` });
      else firstFileOfId.set(profile.id, file);
    }
    return { file, problems };
  });
}
