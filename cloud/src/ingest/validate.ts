/**
 * First gate of ingest: topic, size, JSON, protocol version, schema, and that the payload's
 * gatewayId is the one in the topic (the broker ACL binds the topic to the certificate).
 * Telemetry may also come as payload v2 (columnar, plain or deflated: contract/src/uplink-v2.ts),
 * which is expanded here into the v1 batch it stands for, so everything after this gate sees v1.
 * Pure and synchronous; never throws.
 */
import {
  AlarmBatchSchema,
  MAX_PAYLOAD_BYTES,
  PAYLOAD_V2,
  PROTOCOL_VERSION,
  inflatePayload,
  telemetryV2ToV1,
  StatusMessageSchema,
  TelemetryBatchSchema,
  parseTopic,
  type AlarmBatch,
  type StatusMessage,
  type TelemetryBatch,
} from '@safeloop/contract';
import type { z } from 'zod';
import type { RejectReason } from './metrics.ts';

export type ValidUplink =
  | { ok: true; gatewayId: string; channel: 'telemetry'; msg: TelemetryBatch }
  | { ok: true; gatewayId: string; channel: 'alarm'; msg: AlarmBatch }
  | { ok: true; gatewayId: string; channel: 'status'; msg: StatusMessage };

export interface Rejected {
  ok: false;
  reason: RejectReason;
  detail: string;
  gatewayId: string | undefined;
}

function issue(err: z.ZodError): string {
  const first = err.issues[0];
  return first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'invalid';
}

export function validateUplink(topic: string, payload: Uint8Array): ValidUplink | Rejected {
  const t = parseTopic(topic);
  if (!t || t.direction !== 'up') return { ok: false, reason: 'bad_topic', detail: `not an uplink topic: ${topic.slice(0, 200)}`, gatewayId: undefined };
  const gatewayId = t.gatewayId;
  if (payload.byteLength > MAX_PAYLOAD_BYTES) {
    return { ok: false, reason: 'oversized', detail: `${payload.byteLength} bytes > ${MAX_PAYLOAD_BYTES}`, gatewayId };
  }
  const raw = t.channel === 'telemetry' ? inflatePayload(payload) : { ok: true as const, bytes: payload };
  if (!raw.ok) return { ...raw, gatewayId };
  const bytes = raw.bytes;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (err) {
    return { ok: false, reason: 'not_json', detail: err instanceof Error ? err.message : String(err), gatewayId };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, reason: 'invalid', detail: '(root): expected an object', gatewayId };
  }
  const v = (json as { v?: unknown }).v;
  if (v !== PROTOCOL_VERSION && !(v === PAYLOAD_V2 && t.channel === 'telemetry')) return { ok: false, reason: 'unknown_version', detail: `v=${JSON.stringify(v) ?? 'missing'}`, gatewayId };
  const claimed = (json as { gatewayId?: unknown }).gatewayId;
  if (claimed !== gatewayId) {
    return { ok: false, reason: 'wrong_gateway_topic', detail: `payload gatewayId ${JSON.stringify(claimed)} on the topic of ${gatewayId}`, gatewayId };
  }
  switch (t.channel) {
    case 'telemetry': {
      if (v === PAYLOAD_V2) {
        const x = telemetryV2ToV1(json);
        return x.ok ? { ok: true, gatewayId, channel: 'telemetry', msg: x.value } : { ...x, gatewayId };
      }
      const p = TelemetryBatchSchema.safeParse(json);
      return p.success ? { ok: true, gatewayId, channel: 'telemetry', msg: p.data } : { ok: false, reason: 'invalid', detail: issue(p.error), gatewayId };
    }
    case 'alarm': {
      const p = AlarmBatchSchema.safeParse(json);
      return p.success ? { ok: true, gatewayId, channel: 'alarm', msg: p.data } : { ok: false, reason: 'invalid', detail: issue(p.error), gatewayId };
    }
    case 'status': {
      const p = StatusMessageSchema.safeParse(json);
      return p.success ? { ok: true, gatewayId, channel: 'status', msg: p.data } : { ok: false, reason: 'invalid', detail: issue(p.error), gatewayId };
    }
  }
}
