/**
 * The latency benchmark's --split-bulk worker, in its own process: an IngestWorker on the bench's schema
 * that takes every gateway's uplink except the probe's (the bench's own worker takes those).
 *
 *   node --import tsx cloud/bench/ingest-bulk-worker.ts <broker url> <schema> <group>
 *
 * Prints "ready" once subscribed; runs until killed.
 */
import { silentLogger } from '@safeloop/contract';
import type { AlarmSink } from '../src/alarms/alarm-sink.ts';
import { PgDb } from '../src/db/index.ts';
import { IngestWorker } from '../src/ingest/index.ts';
import { loadRuleFile, RulesEngine } from '../src/rules/index.ts';
import { MemoryDirectory } from '../test/ingest/helpers.ts';
import { GATEWAYS } from './ingest-load.ts';

const [url, schema, group] = process.argv.slice(2);
if (!url || !schema || !group) throw new Error('usage: ingest-bulk-worker.ts <broker url> <schema> <group>');
const PG_URL = process.env.SAFELOOP_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const TEMPLATE = new URL('../rules/templates/hazchem-tank-farm.yaml', import.meta.url).pathname;
const db = new PgDb({ connectionString: `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}application_name=${schema}`, schema, max: 8 });
const directory = new MemoryDirectory();
for (let g = 0; g < GATEWAYS; g++) directory.add(`gw${g}`, [`site${g}`]);
const alarms: AlarmSink = { raise: (i) => Promise.resolve({ alarmId: i.conditionKey, created: true }), clear: () => Promise.resolve() };
const rules = new RulesEngine({ logger: silentLogger, sites: { getSite: (id) => Promise.resolve({ id, type: 'hazchem' }) } }, loadRuleFile(TEMPLATE));
const worker = new IngestWorker({
  db, mqtt: { url }, directory, alarms, rules, logger: silentLogger, concurrency: 4, groupMessages: Number(group), reorderTimeoutMs: 10_000,
  accept: (topic) => !topic.includes('/probe/'),
});
await worker.start();
process.stdout.write('ready\n');
