/**
 * Uplink/downlink payloads (version 1), validated on both ends with these schemas.
 * See docs/protocol.md for the contract in prose.
 */
import { z } from 'zod';
import { FaultCodeSchema } from './faults.ts';
import { AlarmLevelSchema, LimitDirectionSchema } from './levels.ts';
import { EpochMsSchema, IdSchema, PointPathSchema, ReadingSchema, QualitySchema, ReadingValueSchema, ReasonCodeSchema } from './reading.ts';

export const PROTOCOL_VERSION = 1;
/** Largest payload either side accepts (AWS IoT Core allows 128 KB per message). */
export const MAX_PAYLOAD_BYTES = 128 * 1024;

/** ULID: 26 Crockford base-32 characters. */
export const EventIdSchema = z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a ULID');
export const SeqSchema = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

const EventBase = { id: EventIdSchema, seq: SeqSchema };

export const TelemetryEventSchema = ReadingSchema.extend({
  ...EventBase,
  /** True when sent from backlog after an outage: never overwrites a newer current value. */
  historical: z.boolean().optional(),
});
export type TelemetryEvent = z.infer<typeof TelemetryEventSchema>;

/** An alarm condition change evaluated at the edge. */
export const AlarmEventSchema = z.object({
  ...EventBase,
  type: z.literal('alarm'),
  point: PointPathSchema,
  kind: z.enum(['raised', 'cleared']),
  level: AlarmLevelSchema,
  direction: LimitDirectionSchema,
  limit: z.number().finite(),
  value: ReadingValueSchema,
  unit: z.string().max(32).optional(),
  quality: QualitySchema,
  /** Optional (added): the reading's reason code when its quality is not good (e.g. bad_time, out_of_range). */
  reason: ReasonCodeSchema.optional(),
  sourceTime: EpochMsSchema,
  gatewayTime: EpochMsSchema,
  historical: z.boolean().optional(),
  /** Optional (added): `over_range` when a value above the measuring range raised it (absent = limit). */
  cause: z.enum(['limit', 'over_range']).optional(),
  /** Optional (added): the alarm stays active after the value returns until a person resets it. */
  latched: z.boolean().optional(),
});
export type AlarmEvent = z.infer<typeof AlarmEventSchema>;

/** Optional `site/device` or `site/device/point`: what a fault alarm is about. */
const SubjectSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}\/[A-Za-z0-9_-]{1,64}(\/[A-Za-z0-9_-]{1,64})?$/, 'must be site/device or site/device/point');

/**
 * A fault alarm (故障报警) change evaluated at the edge (added, backward compatible): the instrument
 * is not measuring — sensor fault, calibration, comm loss, below range … (contract/src/faults.ts).
 */
export const FaultEventSchema = z.object({
  ...EventBase,
  type: z.literal('fault'),
  /** `site/device` for device-scope faults (comm loss), `site/device/point` for point-scope ones. */
  subject: SubjectSchema,
  /** The reading that decided it. */
  point: PointPathSchema,
  kind: z.enum(['raised', 'cleared']),
  fault: FaultCodeSchema,
  value: ReadingValueSchema,
  unit: z.string().max(32).optional(),
  quality: QualitySchema,
  reason: ReasonCodeSchema.optional(),
  detail: z.string().max(200).optional(),
  sourceTime: EpochMsSchema,
  gatewayTime: EpochMsSchema,
  historical: z.boolean().optional(),
});
export type FaultEvent = z.infer<typeof FaultEventSchema>;

/** A gateway's own condition that people must see: telemetry discarded, disk full, clock jump. */
export const SystemEventSchema = z.object({
  ...EventBase,
  type: z.literal('system'),
  code: z.string().regex(/^[A-Z0-9_]{3,64}$/),
  message: z.string().max(500),
  details: z.record(z.string(), z.unknown()).optional(),
  gatewayTime: EpochMsSchema,
});
export type SystemEvent = z.infer<typeof SystemEventSchema>;

export const AlarmStreamEventSchema = z.discriminatedUnion('type', [AlarmEventSchema, FaultEventSchema, SystemEventSchema]);
export type AlarmStreamEvent = z.infer<typeof AlarmStreamEventSchema>;

export const TelemetryBatchSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  gatewayId: IdSchema,
  stream: z.literal('telemetry'),
  /**
   * Optional (added, backward compatible): every telemetry seq ≤ discardedThrough that the cloud has not
   * committed was discarded at the gateway by its disk-budget policy (announced by a GW_TELEMETRY_DISCARDED
   * system event). The cloud advances its contiguous ack over those seqs and never asks to replay them.
   */
  discardedThrough: z.number().int().min(0).optional(),
  events: z.array(TelemetryEventSchema).min(1).max(5000),
});
export type TelemetryBatch = z.infer<typeof TelemetryBatchSchema>;

export const AlarmBatchSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  gatewayId: IdSchema,
  stream: z.literal('alarm'),
  events: z.array(AlarmStreamEventSchema).min(1).max(1000),
});
export type AlarmBatch = z.infer<typeof AlarmBatchSchema>;

export const UplinkBatchSchema = z.discriminatedUnion('stream', [TelemetryBatchSchema, AlarmBatchSchema]);
export type UplinkBatch = z.infer<typeof UplinkBatchSchema>;

