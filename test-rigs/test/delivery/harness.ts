/**
 * End-to-end delivery harness: a real cloud ingest (IngestWorker on SQLite) and a real gateway journal +
 * uplink, both talking through a real Mosquitto. `verifyDelivered` is the ledger check every fault test
 * ends with: the set the gateway journaled equals the set the cloud stored, no duplicates, every alarm present.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { silentLogger } from '@safeloop/contract';
import type { Stream } from '@safeloop/contract';
import { SqliteDb } from '@safeloop/cloud/db';
import { IngestWorker } from '@safeloop/cloud/ingest';
import type { GatewayDirectory, GatewayInfo } from '@safeloop/cloud/ingest';
import type { AlarmSink } from '@safeloop/cloud/alarms/alarm-sink';
import { expandBatch, Journal, JournalConfigSchema } from '@safeloop/gateway/journal/index';
import type { BatchRow } from '@safeloop/gateway/journal/index';
import type { JournalConfigInput } from '@safeloop/gateway/journal/index';
import { Uplink, UplinkConfigSchema } from '@safeloop/gateway/uplink/index';

export const SITE = 'site1';

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `safeloop-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

class Directory implements GatewayDirectory {
  getGateway(id: string): Promise<GatewayInfo | undefined> {
    return Promise.resolve({ id, enterpriseId: 'ent-1', siteIds: [SITE] });
  }
}

const nullSink: AlarmSink = {
  raise: () => Promise.resolve({ alarmId: 'a', created: true }),
  clear: () => Promise.resolve(),
};

/** The cloud: one ingest worker at a time over one SQLite store; stop()/start() is a cloud outage. */
export class Cloud {
  readonly db: SqliteDb;
  private worker: IngestWorker | undefined;
  constructor(
    private readonly brokerUrl: string,
    file: string,
    /** A fixed MQTT client id gives the worker a persistent broker session. */
    private readonly clientId?: string,
  ) {
    this.db = new SqliteDb(file);
  }
  async start(): Promise<void> {
    const w = new IngestWorker({
      db: this.db,
      mqtt: { url: this.brokerUrl, ...(this.clientId !== undefined ? { clientId: this.clientId } : {}) },
      directory: new Directory(),
      alarms: nullSink,
      logger: silentLogger,
      reorderTimeoutMs: 1000,
      replayTimeoutMs: 3000,
      offlineGraceMs: 60_000,
      tickMs: 200,
    });
    await w.start();
    this.worker = w;
  }
  async stop(): Promise<void> {
    await this.worker?.stop();
    this.worker = undefined;
  }
  async close(): Promise<void> {
    await this.stop();
    await this.db.close();
  }
  async stored(gatewayId: string, stream: Stream): Promise<{ id: string; seq: number }[]> {
    const table = stream === 'telemetry' ? 'telemetry_raw' : 'edge_events';
    const rows = await this.db.query<{ id: string; seq: number }>(`SELECT id, seq FROM ${table} WHERE gateway_id = $1`, [gatewayId]);
    return rows.map((r) => ({ id: r.id, seq: Number(r.seq) }));
  }
}

export interface GatewayUnderTest {
  journal: Journal;
  uplink: Uplink;
  stop(): Promise<void>;
}

export const FAST_DELIVERY = {
  ackTimeoutMs: 3000,
  publishTimeoutMs: 3000,
  connectTimeoutMs: 2000,
  reconnectMinMs: 100,
  reconnectMaxMs: 1000,
  statusIntervalSec: 2,
};

export async function startGateway(opts: {
  gatewayId: string;
  url: string;
  journalPath: string;
  journal?: Partial<JournalConfigInput>;
  delivery?: Record<string, unknown>;
  keepaliveSec?: number;
}): Promise<GatewayUnderTest> {
  const journal = Journal.open({
    config: JournalConfigSchema.parse({ path: opts.journalPath, retainAckedSec: 86_400, ...opts.journal }),
    logger: silentLogger,
  });
  const uplink = new Uplink({
    config: UplinkConfigSchema.parse({
      transport: 'mqtt',
      url: opts.url,
      allowInsecure: true,
      keepaliveSec: opts.keepaliveSec ?? 5,
      delivery: { ...FAST_DELIVERY, ...opts.delivery },
    }),
    gatewayId: opts.gatewayId,
    siteId: SITE,
    journal,
    logger: silentLogger,
  });
  await uplink.start();
  return {
    journal,
    uplink,
    async stop() {
      await uplink.stop();
      journal.close();
    },
  };
}

export async function waitUntil(pred: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every row in a journal file (acknowledged ones included while retained), per stream. */
export function journalRows(path: string): Record<Stream, { id: string; seq: number; body: string }[]> {
  const db = new Database(path, { readonly: true });
  try {
    const alarm = db.prepare<[], { id: string; seq: number; body: string }>('SELECT id, seq, body FROM alarm_events ORDER BY seq').all();
    const telemetry = db
      .prepare<[], BatchRow>('SELECT * FROM telemetry_batches ORDER BY first_seq')
      .all()
      .flatMap((b) => expandBatch(b).map((e) => ({ id: e.id, seq: e.seq, body: e.body })));
    return { alarm, telemetry };
  } finally {
    db.close();
  }
}

/** The journal has nothing left to deliver (reads the file, works for a stopped child process too). */
export function journalDrained(path: string): boolean {
  const db = new Database(path, { readonly: true });
  try {
    const rows = db.prepare<[], { stream: string; next_seq: number; acked_seq: number; discarded_through: number }>('SELECT * FROM stream_state').all();
    return rows.length === 2 && rows.every((r) => Math.max(r.acked_seq, r.discarded_through) >= r.next_seq - 1);
  } finally {
    db.close();
  }
}

/**
 * The ledger check: journaled set == stored set per stream, no duplicate ids or seqs in the store, every
 * alarm present. `extraJournaled` adds ids journaled earlier but since deleted by the budget policy.
 */
export async function verifyDelivered(
  cloud: Cloud,
  gatewayId: string,
  journalPath: string,
  opts: { extraJournaled?: Partial<Record<Stream, Map<string, number>>> } = {},
): Promise<{ alarm: number; telemetry: number }> {
  const journal = journalRows(journalPath);
  const counts = { alarm: 0, telemetry: 0 };
  for (const stream of ['alarm', 'telemetry'] as const) {
    const stored = await cloud.stored(gatewayId, stream);
    const storedIds = new Set(stored.map((r) => r.id));
    assert.equal(storedIds.size, stored.length, `${stream}: duplicate ids in the cloud store`);
    assert.equal(new Set(stored.map((r) => r.seq)).size, stored.length, `${stream}: two stored events share a seq`);
    const expected = new Map<string, number>(opts.extraJournaled?.[stream] ?? []);
    for (const r of journal[stream]) expected.set(r.id, r.seq);
    const missing = [...expected.keys()].filter((id) => !storedIds.has(id));
    const phantoms = [...storedIds].filter((id) => !expected.has(id));
    assert.deepEqual(missing.map((id) => expected.get(id)).slice(0, 20), [], `${stream}: journaled but not stored (seqs)`);
    assert.deepEqual(phantoms.slice(0, 20), [], `${stream}: stored but never journaled`);
    counts[stream] = stored.length;
  }
  const alarmsJournaled = journal.alarm.filter((r) => r.body.includes('"type":"alarm"')).length;
  assert.ok(alarmsJournaled > 0, 'the scenario journaled alarms');
  return counts;
}
