/**
 * The latency benchmark's --bulk-thread setup: the worker's bulk thread builds a pool on the bench's schema
 * (same application_name, so its backends' CPU is counted), the bench's gateways and the tank-farm rules.
 */
import { type Logger } from '@safeloop/contract';
import { niceBackends, PgDb } from '../src/db/index.ts';
import { reportBackendNice } from '../src/ingest-thread-setup.ts';
import type { BulkThreadSetup } from '../src/ingest/index.ts';
import { loadRuleFile, RulesEngine } from '../src/rules/index.ts';
import { MemoryDirectory } from '../test/ingest/helpers.ts';
import { GATEWAYS } from './ingest-load.ts';

const PG_URL = process.env.SAFELOOP_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const TEMPLATE = new URL('../rules/templates/hazchem-tank-farm.yaml', import.meta.url).pathname;

export const setupBulkThread: BulkThreadSetup = (data: unknown, logger: Logger) => {
  const { schema, backendNice } = data as { schema: string; backendNice?: number };
  const prepare = niceBackends(backendNice ?? 0, reportBackendNice(logger));
  const db = new PgDb({ connectionString: `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}application_name=${schema}`, schema, max: 8, ...(prepare ? { prepare } : {}) });
  const directory = new MemoryDirectory();
  for (let g = 0; g < GATEWAYS; g++) directory.add(`gw${g}`, [`site${g}`]);
  directory.add('probe', ['probe']);
  const rules = new RulesEngine({ logger, sites: { getSite: (id) => Promise.resolve({ id, type: 'hazchem' }) } }, loadRuleFile(TEMPLATE));
  return Promise.resolve({ db, directory, rules, close: () => db.close() });
};
