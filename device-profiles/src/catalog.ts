/**
 * A profile catalog: the built-in library plus any folders of profile files a site adds
 * (gateway config `profileDirs`, `--profile-dir`). Profiles are looked up by id, or by file path
 * wherever an id is accepted. An id defined twice is an error naming both files.
 */
import { fileURLToPath } from 'node:url';
import { isAbsolute, resolve } from 'node:path';
import { SafeLoopError } from '@safeloop/contract';
import { isProfilePath } from './profile-extends.ts';
import { profileFilesIn, scanProfileFiles, type ScanInput, type ScannedFile } from './profile-scan.ts';
import type { DeviceProfile } from './schema.ts';

/** Where the built-in library's YAML files live. */
export const LIBRARY_DIR = fileURLToPath(new URL('../profiles/', import.meta.url));

export interface ProfileEntry {
  profile: DeviceProfile;
  /** The file it was read from. */
  file: string;
  library: boolean;
}

export interface CatalogOptions {
  /** Extra folders of profile files, after the library. */
  dirs?: readonly string[];
  /** Relative folders and file references resolve against this (default: the working directory). */
  baseDir?: string;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
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

function invalid(bad: readonly ScannedFile[]): SafeLoopError {
  const lines = bad.flatMap((r) => r.problems.map((p) => `${r.file}: ${p.path}: ${p.message}`));
  const dup = bad.flatMap((r) => r.problems).find((p) => p.path === 'id' && /also used by|library profile id/.test(p.message));
  return new SafeLoopError(dup ? 'PROFILE_DUPLICATE_ID' : 'PROFILE_INVALID', lines.join('\n'), { details: { files: bad.map((r) => ({ file: r.file, problems: r.problems })) } });
}

export class ProfileCatalog {
  private readonly byId: ReadonlyMap<string, ProfileEntry>;
  private readonly byFile = new Map<string, DeviceProfile>();

  private constructor(
    private readonly list: readonly ProfileEntry[],
    private readonly inputs: readonly ScanInput[],
    private readonly baseDir: string,
  ) {
    this.byId = new Map(list.map((e) => [e.profile.id, e]));
  }

  /**
   * Read the library and `dirs`. Throws SafeLoopError PROFILE_INVALID (every problem of every file,
   * one per line) or PROFILE_DUPLICATE_ID (naming both files); a missing folder throws ConfigError.
   */
  static load(options: CatalogOptions = {}): ProfileCatalog {
    const baseDir = options.baseDir ?? process.cwd();
    const inputs: ScanInput[] = [
      ...profileFilesIn(LIBRARY_DIR).map((file) => ({ file, library: true })),
      ...(options.dirs ?? []).flatMap((d) => profileFilesIn(isAbsolute(d) ? d : resolve(baseDir, d)).map((file) => ({ file, library: false }))),
    ];
    const scanned = scanProfileFiles(inputs);
    const bad = scanned.filter((r) => r.problems.length > 0);
    if (bad.length > 0) throw invalid(bad);
    const entries = scanned.flatMap((r) => (r.profile ? [{ profile: deepFreeze(r.profile), file: r.file, library: r.library }] : []));
    return new ProfileCatalog(Object.freeze(entries), inputs, baseDir);
  }

  /** Every profile, library first, in file-name order. */
  entries(): readonly ProfileEntry[] {
    return this.list;
  }

  find(id: string): ProfileEntry | undefined {
    return this.byId.get(id);
  }

  /** Ids that look like `id` (typo distance or shared words), best first. */
  nearIds(id: string, max = 5): string[] {
    const words = id.toLowerCase().split(/[-_\s]+/).filter((w) => w.length > 1 && w !== 'generic');
    return this.list
      .map((e) => ({ id: e.profile.id, d: editDistance(id.toLowerCase(), e.profile.id), shared: words.filter((w) => e.profile.id.includes(w)).length }))
      .filter((x) => x.d <= Math.max(3, Math.floor(id.length / 3)) || x.shared > 0)
      .sort((a, b) => b.shared - a.shared || a.d - b.d || a.id.localeCompare(b.id))
      .slice(0, max)
      .map((x) => x.id);
  }

  /**
   * A profile by id, or by file path (anything with a slash or ending .yaml/.yml/.json, relative to
   * the catalog's base folder). A file's `extends` may name any profile of the catalog. Throws
   * PROFILE_NOT_FOUND naming near ids, or PROFILE_INVALID with every problem of the file.
   */
  get(ref: string): DeviceProfile {
    if (isProfilePath(ref)) return this.getFile(ref);
    const found = this.byId.get(ref);
    if (found !== undefined) return found.profile;
    const near = this.nearIds(ref);
    throw new SafeLoopError(
      'PROFILE_NOT_FOUND',
      `no device profile "${ref}"${near.length > 0 ? `; did you mean ${near.join(', ')}?` : ''} (safeloop profile list shows all; a profile file is given by its path)`,
      { details: { id: ref, near } },
    );
  }

  /** `get` as a function, for the gateway's and the CLI's `resolveProfile` options. */
  readonly resolve = (ref: string): DeviceProfile => this.get(ref);

  private getFile(ref: string): DeviceProfile {
    const file = isAbsolute(ref) ? ref : resolve(this.baseDir, ref);
    const cached = this.byFile.get(file);
    if (cached) return cached;
    const known = this.list.find((e) => resolve(e.file) === file);
    if (known) return known.profile;
    const others = this.inputs.filter((i) => resolve(i.file) !== file);
    const scanned = scanProfileFiles([...others, { file, library: false }]);
    const mine = scanned[scanned.length - 1];
    if (mine?.profile === undefined) throw invalid(mine ? [mine] : []);
    const profile = deepFreeze(mine.profile);
    this.byFile.set(file, profile);
    return profile;
  }
}
