/** Prometheus metrics of the ingest path. */
import { Counter, Histogram, type Registry } from 'prom-client';

export type RejectReason =
  | 'bad_topic'
  | 'oversized'
  | 'not_json'
  | 'bad_compression'
  | 'unknown_version'
  | 'invalid'
  | 'wrong_gateway_topic'
  | 'unknown_gateway'
  | 'wrong_tenant'
  | 'overloaded'
  | 'store_error'
  | 'seq_out_of_window'
  | 'seq_reused';

export interface IngestMetrics {
  readingsIngested: Counter;
  rejected: Counter<'reason'>;
  batches: Counter<'stream'>;
  duplicates: Counter<'stream'>;
  commitSeconds: Histogram<'stream'>;
  gaps: Counter;
  replayRequests: Counter;
  integrityAlarms: Counter;
  staleDeathsIgnored: Counter;
  alarmDispatchFailures: Counter;
  edgeAlarmEvents: Counter<'kind'>;
}

export function createIngestMetrics(registry: Registry): IngestMetrics {
  const registers = [registry];
  return {
    readingsIngested: new Counter({ name: 'safeloop_readings_ingested_total', help: 'Readings committed to the store (new event ids only)', registers }),
    rejected: new Counter({ name: 'safeloop_ingest_rejected_total', help: 'Uplink payloads or events rejected, by reason', labelNames: ['reason'], registers }),
    batches: new Counter({ name: 'safeloop_ingest_batches_total', help: 'Uplink batches committed, by stream', labelNames: ['stream'], registers }),
    duplicates: new Counter({ name: 'safeloop_ingest_duplicates_total', help: 'Events already stored (redelivery or replay)', labelNames: ['stream'], registers }),
    commitSeconds: new Histogram({
      name: 'safeloop_ingest_commit_seconds',
      help: 'Time from message arrival to DB commit',
      labelNames: ['stream'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    gaps: new Counter({ name: 'safeloop_ingest_gaps_total', help: 'Sequence gaps that outlived the reorder timeout', registers }),
    replayRequests: new Counter({ name: 'safeloop_ingest_replay_requests_total', help: 'Replay commands sent to gateways', registers }),
    integrityAlarms: new Counter({ name: 'safeloop_ingest_integrity_alarms_total', help: 'Data-integrity alarms raised for unfilled gaps', registers }),
    staleDeathsIgnored: new Counter({ name: 'safeloop_ingest_stale_deaths_ignored_total', help: 'Death messages ignored because a newer birth was seen', registers }),
    alarmDispatchFailures: new Counter({ name: 'safeloop_alarm_dispatch_failures_total', help: 'AlarmSink calls that failed (retried later)', registers }),
    edgeAlarmEvents: new Counter({ name: 'safeloop_edge_alarm_events_total', help: 'Edge alarm events committed, by kind', labelNames: ['kind'], registers }),
  };
}
