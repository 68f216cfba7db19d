/**
 * Open the journal's SQLite file with the durability it promises — WAL and synchronous=FULL, both read
 * back and refused if SQLite did not take them — its disk budget and WAL limits, and migrate it.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { SafeLoopError, errorMessage, type Clock, type Logger } from '@safeloop/contract';
import type { JournalConfig } from './config.ts';
import { DiskBudget } from './disk-budget.ts';
import { migrate } from './migrations.ts';

const SYNCHRONOUS_FULL = 2;

export function openDurable(config: JournalConfig, log: Logger, clock: Clock): { db: Db; budget: DiskBudget } {
  let db: Db;
  try {
    if (config.path !== ':memory:') mkdirSync(dirname(config.path), { recursive: true });
    db = new Database(config.path);
  } catch (err) {
    throw new SafeLoopError('GW_ERR_JOURNAL_OPEN', `journal: cannot open ${config.path}: ${errorMessage(err)}`, { cause: err });
  }
  try {
    db.pragma(`busy_timeout = ${config.busyTimeoutMs}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal' && config.path !== ':memory:') {
      throw new SafeLoopError('GW_ERR_JOURNAL_DURABILITY', `journal: WAL mode refused (journal_mode=${String(mode)})`);
    }
    db.pragma('synchronous = FULL');
    const sync = db.pragma('synchronous', { simple: true });
    if (sync !== SYNCHRONOUS_FULL) {
      throw new SafeLoopError('GW_ERR_JOURNAL_DURABILITY', `journal: synchronous reads ${String(sync)}, expected 2 (FULL)`);
    }
    const budget = new DiskBudget({ db, config, logger: log, clock, path: config.path });
    db.pragma(`journal_size_limit = ${budget.walLimitBytes}`);
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.pragma(`wal_autocheckpoint = ${Math.max(16, Math.floor(budget.walLimitBytes / pageSize))}`);
    if (config.hardLimitBytes !== undefined) db.pragma(`max_page_count = ${Math.floor(config.hardLimitBytes / pageSize)}`);
    const { from, to } = migrate(db);
    if (from !== to) log.info({ from, to }, 'journal schema migrated');
    return { db, budget };
  } catch (err) {
    db.close();
    if (err instanceof SafeLoopError) throw err;
    throw new SafeLoopError('GW_ERR_JOURNAL_OPEN', `journal: cannot prepare ${config.path}: ${errorMessage(err)}`, { cause: err });
  }
}
