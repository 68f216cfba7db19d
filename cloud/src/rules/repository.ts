/** Rule sets persisted with versions in `rule_sets` (the API's GET/PUT /api/rules reads and writes here). */
import { SafeLoopError, loadConfigFile, validateConfig } from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';
import { RuleSetSchema, type RuleSet } from './schema.ts';

export function parseRuleSet(input: unknown, source = 'rules'): RuleSet {
  return validateConfig(source, input, RuleSetSchema);
}

/** A YAML or JSON rule file; a bad file throws a ConfigError naming the file and the path. */
export function loadRuleFile(file: string): RuleSet {
  return loadConfigFile(file, RuleSetSchema);
}

/** Several files into one set: rules concatenated (ids must stay unique), highest version. */
export function mergeRuleSets(sets: readonly RuleSet[], source = 'rules'): RuleSet {
  return parseRuleSet({ version: Math.max(1, ...sets.map((s) => s.version)), rules: sets.flatMap((s) => s.rules) }, source);
}

export async function latestRuleSet(db: SqlDb): Promise<RuleSet | undefined> {
  const rows = await db.query<{ body: string }>('SELECT body FROM rule_sets ORDER BY version DESC LIMIT 1');
  return rows[0] ? parseRuleSet(JSON.parse(rows[0].body), 'rule_sets') : undefined;
}

export async function latestRuleSetVersion(db: SqlDb): Promise<number> {
  const rows = await db.query<{ v: number | null }>('SELECT MAX(version) AS v FROM rule_sets');
  return Number(rows[0]?.v ?? 0);
}

export async function listRuleSetVersions(db: SqlDb): Promise<{ version: number; createdAt: number; createdBy: string }[]> {
  const rows = await db.query<{ version: number; created_at: number; created_by: string }>('SELECT version, created_at, created_by FROM rule_sets ORDER BY version DESC');
  return rows.map((r) => ({ version: Number(r.version), createdAt: Number(r.created_at), createdBy: r.created_by }));
}

/** Store a new version; it must be greater than the latest (optimistic concurrency for PUT). */
export async function saveRuleSet(db: SqlDb, set: RuleSet, createdBy: string, now = Date.now()): Promise<void> {
  await db.transaction(async (tx) => {
    if (tx.dialect === 'postgres') await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['rule_sets']);
    const latest = await latestRuleSetVersion(tx);
    if (set.version <= latest) {
      throw new SafeLoopError('CLOUD_ERR_RULES_VERSION', `rule set version ${set.version} is not newer than the stored version ${latest}`, {
        details: { version: set.version, latest },
      });
    }
    await tx.exec('INSERT INTO rule_sets (version, body, created_at, created_by) VALUES ($1, $2, $3, $4)', [set.version, JSON.stringify(set), now, createdBy]);
  });
}
