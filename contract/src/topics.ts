/**
 * MQTT topic builders and parsers. The only place topic strings are built or split.
 * Everything a gateway may touch lives under `safeloop/v1/{gatewayId}/`, so a broker ACL
 * `pattern readwrite safeloop/v1/%u/#` confines each gateway to its own subtree.
 */
import { ID_PATTERN } from './reading.ts';

export const TOPIC_ROOT = 'safeloop/v1';
/**
 * The cloud's own retained status (birth/death of its ingest): every gateway may read it (one broker ACL
 * line `topic read safeloop/v1/$cloud/status`). `$` is not allowed in gateway ids, so it never names a gateway.
 */
export const CLOUD_STATUS_TOPIC = `${TOPIC_ROOT}/$cloud/status`;
export const STREAMS = ['alarm', 'telemetry'] as const;
export type Stream = (typeof STREAMS)[number];

export type UpChannel = 'alarm' | 'telemetry' | 'status';
export type DownChannel = 'ack' | 'cmd';

function checkGatewayId(gatewayId: string): string {
  if (!ID_PATTERN.test(gatewayId)) throw new Error(`invalid gateway id for a topic: ${JSON.stringify(gatewayId)}`);
  return gatewayId;
}

export const topics = {
  up: (gatewayId: string, channel: UpChannel): string => `${TOPIC_ROOT}/${checkGatewayId(gatewayId)}/up/${channel}`,
  down: (gatewayId: string, channel: DownChannel): string => `${TOPIC_ROOT}/${checkGatewayId(gatewayId)}/down/${channel}`,
  /** What the cloud subscribes to: every gateway's uplink. */
  allUp: (): string => `${TOPIC_ROOT}/+/up/#`,
  /** Same, as an MQTT 5 shared subscription so N ingest workers split the load. */
  sharedAllUp: (group = 'ingest'): string => `$share/${group}/${TOPIC_ROOT}/+/up/#`,
  /** The cloud ingest's retained online/offline status (gateways subscribe; optional for old brokers' ACLs). */
  cloudStatus: (): string => CLOUD_STATUS_TOPIC,
  /** What a gateway subscribes to. */
  gatewayDown: (gatewayId: string): string => `${TOPIC_ROOT}/${checkGatewayId(gatewayId)}/down/#`,
};

export type ParsedTopic =
  | { direction: 'up'; gatewayId: string; channel: UpChannel }
  | { direction: 'down'; gatewayId: string; channel: DownChannel };

/** Parse a topic; returns undefined for anything that is not one of ours. */
export function parseTopic(topic: string): ParsedTopic | undefined {
  const parts = topic.split('/');
  if (parts.length !== 5 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT) return undefined;
  const gatewayId = parts[2] ?? '';
  if (!ID_PATTERN.test(gatewayId)) return undefined;
  const direction = parts[3];
  const channel = parts[4];
  if (direction === 'up' && (channel === 'alarm' || channel === 'telemetry' || channel === 'status')) {
    return { direction, gatewayId, channel };
  }
  if (direction === 'down' && (channel === 'ack' || channel === 'cmd')) {
    return { direction, gatewayId, channel };
  }
  return undefined;
}
