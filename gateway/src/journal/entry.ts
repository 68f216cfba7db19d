/** Journal rows as the uplink reads them, and their wire form without a JSON round trip. */
import type { Stream } from '@safeloop/contract';

export interface JournalEntry {
  readonly stream: Stream;
  readonly seq: number;
  /** ULID, the cloud's unique key. */
  readonly id: string;
  readonly gatewayTime: number;
  /** The event JSON without `id`/`seq` (an object literal, never empty). */
  readonly body: string;
}

/** The full event JSON (`{"id":…,"seq":…,…body}`), optionally flagged `historical`. */
export function entryJson(e: JournalEntry, historical = false): string {
  const rest = e.body.slice(1, -1);
  // a reading the device itself marked historical already carries the flag (last key of the schema)
  const hist = historical && !e.body.endsWith('"historical":true}') ? ',"historical":true' : '';
  return `{"id":"${e.id}","seq":${e.seq}${rest.length > 0 ? ',' : ''}${rest}${hist}}`;
}

/** Parsed event, for tests and tools. */
export function entryEvent(e: JournalEntry): Record<string, unknown> {
  return JSON.parse(entryJson(e)) as Record<string, unknown>;
}
