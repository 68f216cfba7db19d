import { z } from 'zod';

const TlsFilesSchema = z.object({
  ca: z.string().min(1),
  cert: z.string().min(1),
  key: z.string().min(1),
});

/**
 * How journal rows travel: windows, batch sizes, timeouts, rate limits. Shared by both transports.
 * Batch sizes stay inside AWS IoT Core's 128 KB/message; the per-connection rate limits default per
 * transport (see TRANSPORT_RATE_LIMITS): AWS IoT's own limits apply to the AWS transport only.
 */
export const DeliverySchema = z.object({
  /** Batches awaiting the cloud's application ack, per stream, before more are sent. */
  alarmWindow: z.number().int().min(1).max(64).default(8),
  /**
   * Telemetry batches in flight. Unset: the transport's default (8 on mqtt, 2 on aws-iot). A live alarm
   * waits at most behind this many batches already on the wire, so keep it small on slow links.
   */
  telemetryWindow: z.number().int().min(1).max(64).optional(),
  /** Events per batch (schema caps: 1000 alarm, 5000 telemetry). */
  alarmBatchMax: z.number().int().min(1).max(1000).default(200),
  telemetryBatchMax: z.number().int().min(1).max(5000).default(5000),
  /** Payload bytes per batch (≤ 128 KiB). Smaller batches shorten how long a live alarm can queue behind one on a slow link. */
  maxBatchBytes: z.number().int().min(4096).max(126 * 1024).default(96 * 1024),
  /** No application ack this long after a batch → resend everything unacknowledged on that stream (the cloud dedupes by id). */
  ackTimeoutMs: z.number().int().min(100).max(600_000).default(20_000),
  /** No PUBACK this long → the link is considered dead and recycled. */
  publishTimeoutMs: z.number().int().min(100).max(600_000).default(15_000),
  connectTimeoutMs: z.number().int().min(100).max(120_000).default(15_000),
  reconnectMinMs: z.number().int().min(10).max(600_000).default(500),
  reconnectMaxMs: z.number().int().min(10).max(3_600_000).default(30_000),
  /**
   * While alarm events wait in the journal, the reconnect wait never exceeds this (an alarm must not sit
   * out a long backoff after a broker flap). Telemetry-only backlogs use reconnectMaxMs.
   */
  alarmReconnectMaxMs: z.number().int().min(10).max(60_000).default(1_000),
  /** Events older than this when sent are flagged `historical: true`. */
  historicalAfterSec: z.number().min(0).default(30),
  /**
   * Per-connection rate limits; alarms are never held back by them. Unset: the transport's default
   * (TRANSPORT_RATE_LIMITS) — AWS IoT Core's 100 publishes/s and 512 KiB/s with a margin on aws-iot, and
   * what a broker of our own takes on mqtt. Set them to what your broker allows per client.
   */
  maxPublishesPerSec: z.number().min(1).max(10_000).optional(),
  maxBytesPerSec: z.number().int().min(4096).optional(),
  /**
   * Telemetry payload: `auto` sends the columnar v2 payload while the cloud's retained status lists
   * payload version 2 and v1 otherwise; `v1` always sends v1 (JSON, one object per reading).
   */
  payload: z.enum(['auto', 'v1']).default('auto'),
  /** Deflate v2 payloads. Unset: the transport's default (on for aws-iot, whose limit is bytes/s; off on mqtt). */
  deflate: z.boolean().optional(),
  /** Seconds between status messages while connected. */
  statusIntervalSec: z.number().min(1).max(3600).default(30),
  /** Largest seq range a single replay command may ask for. */
  maxReplayRows: z.number().int().min(1).default(100_000),
});
export type DeliveryConfig = z.infer<typeof DeliverySchema>;

/** Default per-connection limits by transport. A Mosquitto of our own has no per-client rate limit. */
export const TRANSPORT_RATE_LIMITS = {
  'aws-iot': { maxPublishesPerSec: 90, maxBytesPerSec: 480 * 1024, telemetryWindow: 2, deflate: true },
  mqtt: { maxPublishesPerSec: 1000, maxBytesPerSec: 32 * 1024 * 1024, telemetryWindow: 8, deflate: false },
} as const;

/** Delivery settings with the rate limits resolved for the transport. */
export type ResolvedDeliveryConfig = DeliveryConfig & { maxPublishesPerSec: number; maxBytesPerSec: number; telemetryWindow: number; deflate: boolean };

export function resolveDelivery(transport: keyof typeof TRANSPORT_RATE_LIMITS, d: DeliveryConfig): ResolvedDeliveryConfig {
  const limits = TRANSPORT_RATE_LIMITS[transport];
  return {
    ...d,
    maxPublishesPerSec: d.maxPublishesPerSec ?? limits.maxPublishesPerSec,
    maxBytesPerSec: d.maxBytesPerSec ?? limits.maxBytesPerSec,
    telemetryWindow: d.telemetryWindow ?? limits.telemetryWindow,
    deflate: d.deflate ?? limits.deflate,
  };
}

export const MqttUplinkSchema = z.object({
  transport: z.literal('mqtt'),
  url: z.string().regex(/^(mqtt|mqtts|tcp|ssl|tls):\/\//, 'must be mqtt:// or mqtts://'),
  protocolVersion: z.union([z.literal(4), z.literal(5)]).default(5),
  /** Client certificates; required for mqtts:// (no anonymous uplinks in production). */
  tls: TlsFilesSchema.optional(),
  /** TLS server name to verify (defaults to the URL host). */
  servername: z.string().min(1).optional(),
  /** MQTT client id; defaults to the gateway id (a second connection with the same id takes the first one over). */
  clientId: z.string().min(1).max(128).optional(),
  keepaliveSec: z.number().int().min(2).max(1200).default(30),
  /** Development only: allow a plain mqtt:// link (the demo's embedded broker on localhost). */
  allowInsecure: z.boolean().default(false),
  delivery: DeliverySchema.default(DeliverySchema.parse({})),
});

export const AwsIotUplinkSchema = z.object({
  transport: z.literal('aws-iot'),
  endpoint: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(8883),
  tls: TlsFilesSchema,
  /** MQTT client id; on AWS IoT this is normally the thing name (= gateway id, the default). */
  clientId: z.string().min(1).max(128).optional(),
  keepaliveSec: z.number().int().min(2).max(1200).default(30),
  delivery: DeliverySchema.default(DeliverySchema.parse({})),
});

export const UplinkConfigSchema = z
  .discriminatedUnion('transport', [MqttUplinkSchema, AwsIotUplinkSchema])
  .superRefine((u, ctx) => {
    if (u.transport === 'mqtt' && !u.tls && !u.allowInsecure) {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'client certificates are required (set allowInsecure: true only for a local demo broker)' });
    }
    if (u.delivery.reconnectMaxMs < u.delivery.reconnectMinMs) {
      ctx.addIssue({ code: 'custom', path: ['delivery', 'reconnectMaxMs'], message: 'must be ≥ reconnectMinMs' });
    }
  });
export type UplinkConfig = z.infer<typeof UplinkConfigSchema>;
export type UplinkConfigInput = z.input<typeof UplinkConfigSchema>;
export type MqttUplinkConfig = z.infer<typeof MqttUplinkSchema>;
export type AwsIotUplinkConfig = z.infer<typeof AwsIotUplinkSchema>;
