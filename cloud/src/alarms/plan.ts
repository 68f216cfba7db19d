/**
 * What an alarm action decides (lifecycle.ts) and the alarm service carries out in one transaction:
 * the state to move to, the columns to set, extra writes and what to do after commit. Its own module so
 * the rules of the lifecycle and the service that runs them do not import each other.
 */
import type { SqlDb, SqlParam } from '../db/index.ts';
import type { Effect } from './timers.ts';
import type { Alarm, AlarmState } from './types.ts';

export interface Plan {
  to?: AlarmState;
  set?: Record<string, SqlParam>;
  details?: Record<string, unknown>;
  /** Extra writes in the same transaction (feedback rows, timers). */
  also?: (tx: SqlDb, before: Alarm) => Promise<void>;
  /** After commit (notifications, siren). */
  effects?: (after: Alarm) => Effect[];
}
