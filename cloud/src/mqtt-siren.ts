/**
 * The siren channel: a `siren` command on the gateway's `down/cmd` topic, sent through the
 * ingest worker's MQTT connection. Until that connection exists, commands are refused (and the
 * dispatcher records the failure) rather than silently dropped.
 */
import { randomUUID } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { PROTOCOL_VERSION, SafeLoopError, topics, type CommandMessage, type Logger } from '@safeloop/contract';
import type { SirenCommand, SirenCommander } from './notify/index.ts';

export class MqttSirenCommander implements SirenCommander {
  private client: MqttClient | undefined;
  constructor(private readonly deps: { logger: Logger }) {}

  attach(client: MqttClient | undefined): void {
    this.client = client;
  }

  async sendSiren(cmd: SirenCommand): Promise<void> {
    const client = this.client;
    if (!client?.connected) throw new SafeLoopError('CLOUD_ERR_SIREN_OFFLINE', 'no broker connection for siren commands');
    const msg: CommandMessage = { v: PROTOCOL_VERSION, id: randomUUID(), type: 'siren', action: cmd.action, ...(cmd.point ? { point: cmd.point } : {}) };
    await client.publishAsync(topics.down(cmd.gatewayId, 'cmd'), JSON.stringify(msg), { qos: 1 });
    this.deps.logger.info({ gatewayId: cmd.gatewayId, action: cmd.action }, 'siren command sent');
  }
}
