/** What each rule kind implements: which state rows a reading touches, what a reading does, what a due timer does. */
import type { TelemetryEvent } from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';
import type { OutboxOp } from '../store/alarm-outbox.ts';
import type { RuleState } from './state.ts';

export interface KindHandler<R> {
  /** State keys this reading touches under `rule` (the rule already applies to the reading's site). */
  keys(rule: R, siteId: string, rel: string, point: string): string[];
  /** A newly committed reading (in source-time order). Mutates `st` (sets dirty) and returns decisions. */
  apply(rule: R, st: RuleState, r: TelemetryEvent, now: number): OutboxOp[];
  /** The row's due_at has passed. May read other tables through `tx`. */
  due(rule: R, st: RuleState, now: number, tx: SqlDb): Promise<OutboxOp[]>;
}

export function readingInput(r: TelemetryEvent): Record<string, unknown> {
  return { value: r.value, quality: r.quality, sourceTime: r.sourceTime, ...(r.reason ? { reason: r.reason } : {}) };
}

/** Good-quality finite number, or undefined (stale, bad or uncertain data, or a non-numeric value). */
export function goodNumber(r: TelemetryEvent): number | undefined {
  return r.quality === 'good' && typeof r.value === 'number' && Number.isFinite(r.value) ? r.value : undefined;
}
