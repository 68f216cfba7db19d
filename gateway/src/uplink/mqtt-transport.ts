/**
 * mqtt.js transport: one client per connection attempt with mqtt.js's own reconnect switched off
 * (reconnectPeriod 0) — the Uplink runs the reconnect loop, so a refused CONNACK is retried like any other
 * failure and every CONNECT carries the current will. Clean sessions: nothing relies on the client's
 * in-memory store; unacknowledged events live in the journal.
 */
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';
import { SafeLoopError, errorMessage, mqttNoDelay } from '@safeloop/contract';
import type { MqttUplinkConfig } from './config.ts';
import type { ConnectParams, TransportConnection, UplinkTransport } from './transport.ts';

export class MqttTransport implements UplinkTransport {
  readonly name = 'mqtt';
  private readonly tlsFiles: { ca: Buffer; cert: Buffer; key: Buffer } | undefined;

  constructor(private readonly config: MqttUplinkConfig) {
    if (config.tls) {
      try {
        this.tlsFiles = { ca: readFileSync(config.tls.ca), cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) };
      } catch (err) {
        throw new SafeLoopError('GW_ERR_UPLINK_TLS_FILES', `uplink: cannot read TLS files: ${errorMessage(err)}`, { cause: err });
      }
    }
  }

  connect(params: ConnectParams): Promise<TransportConnection> {
    const options: IClientOptions = {
      clientId: params.clientId,
      protocolVersion: this.config.protocolVersion,
      clean: true,
      keepalive: params.keepaliveSec,
      reconnectPeriod: 0,
      connectTimeout: params.connectTimeoutMs,
      queueQoSZero: false,
      resubscribe: false,
      // mqtt-packet otherwise builds a 65,536-entry cache of 2-byte buffers on the first write: 11–15 MiB of
      // RSS on a gateway, to save a 2-byte allocation per packet id and topic length.
      writeCache: false,
      will: { topic: params.will.topic, payload: Buffer.from(params.will.payload), qos: 1, retain: false },
      ...(this.tlsFiles ? { ...this.tlsFiles, rejectUnauthorized: true } : {}),
      ...(this.config.servername ? { servername: this.config.servername } : {}),
    };
    const client = mqtt.connect(this.config.url, options);
    // An alarm written right behind a telemetry batch must not wait for the broker's delayed ACK.
    mqttNoDelay(client);
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (reason: string, err?: unknown) => {
        if (settled) return;
        settled = true;
        client.removeAllListeners();
        client.on('error', () => undefined);
        client.end(true);
        reject(new SafeLoopError('GW_ERR_UPLINK_CONNECT', `uplink: connect to ${this.config.url} failed: ${reason}`, { cause: err }));
      };
      const timer = setTimeout(() => fail(`no CONNACK within ${params.connectTimeoutMs} ms`), params.connectTimeoutMs + 1000);
      client.once('connect', () => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        client.removeAllListeners('error');
        client.removeAllListeners('close');
        resolve(new MqttConnection(client, params));
      });
      client.once('error', (err) => {
        clearTimeout(timer);
        fail(errorMessage(err), err);
      });
      client.once('close', () => {
        clearTimeout(timer);
        fail('connection closed before CONNACK');
      });
    });
  }
}

class MqttConnection implements TransportConnection {
  private closed = false;
  private closeReason = 'closed';

  constructor(
    private readonly client: MqttClient,
    private readonly params: ConnectParams,
  ) {
    client.on('message', (topic, payload) => params.handlers.onMessage(topic, payload));
    client.on('error', (err) => {
      this.closeReason = errorMessage(err);
    });
    client.on('disconnect', (packet) => {
      this.closeReason = `broker sent DISCONNECT (reason ${packet.reasonCode ?? 0})`;
    });
    client.on('close', () => this.markClosed(this.closeReason));
    client.on('offline', () => this.markClosed(this.closeReason));
  }

  subscribe(filter: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.subscribe(filter, { qos: 1 }, (err, granted) => {
        if (err) return reject(err);
        const g = granted?.[0];
        if (!g || g.qos > 2) return reject(new SafeLoopError('GW_ERR_UPLINK_SUBSCRIBE', `uplink: subscription to ${filter} refused`));
        resolve();
      });
    });
  }

  publish(topic: string, payload: string | Buffer): Promise<void> {
    if (this.closed) return Promise.reject(new SafeLoopError('GW_ERR_UPLINK_CLOSED', 'uplink: connection closed'));
    return new Promise((resolve, reject) => {
      this.client.publish(topic, payload, { qos: 1, retain: false }, (err) => (err ? reject(err) : resolve()));
    });
  }

  end(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.client.end(true);
        resolve();
      }, 2000);
      this.client.end(false, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    }).then(() => this.markClosed('ended by the gateway'));
  }

  destroy(): void {
    this.client.end(true);
    this.markClosed('destroyed by the gateway');
  }

  private markClosed(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    // publish callbacks may never fire once the socket is gone (mqtt.js #1974): the Uplink's timers own that
    this.client.end(true);
    this.params.handlers.onClose(reason);
  }
}
