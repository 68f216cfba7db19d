/** A worker + private broker + database + recording sink, torn down by close(). */
import { Registry } from 'prom-client';
import { silentLogger } from '@safeloop/contract';
import { createIngestMetrics, IngestWorker, type IngestMetrics, type IngestWorkerDeps } from '../../src/ingest/index.ts';
import { MemoryDirectory, openDb, RecordingSink, startMosquitto, type TestDb } from './helpers.ts';

export interface Harness {
  t: TestDb;
  broker: { url: string; stop(): Promise<void> };
  directory: MemoryDirectory;
  sink: RecordingSink;
  registry: Registry;
  metrics: IngestMetrics;
  worker: IngestWorker;
  newWorker(extra?: Partial<IngestWorkerDeps>): IngestWorker;
  rejected(reason: string): Promise<number>;
  close(): Promise<void>;
}

export async function startHarness(kind: 'sqlite' | 'postgres', extra: Partial<IngestWorkerDeps> = {}): Promise<Harness> {
  const t = await openDb(kind);
  const broker = await startMosquitto();
  const directory = new MemoryDirectory();
  const sink = new RecordingSink();
  const registry = new Registry();
  const metrics = createIngestMetrics(registry);
  const workers: IngestWorker[] = [];
  const newWorker = (more: Partial<IngestWorkerDeps> = {}): IngestWorker => {
    const w = new IngestWorker({
      db: t.db,
      mqtt: { url: broker.url },
      directory,
      alarms: sink,
      metrics,
      logger: silentLogger,
      reorderTimeoutMs: 150,
      replayTimeoutMs: 300,
      offlineGraceMs: 200,
      tickMs: 40,
      ...extra,
      ...more,
    });
    workers.push(w);
    return w;
  };
  const worker = newWorker();
  return {
    t,
    broker,
    directory,
    sink,
    registry,
    metrics,
    worker,
    newWorker,
    rejected: async (reason) => {
      const m = await registry.getSingleMetricAsString('safeloop_ingest_rejected_total');
      const line = m.split('\n').find((l) => l.includes(`reason="${reason}"`));
      return line ? Number(line.split(' ').pop()) : 0;
    },
    close: async () => {
      for (const w of workers) await w.stop().catch(() => undefined);
      await broker.stop();
      await t.close();
    },
  };
}
