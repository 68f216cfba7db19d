/**
 * Composition as data: a profile file may say `extends: <profile id or file>` to start from another
 * profile and write only what differs, and `removePoints: [ids]` to drop points it does not have.
 *
 * Merge rules (applied before the schema sees the profile, so the result is checked as a whole):
 * - top-level fields of the file replace the base's (`id` and `name` must be the file's own);
 * - `points` and `status` merge by `id`: an entry with a base id is laid over the base entry field
 *   by field (give only `address`, or only `limits`), a new id is appended;
 * - `removePoints` drops those points, and their ids from every status register's `appliesTo`
 *   (a status register left covering nothing is dropped too).
 * Within one file, YAML anchors and aliases (`&codes` … `*codes`) reuse repeated blocks.
 */
import { dirname, isAbsolute, resolve } from 'node:path';

export interface RawProfile {
  file: string;
  raw: Record<string, unknown>;
}

export interface ExtendsProblem {
  path: string;
  message: string;
}

/** Finds the raw profile an `extends` names: by id, or by file path relative to the extending file. */
export type RawLookup = (ref: string, fromFile: string) => RawProfile | ExtendsProblem;

/** A reference that names a file rather than an id. */
export function isProfilePath(ref: string): boolean {
  return /[\\/]/.test(ref) || /\.(ya?ml|json)$/i.test(ref);
}

export function resolvePathRef(ref: string, fromFile: string): string {
  return isAbsolute(ref) ? ref : resolve(dirname(fromFile), ref);
}

type Entry = Record<string, unknown>;

function isEntry(v: unknown): v is Entry {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function mergeById(base: unknown, over: unknown): unknown {
  if (!Array.isArray(base) || !Array.isArray(over)) return over ?? base;
  const out: unknown[] = base.map((b) => (isEntry(b) ? { ...b } : b));
  for (const o of over) {
    const i = isEntry(o) ? out.findIndex((b) => isEntry(b) && b['id'] === o['id']) : -1;
    const target = out[i];
    if (i >= 0 && isEntry(target) && isEntry(o)) out[i] = { ...target, ...o };
    else out.push(o);
  }
  return out;
}

function removePoints(profile: Entry, ids: readonly string[]): Entry {
  if (ids.length === 0) return profile;
  const drop = new Set(ids);
  const points = Array.isArray(profile['points']) ? profile['points'].filter((p) => !(isEntry(p) && drop.has(String(p['id'])))) : profile['points'];
  const status = Array.isArray(profile['status'])
    ? profile['status']
        .map((s) => (isEntry(s) && Array.isArray(s['appliesTo']) ? { ...s, appliesTo: s['appliesTo'].filter((id) => !drop.has(String(id))) } : s))
        .filter((s) => !(isEntry(s) && Array.isArray(s['appliesTo']) && s['appliesTo'].length === 0))
    : profile['status'];
  return { ...profile, points, ...(status === undefined ? {} : { status }) };
}

/**
 * The profile `start` describes with every `extends` resolved (a chain is followed to its root).
 * Problems (unknown base, a cycle, a malformed `extends`/`removePoints`) come back instead of a profile.
 */
export function resolveExtends(start: RawProfile, lookup: RawLookup): { raw: Entry } | { problems: ExtendsProblem[] } {
  const chain: RawProfile[] = [start];
  const seen = new Set<string>([start.file]);
  for (let cur = start; ; ) {
    const ext = cur.raw['extends'];
    if (ext === undefined) break;
    if (typeof ext !== 'string' || ext.length === 0) return { problems: [{ path: 'extends', message: 'extends names one profile: an id or a file path' }] };
    const base = lookup(ext, cur.file);
    if (!('raw' in base)) return { problems: [{ path: 'extends', message: cur === start ? base.message : `${cur.file}: ${base.message}` }] };
    if (seen.has(base.file)) return { problems: [{ path: 'extends', message: `extends cycle: ${[...chain.map((c) => c.file), base.file].join(' → ')}` }] };
    seen.add(base.file);
    chain.push(base);
    cur = base;
  }
  let merged: Entry = {};
  for (const layer of chain.reverse()) {
    const { extends: _ext, removePoints: remove, ...own } = layer.raw;
    if (remove !== undefined && !(Array.isArray(remove) && remove.every((r) => typeof r === 'string'))) {
      return { problems: [{ path: 'removePoints', message: 'removePoints is a list of point ids' }] };
    }
    const next: Entry = { ...merged, ...own };
    if ('points' in merged && 'points' in own) next['points'] = mergeById(merged['points'], own['points']);
    if ('status' in merged && 'status' in own) next['status'] = mergeById(merged['status'], own['status']);
    merged = removePoints(next, (remove as string[] | undefined) ?? []);
  }
  return { raw: merged };
}
