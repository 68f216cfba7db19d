/** The bulk thread's setup in tests: a pool on the test schema, gateways and rules given as data. */
import type { Logger } from '@safeloop/contract';
import { PgDb } from '../../src/db/index.ts';
import type { BulkThreadSetup, GatewayInfo } from '../../src/ingest/index.ts';
import { RulesEngine, type RuleSet } from '../../src/rules/index.ts';

export interface TestBulkData {
  url: string;
  schema: string;
  gateways: GatewayInfo[];
  rules?: RuleSet;
  /** Fail the setup (the worker must keep ingesting on its main thread). */
  fail?: boolean;
}

export const setupBulkThread: BulkThreadSetup = (data: unknown, logger: Logger) => {
  const d = data as TestBulkData;
  if (d.fail) return Promise.reject(new Error('setup refused for the test'));
  const db = new PgDb({ connectionString: d.url, schema: d.schema, max: 4 });
  const gateways = new Map(d.gateways.map((g) => [g.id, g]));
  return Promise.resolve({
    db,
    directory: { getGateway: (id: string) => Promise.resolve(gateways.get(id)) },
    ...(d.rules ? { rules: new RulesEngine({ logger }, d.rules) } : {}),
    close: () => db.close(),
  });
};
