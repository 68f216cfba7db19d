/**
 * What the cloud service's bulk telemetry thread builds for itself (IngestWorkerDeps.bulkThread): its
 * own PostgreSQL pool on the service's database, the tenancy registry as gateway and site directory, and a
 * rules engine that starts from the configured rule files and follows the stored rule sets, as the main
 * thread's engine does.
 */
import type { Logger } from '@safeloop/contract';
import { niceBackends, PgDb, type BackendNiceOutcome } from './db/index.ts';
import type { BulkThreadSetup } from './ingest/index.ts';
import { RulesEngine, type RuleSet } from './rules/index.ts';
import { createTelemetryStore } from './store/index.ts';
import { Registry } from './tenancy/index.ts';

export interface ServiceBulkThreadData {
  store: { url: string; poolSize?: number | undefined; schema?: string | undefined; retentionDays?: number | undefined; backendNice?: number | undefined };
  /** The rule files' set (the stored rule sets apply when newer). */
  rules?: RuleSet | undefined;
}

export const setupBulkThread: BulkThreadSetup = (data: unknown, logger: Logger) => {
  const d = data as ServiceBulkThreadData;
  const prepare = niceBackends(d.store.backendNice ?? 0, reportBackendNice(logger));
  const db = new PgDb({ connectionString: d.store.url, ...(d.store.poolSize ? { max: d.store.poolSize } : {}), ...(d.store.schema ? { schema: d.store.schema } : {}), ...(prepare ? { prepare } : {}) });
  const registry = new Registry({ db });
  const rules = new RulesEngine({ logger, sites: registry }, d.rules);
  const store = createTelemetryStore(db, d.store.retentionDays === undefined ? {} : { retentionDays: d.store.retentionDays });
  return Promise.resolve({ db, directory: registry, rules, store, close: () => db.close() });
};

/** Logs the first renice and the first skip of the bulk pool's backends (each connection reports one). */
export function reportBackendNice(logger: Logger): (outcome: BackendNiceOutcome) => void {
  let applied = false;
  let skipped = false;
  return (outcome) => {
    if ('skipped' in outcome) {
      if (!skipped) logger.warn({ reason: outcome.skipped }, 'bulk pool backends keep their CPU priority');
      skipped = true;
    } else if (!applied) {
      logger.info({ backendPid: outcome.pid, nice: outcome.nice }, 'bulk pool backends reniced');
      applied = true;
    }
  };
}
