/**
 * Failed-login throttling kept in the database, keyed by account *and* source address. The old map
 * in process memory was per worker, forgotten on restart, wiped when 10,000 usernames had been
 * sprayed, and keyed by username alone — so five wrong passwords from anywhere locked the rightful
 * owner out (the county monitor, in the middle of an incident). Now each (username, address) pair
 * gets FREE_ATTEMPTS free failures, then a delay that doubles with every further failure up to
 * MAX_DELAY_MS; a stranger's failures slow only the stranger. Rows are forgotten a day after the last
 * failure, and a success from that address clears its row.
 */
import { SafeLoopError, backoffDelay, type Clock } from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';

export const FREE_ATTEMPTS = 5;
export const FIRST_DELAY_MS = 30_000;
export const MAX_DELAY_MS = 30 * 60_000;
const FORGET_AFTER_MS = 24 * 3_600_000;

export function delayAfter(failures: number): number {
  if (failures < FREE_ATTEMPTS) return 0;
  return backoffDelay(failures - FREE_ATTEMPTS + 1, { initialMs: FIRST_DELAY_MS, maxMs: MAX_DELAY_MS });
}

export class LoginThrottle {
  constructor(private readonly deps: { db: SqlDb; clock: Clock }) {}

  /** Refuse (429) while this account is locked for this address. */
  async check(username: string, source: string): Promise<void> {
    const now = this.deps.clock.now();
    const rows = await this.deps.db.query<{ locked_until: number | string }>('SELECT locked_until FROM login_failures WHERE username = $1 AND source = $2', [username, source]);
    const until = Number(rows[0]?.locked_until ?? 0);
    if (until > now) {
      throw new SafeLoopError('CLOUD_ERR_RATE_LIMITED', `too many failed logins from this address; try again in ${Math.ceil((until - now) / 1000)} s`);
    }
  }

  /** Count a failure; returns the delay now imposed on this (account, address) pair. */
  async failure(username: string, source: string): Promise<number> {
    const now = this.deps.clock.now();
    await this.deps.db.exec('DELETE FROM login_failures WHERE last_at < $1 AND locked_until < $2', [now - FORGET_AFTER_MS, now]);
    const rows = await this.deps.db.query<{ failures: number | string }>(
      `INSERT INTO login_failures (username, source, failures, last_at, locked_until) VALUES ($1, $2, 1, $3, 0)
       ON CONFLICT (username, source) DO UPDATE SET
         failures = CASE WHEN login_failures.last_at < $4 THEN 1 ELSE login_failures.failures + 1 END, last_at = $3
       RETURNING failures`,
      [username, source, now, now - FORGET_AFTER_MS],
    );
    const delay = delayAfter(Number(rows[0]?.failures ?? 1));
    if (delay > 0) await this.deps.db.exec('UPDATE login_failures SET locked_until = $3 WHERE username = $1 AND source = $2', [username, source, now + delay]);
    return delay;
  }

  async success(username: string, source: string): Promise<void> {
    await this.deps.db.exec('DELETE FROM login_failures WHERE username = $1 AND source = $2', [username, source]);
  }
}
