/**
 * Writes to field devices go only through an explicit allow-list: (unit, table, address range,
 * value range, rate). Modbus has no authentication, so the gateway is the only gate. A write that
 * no entry covers is refused here, before anything reaches the bus.
 */
import { SafeLoopError, systemClock, type Clock } from '@safeloop/contract';
import { WriteAllowEntrySchema, type WriteAllowEntry, type WriteAllowEntryInput } from './config.ts';
import type { ModbusDriver, RequestOptions, WriteRequest } from './modbus-driver.ts';

export interface WriteAttempt extends WriteRequest {
  unitId: number;
}

export interface WriteGuard {
  /** Throws GW_ERR_WRITE_REFUSED (with the reason) unless one entry covers the whole write; counts it against the rate. */
  check(attempt: WriteAttempt): void;
  /** Same test without counting or throwing. */
  allows(attempt: WriteAttempt): boolean;
}

function covers(e: WriteAllowEntry, a: WriteAttempt): string | undefined {
  if (e.unitId !== undefined && e.unitId !== a.unitId) return 'unit';
  if (e.table !== a.table) return 'table';
  const last = a.start + a.values.length - 1;
  if (a.start < e.from || last > e.to) return 'address';
  if (a.values.some((v) => !Number.isInteger(v) || v < e.min || v > e.max)) return 'value';
  return undefined;
}

export function createWriteGuard(allowList: readonly WriteAllowEntryInput[], deps: { clock?: Clock } = {}): WriteGuard {
  const clock = deps.clock ?? systemClock;
  const entries = allowList.map((e, i) => {
    const parsed = WriteAllowEntrySchema.safeParse(e);
    if (!parsed.success) {
      throw new SafeLoopError('GW_ERR_WRITE_ALLOW_LIST', `write allow-list entry ${i}: ${parsed.error.issues.map((x) => `${x.path.join('.') || '(entry)'}: ${x.message}`).join('; ')}`);
    }
    return { entry: parsed.data, recent: [] as number[] };
  });

  function find(a: WriteAttempt): { match?: (typeof entries)[number]; why: string } {
    if (a.values.length === 0) return { why: 'nothing to write' };
    let why = entries.length === 0 ? 'writes are off: the allow-list is empty' : 'no allow-list entry covers it';
    for (const e of entries) {
      const miss = covers(e.entry, a);
      if (miss === undefined) return { match: e, why: '' };
      if (miss === 'value') why = `value outside ${e.entry.min}..${e.entry.max}`;
    }
    return { why };
  }

  return {
    allows: (a) => find(a).match !== undefined,
    check(a) {
      const { match, why } = find(a);
      const what = `${a.table} ${a.start}${a.values.length > 1 ? `..${a.start + a.values.length - 1}` : ''} on unit ${a.unitId}`;
      if (!match) throw new SafeLoopError('GW_ERR_WRITE_REFUSED', `write refused: ${what}: ${why}`, { details: { ...a, values: [...a.values] } });
      const now = clock.monotonic();
      match.recent = match.recent.filter((t) => now - t < 60_000);
      if (match.recent.length >= match.entry.maxPerMinute) {
        throw new SafeLoopError('GW_ERR_WRITE_REFUSED', `write refused: ${what}: more than ${match.entry.maxPerMinute} writes a minute`, { details: { ...a, values: [...a.values] } });
      }
      match.recent.push(now);
    },
  };
}

/** Write through the guard: the driver is only touched when the guard allows the write. */
export async function guardedWrite(guard: WriteGuard, driver: ModbusDriver, attempt: WriteAttempt, ro: RequestOptions): Promise<void> {
  guard.check(attempt);
  await driver.writeBlock(attempt.unitId, { table: attempt.table, start: attempt.start, values: attempt.values }, ro);
}
