/** What an IngestWorker is given (ingest-worker.ts). */
import type { Clock, Logger, TelemetryEvent } from '@safeloop/contract';
import type { AlarmSink } from '../alarms/alarm-sink.ts';
import type { SqlDb } from '../db/index.ts';
import type { RulesEvaluator } from '../rules/evaluator.ts';
import type { TelemetryStore } from '../store/telemetry-store.ts';
import type { GatewayDirectory } from './directory.ts';
import type { IngestMetrics } from './metrics.ts';

export interface IngestWorkerDeps {
  db: SqlDb;
  /**
   * With a fixed clientId the worker keeps a persistent broker session (clean start off; MQTT 5 session
   * expiry sessionExpirySec): what gateways publish while it restarts is queued for it. Default 1 h alone;
   * 30 s in a share group, because the broker keeps handing a dead member its share of the messages until
   * its session expires (Mosquitto queues them for it) — gateways resend what is not acknowledged, so a
   * short expiry loses nothing and lets the other workers take over within it.
   * Without one (tests, throw-away workers) the session is clean and the id random.
   */
  mqtt: { url: string; tls?: { ca: string | Buffer; cert: string | Buffer; key: string | Buffer }; clientId?: string; protocolVersion?: 4 | 5; sessionExpirySec?: number };
  /** Called after a telemetry batch commits, with the newest of each point among the events it stored for the first time (live push). */
  onTelemetryCommitted?: (events: readonly TelemetryEvent[]) => void;
  /** Called after a gateway birth or death commits. */
  onGatewayStatus?: (gatewayId: string, online: boolean, at: number) => Promise<void>;
  /** MQTT 5 shared subscription group ('$share/{group}/…'); omit for a single worker. */
  shareGroup?: string;
  directory: GatewayDirectory;
  alarms: AlarmSink;
  rules?: RulesEvaluator;
  metrics?: IngestMetrics;
  logger: Logger;
  clock?: Clock;
  /** A sequence gap older than this gets a replay command. Default 10 s. */
  reorderTimeoutMs?: number;
  /** A replay that did not fill the gap within this raises a data-integrity alarm and is asked again (backoff up to 10 min); the ack stays held at the gap. Default 60 s. */
  replayTimeoutMs?: number;
  /** A gateway offline this long raises an alarm (a gateway-offline rule may override). Default 60 s. */
  offlineGraceMs?: number;
  /** After a planned stop (the gateway's shutdown status), the offline alarm waits this long (default 4 h). */
  plannedStopGraceMs?: number;
  /** Telemetry store to write into; default: the one that fits `db`. */
  store?: TelemetryStore;
  /** Messages processed at once (SQLite is always 1). Default 4. */
  concurrency?: number;
  /**
   * Telemetry messages of one gateway that queued up are committed together, up to this many (and
   * GROUP_MAX_BYTES) per transaction. Default 8; 1 commits each message on its own.
   */
  groupMessages?: number;
  /** Messages waiting beyond this are dropped unacknowledged (the gateway resends). Default 5000. */
  maxQueued?: number;
  /** Seqs accepted above what a gateway announced (birth/status nextSeq − 1). Default 100,000. */
  seqWindow?: number;
  /** Resend rounds of acknowledged events closer than this count once (stuck-stream detection). Default 5 s. */
  stuckRoundGapMs?: number;
  /** Timer pass period. Default min(timeouts)/4 within 50 ms…1 s. */
  tickMs?: number;
  /**
   * Uplink topics this worker takes; the others are ignored here — never stored, never acknowledged — and
   * left to another worker that takes them (the gateway resends what nobody acknowledges). Default: all.
   */
  accept?: (topic: string) => boolean;
  /** Observes a message's way through the worker (latency breakdown): received, started (left the queue), committed (before the ack). */
  onStage?: (topic: string, stage: IngestStage, at: number) => void;
  /**
   * PostgreSQL only: big telemetry groups (beyond EXPRESS_MAX_BYTES) are parsed, stored and evaluated on a
   * worker thread with its own pool, so this thread's event loop stays free for alarms, statuses and small
   * batches (alarm latency under bulk load). `setup` is the URL of a module exporting `setupBulkThread`
   * (bulk-thread-protocol.ts), which builds the thread's database, directory and rules from `data`.
   * `nice` (default 10; Linux keeps it per thread) lets the main thread's alarm work go first when the CPU is short.
   */
  bulkThread?: { setup: string; data: unknown; nice?: number; timeoutMs?: number };
  /** Whether anyone watches live values now (the thread then returns the readings it stored). Default: always. */
  liveWanted?: () => boolean;
}

export type IngestStage = 'received' | 'started' | 'committed';
