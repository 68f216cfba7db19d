/**
 * Read profile files (YAML or JSON), resolve `extends` among them and check each against the one
 * schema. Every problem of every file comes back in one pass, with the file and the path inside it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, errorMessage, formatIssuePath, parseConfigText } from '@safeloop/contract';
import { isProfilePath, resolveExtends, resolvePathRef, type RawProfile } from './profile-extends.ts';
import { DeviceProfileSchema, type DeviceProfile } from './schema.ts';

export interface FileProblems {
  file: string;
  problems: { path: string; message: string }[];
}

export interface ScannedFile extends FileProblems {
  profile?: DeviceProfile;
  /** Whether the file belongs to the built-in library. */
  library: boolean;
}

export const PROFILE_FILE_PATTERN = /\.(ya?ml|json)$/i;

/** Profile files directly in a folder (YAML and JSON), sorted; a missing folder throws ConfigError. */
export function profileFilesIn(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new ConfigError(dir, [{ path: '(folder)', message: errorMessage(err) }]);
  }
  return names
    .filter((f) => PROFILE_FILE_PATTERN.test(f))
    .sort()
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

function readRaw(file: string): { raw?: Record<string, unknown>; problems: FileProblems['problems'] } {
  if (/\.[cm]?[jt]s$/.test(file)) return { problems: [{ path: '(file)', message: 'profile files are YAML or JSON (.yaml, .yml, .json)' }] };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { problems: [{ path: '(file)', message: errorMessage(err) }] };
  }
  try {
    const raw = parseConfigText(file, text);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { problems: [{ path: '(root)', message: 'a profile file holds one profile (a mapping with id, name, protocol, points)' }] };
    return { raw: raw as Record<string, unknown>, problems: [] };
  } catch (err) {
    if (err instanceof ConfigError) return { problems: [...err.problems] };
    throw err;
  }
}

export interface ScanInput {
  file: string;
  library: boolean;
}

/**
 * Scan profile files together: ids must be unique across all of them (a repeat names both files),
 * `extends` may name any of them by id, or a file by path. One result per input, in order.
 */
export function scanProfileFiles(inputs: readonly ScanInput[]): ScannedFile[] {
  const seenFiles = new Set<string>();
  const unique = inputs.filter((i) => {
    const abs = resolve(i.file);
    if (seenFiles.has(abs)) return false;
    seenFiles.add(abs);
    return true;
  });
  const read = unique.map((i) => ({ ...i, ...readRaw(i.file) }));
  const byId = new Map<string, (typeof read)[number]>();
  const byFile = new Map<string, RawProfile>();
  for (const r of read) {
    if (r.raw === undefined) continue;
    byFile.set(resolve(r.file), { file: r.file, raw: r.raw });
    const id = r.raw['id'];
    if (typeof id !== 'string') continue;
    const other = byId.get(id);
    if (other === undefined) byId.set(id, r);
    else if (other.library && !r.library) r.problems.push({ path: 'id', message: `profile id "${id}" is a library profile id (${other.file}); choose another` });
    else r.problems.push({ path: 'id', message: `profile id "${id}" is also used by ${other.file}` });
  }
  const lookup = (ref: string, from: string): RawProfile | { path: string; message: string } => {
    if (isProfilePath(ref)) {
      const abs = resolvePathRef(ref, from);
      const known = byFile.get(abs);
      if (known) return known;
      const { raw, problems } = readRaw(abs);
      if (raw === undefined) return { path: 'extends', message: `cannot use ${ref}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}` };
      const loaded = { file: abs, raw };
      byFile.set(abs, loaded);
      return loaded;
    }
    const base = byId.get(ref);
    if (base?.raw !== undefined) return { file: base.file, raw: base.raw };
    return { path: 'extends', message: `extends "${ref}": no such profile id (give a library id, an id in the same folders, or a file path)` };
  };
  return read.map((r): ScannedFile => {
    const out: ScannedFile = { file: r.file, library: r.library, problems: r.problems };
    if (r.raw === undefined) return out;
    const resolved = resolveExtends({ file: r.file, raw: r.raw }, lookup);
    if ('problems' in resolved) {
      out.problems.push(...resolved.problems);
      return out;
    }
    const parsed = DeviceProfileSchema.safeParse(resolved.raw);
    if (!parsed.success) out.problems.push(...parsed.error.issues.map((i) => ({ path: formatIssuePath(i.path), message: i.message })));
    else if (out.problems.length === 0) out.profile = parsed.data;
    return out;
  });
}
