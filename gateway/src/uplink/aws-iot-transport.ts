/**
 * AWS IoT Core transport through aws-iot-device-sdk-v2's MQTT5 client (mutual TLS). Same contract as the
 * mqtt.js transport: a fresh native client per connection attempt, stopped on its first disconnection
 * (the Uplink owns reconnecting, so each CONNECT carries the current will), clean sessions, and the SDK's
 * in-RAM offline queue disabled (FailAllOnDisconnect) — unacknowledged events live only in the journal.
 * Works against any MQTT 5 broker with client certificates (tested against a local Mosquitto).
 */
import { existsSync } from 'node:fs';
import type { mqtt5 } from 'aws-iot-device-sdk-v2';
import { SafeLoopError, errorMessage } from '@safeloop/contract';
import type { AwsIotUplinkConfig } from './config.ts';
import type { ConnectParams, TransportConnection, UplinkTransport } from './transport.ts';

export class AwsIotTransport implements UplinkTransport {
  readonly name = 'aws-iot';

  constructor(private readonly config: AwsIotUplinkConfig) {
    for (const [what, path] of Object.entries(config.tls)) {
      if (!existsSync(path)) throw new SafeLoopError('GW_ERR_UPLINK_TLS_FILES', `uplink: TLS ${what} file not found: ${path}`);
    }
  }

  async connect(params: ConnectParams): Promise<TransportConnection> {
    // loaded on first use: the native aws-crt module costs seconds of start-up that mqtt.js gateways never need
    sdk ??= import('aws-iot-device-sdk-v2');
    const { iot, mqtt5 } = await sdk;
    const { tls, endpoint, port } = this.config;
    const builder = iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithMtlsFromPath(endpoint, tls.cert, tls.key);
    builder.withCertificateAuthorityFromPath(undefined, tls.ca);
    builder.withPort(port);
    builder.withConnectProperties({
      clientId: params.clientId,
      keepAliveIntervalSeconds: params.keepaliveSec,
      sessionExpiryIntervalSeconds: 0,
      will: { topicName: params.will.topic, payload: Buffer.from(params.will.payload), qos: mqtt5.QoS.AtLeastOnce, retain: false },
    });
    builder.withSessionBehavior(mqtt5.ClientSessionBehavior.Clean);
    builder.withOfflineQueueBehavior(mqtt5.ClientOperationQueueBehavior.FailAllOnDisconnect);
    builder.withConnackTimeoutMs(params.connectTimeoutMs);
    builder.withPingTimeoutMs(Math.max(1000, Math.round(params.keepaliveSec * 500)));
    builder.withMinReconnectDelayMs(3_600_000);
    const client = new mqtt5.Mqtt5Client(builder.build());
    return new Promise<TransportConnection>((resolve, reject) => {
      let connection: AwsIotConnection | undefined;
      client.on('error', () => undefined);
      client.on('connectionSuccess', () => {
        connection = new AwsIotConnection(client, params);
        resolve(connection);
      });
      client.on('connectionFailure', (e) => {
        if (connection) return;
        void shutdown(client);
        reject(new SafeLoopError('GW_ERR_UPLINK_CONNECT', `uplink: AWS IoT connect to ${endpoint}:${port} failed: ${e.error.toString()}`));
      });
      client.on('disconnection', (e) => connection?.markClosed(`disconnected: ${e.error.toString()}`));
      client.on('messageReceived', (e) => {
        const p = e.message.payload;
        const buf = p === undefined ? Buffer.alloc(0) : typeof p === 'string' ? Buffer.from(p) : Buffer.from(p instanceof ArrayBuffer ? p : (p as ArrayBufferView).buffer);
        params.handlers.onMessage(e.message.topicName, buf);
      });
      client.start();
    });
  }
}

const shuttingDown = new WeakSet<mqtt5.Mqtt5Client>();
let sdk: Promise<typeof import('aws-iot-device-sdk-v2')> | undefined;
/** QoS 1 (mqtt5.QoS.AtLeastOnce) without loading the SDK at import time. */
const AT_LEAST_ONCE = 1 as mqtt5.QoS;

/**
 * Stop and release a native client. `graceful` waits (≤ 2 s) for the DISCONNECT to go out before close().
 * A closed client's native handle is freed by a finaliser (aws-crt-nodejs #600): until the next GC it can
 * keep a short-lived process alive, which is harmless for the long-running gateway.
 */
function shutdown(client: mqtt5.Mqtt5Client, graceful = false): Promise<void> {
  if (shuttingDown.has(client)) return Promise.resolve();
  shuttingDown.add(client);
  return new Promise<void>((resolve) => {
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      clearTimeout(timer);
      setImmediate(() => {
        client.close();
        resolve();
      });
    };
    const timer = setTimeout(release, graceful ? 2000 : 0);
    if (graceful) client.once('stopped', release);
    try {
      client.stop();
    } catch {
      release();
    }
  });
}

class AwsIotConnection implements TransportConnection {
  private closed = false;

  constructor(
    private readonly client: mqtt5.Mqtt5Client,
    private readonly params: ConnectParams,
  ) {}

  async subscribe(filter: string): Promise<void> {
    const suback = await this.client.subscribe({ subscriptions: [{ topicFilter: filter, qos: AT_LEAST_ONCE }] });
    const code = suback.reasonCodes[0] ?? 0x80;
    if (code >= 0x80) throw new SafeLoopError('GW_ERR_UPLINK_SUBSCRIBE', `uplink: subscription to ${filter} refused (reason ${code})`);
  }

  async publish(topic: string, payload: string | Buffer): Promise<void> {
    if (this.closed) throw new SafeLoopError('GW_ERR_UPLINK_CLOSED', 'uplink: connection closed');
    const res = await this.client.publish({ topicName: topic, payload: typeof payload === 'string' ? Buffer.from(payload) : payload, qos: AT_LEAST_ONCE });
    const code = res?.reasonCode ?? 0;
    if (code >= 0x80) {
      throw new SafeLoopError('GW_ERR_UPLINK_PUBLISH_REFUSED', `uplink: publish to ${topic} refused (reason ${code}${res?.reasonString ? ` ${res.reasonString}` : ''})`);
    }
  }

  async end(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await shutdown(this.client, true);
    this.params.handlers.onClose('ended by the gateway');
  }

  destroy(): void {
    this.markClosed('destroyed by the gateway');
  }

  markClosed(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    void shutdown(this.client);
    this.params.handlers.onClose(reason);
  }
}