/** Birth (online), death (offline, registered as the MQTT will) and periodic status. */
export const StatusMessageSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  gatewayId: IdSchema,
  state: z.enum(['online', 'offline', 'status']),
  /** Birth/death sequence: incremented per connect; the will carries the value the birth announced. */
  bdSeq: z.number().int().min(0),
  time: EpochMsSchema,
  siteId: IdSchema.optional(),
  configVersion: z.number().int().min(0).optional(),
  /** Journal rows not yet acknowledged, per stream. */
  backlog: z.object({ alarm: z.number().int().min(0), telemetry: z.number().int().min(0) }).optional(),
  /** Next seq the gateway will assign per stream (lets the cloud spot a gap at the tail). */
  nextSeq: z.object({ alarm: z.number().int().min(1), telemetry: z.number().int().min(1) }).optional(),
  health: z.enum(['ok', 'degraded', 'failing']).optional(),
  healthDetail: z.string().max(500).optional(),
  /** Telemetry rows discarded by the disk-budget policy since the journal was created. */
  discardedTelemetry: z.number().int().min(0).optional(),
  /** Optional (added): same meaning as TelemetryBatch.discardedThrough. */
  discardedThrough: z.number().int().min(0).optional(),
  devices: z.record(z.string(), z.enum(['ok', 'degraded', 'comm_lost'])).optional(),
  /**
   * Optional (added): on the offline status a gateway publishes when it stops on purpose (service stop,
   * restart). Never on the MQTT will: an unplanned loss cannot say so. The cloud then shows the gateway as
   * stopped and raises the offline alarm only if it is not back within the planned-stop grace.
   */
  shutdown: z.boolean().optional(),
  /** Optional (added): the gateway clock minus the cloud clock, ms, estimated from the last ack (positive = gateway ahead). */
  clockOffsetMs: z.number().int().optional(),
  /**
   * Optional (added): identity of the journal file the seqs come from, generated once when the journal is
   * created. A birth with a new journalId (or a nextSeq below the cloud's ack) opens a new stream epoch.
   */
  journalId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/).optional(),
});
export type StatusMessage = z.infer<typeof StatusMessageSchema>;

/**
 * Cloud → gateways, retained on `topics.cloudStatus()`: the cloud's ingest is online (published after it
 * subscribed, on every (re)connect) or offline (its MQTT will). A gateway that sees a new
 * (instanceId, since) re-publishes everything unacknowledged at once instead of waiting for its ack timeout.
 */
export const CloudStatusMessageSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  state: z.enum(['online', 'offline']),
  /** One per ingest process. */
  instanceId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  /** When this connection of the instance came up (its subscription is in place). */
  since: EpochMsSchema,
  /**
   * Optional (added): telemetry payload versions this cloud accepts (absent = [1]). A gateway sends the
   * columnar v2 payload (uplink-v2.ts, plain or deflated) only while the cloud lists 2 here.
   */
  payloadVersions: z.array(z.number().int().min(1).max(99)).max(16).optional(),
});
export type CloudStatusMessage = z.infer<typeof CloudStatusMessageSchema>;

/** Cloud → gateway: everything up to ackSeq on this stream is committed; release it. */
export const AckMessageSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  gatewayId: IdSchema,
  stream: z.enum(['alarm', 'telemetry']),
  /** Highest contiguous sequence number committed in the cloud store. */
  ackSeq: z.number().int().min(0),
  /** Optional (added): the cloud's clock when it sent the ack, so the gateway can report its own clock offset. */
  cloudTime: EpochMsSchema.optional(),
});
export type AckMessage = z.infer<typeof AckMessageSchema>;

export const CommandMessageSchema = z.discriminatedUnion('type', [
  z.object({
    v: z.literal(PROTOCOL_VERSION),
    id: z.string().min(1).max(64),
    type: z.literal('replay'),
    stream: z.enum(['alarm', 'telemetry']),
    fromSeq: SeqSchema,
    toSeq: SeqSchema.optional(),
  }),
  z.object({
    v: z.literal(PROTOCOL_VERSION),
    id: z.string().min(1).max(64),
    type: z.literal('siren'),
    action: z.enum(['silence', 'reset']),
    point: PointPathSchema.optional(),
  }),
  z.object({
    v: z.literal(PROTOCOL_VERSION),
    id: z.string().min(1).max(64),
    type: z.literal('config'),
    version: z.number().int().min(1),
    config: z.unknown(),
  }),
  z.object({ v: z.literal(PROTOCOL_VERSION), id: z.string().min(1).max(64), type: z.literal('rebirth') }),
]);
export type CommandMessage = z.infer<typeof CommandMessageSchema>;

/** Parse a JSON payload with a size bound; returns a discriminated result, never throws. */
export function parsePayload<T>(
  schema: z.ZodType<T>,
  payload: Uint8Array | string,
): { ok: true; value: T } | { ok: false; reason: 'oversized' | 'not_json' | 'invalid'; detail: string } {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > MAX_PAYLOAD_BYTES) return { ok: false, reason: 'oversized', detail: `${size} bytes > ${MAX_PAYLOAD_BYTES}` };
  let json: unknown;
  try {
    json = JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8'));
  } catch (err) {
    return { ok: false, reason: 'not_json', detail: err instanceof Error ? err.message : String(err) };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return { ok: false, reason: 'invalid', detail: first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'invalid' };
  }
  return { ok: true, value: parsed.data };
}
