/**
 * Cloud ingest: MQTT uplink → validation → idempotent commit → ack after commit; sequence gaps,
 * replays and data-integrity alarms; birth/death; edge alarms into the AlarmSink.
 */
export type { BulkThreadParts, BulkThreadSetup } from './bulk-thread-protocol.ts';
export { IngestWorker, type IngestStage, type IngestWorkerDeps } from './ingest-worker.ts';
export { UplinkProcessor, type UplinkOutcome, type UplinkProcessorDeps } from './uplink-processor.ts';
export { createIngestMetrics, type IngestMetrics, type RejectReason } from './metrics.ts';
export { CachedDirectory, type GatewayDirectory, type GatewayInfo } from './directory.ts';
export { validateUplink } from './validate.ts';
export { mergeSeqs } from './seq-tracker.ts';
export { limitConditionKey } from './edge-alarms.ts';
export { offlineConditionKey } from './gateway-status.ts';
export { INGEST_MIGRATIONS } from './migrations.ts';
