/**
 * A minimal stand-in for the cloud ingest, for tests and benches only: subscribes to one gateway's uplink,
 * validates each batch against the wire contract, stores events by id (a Map: the unique key), tracks the
 * committed seqs per stream and acks the highest contiguous one (stepping over `discardedThrough`).
 * `acking = false` keeps storing but stops acking; stop()/start() takes the "cloud" away entirely.
 * Telemetry payload v2 (columnar, plain or deflated) is decoded with the contract's decoder; announce()
 * publishes a retained cloud status saying which payload versions this "cloud" accepts — use it only on a
 * private broker (the retained cloud status topic is shared by every gateway on a broker).
 */
import mqtt from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';
import { PROTOCOL_VERSION, StatusMessageSchema, UplinkBatchSchema, decodeTelemetryV2, isDeflated, parsePayload, topics } from '@safeloop/contract';
import type { AlarmStreamEvent, StatusMessage, Stream, TelemetryEvent } from '@safeloop/contract';

export interface StoredEvent {
  stream: Stream;
  seq: number;
  event: TelemetryEvent | AlarmStreamEvent;
}

export class TestAcker {
  readonly events = new Map<string, StoredEvent>();
  readonly bySeq: Record<Stream, Map<number, string>> = { alarm: new Map(), telemetry: new Map() };
  readonly contiguous: Record<Stream, number> = { alarm: 0, telemetry: 0 };
  readonly statuses: StatusMessage[] = [];
  /** Same seq delivered with a different id (must never happen). */
  conflicts = 0;
  redeliveries = 0;
  invalidBatches = 0;
  /** Telemetry batches that came as payload v2, and their bytes on the wire (v1 and v2). */
  v2Batches = 0;
  readonly wireBytes: Record<Stream, number> = { alarm: 0, telemetry: 0 };
  acking = true;
  /** Seqs the acker pretends not to have received (to test gap replay). */
  dropSeqs = new Set<string>();
  private client: MqttClient | undefined;
  private listeners: (() => void)[] = [];

  constructor(private readonly opts: { url: string; gatewayId: string; mqtt?: IClientOptions }) {}

  async start(): Promise<void> {
    const client = await mqtt.connectAsync(this.opts.url, {
      clientId: `acker-${this.opts.gatewayId}-${Math.random().toString(16).slice(2, 8)}`,
      reconnectPeriod: 200,
      ...this.opts.mqtt,
    });
    this.client = client;
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    await client.subscribeAsync(`safeloop/v1/${this.opts.gatewayId}/up/#`, { qos: 1 });
  }

  async stop(): Promise<void> {
    await this.client?.endAsync(true);
    this.client = undefined;
  }

  /** Resolves once pred() holds (checked after each message and every 50 ms). */
  waitFor(pred: () => boolean, timeoutMs: number, what = 'condition'): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!pred()) return;
        cleanup();
        resolve();
      };
      const timer = setInterval(check, 50);
      const deadline = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearInterval(timer);
        clearTimeout(deadline);
        this.listeners = this.listeners.filter((l) => l !== check);
      };
      this.listeners.push(check);
      check();
    });
  }

  /** Publish anything on the gateway's downlink (malformed-input tests). */
  async sendRaw(channel: 'ack' | 'cmd', payload: string | Buffer): Promise<void> {
    await this.client?.publishAsync(topics.down(this.opts.gatewayId, channel), payload, { qos: 1 });
  }

  /** Publish a retained cloud status (online) listing the payload versions accepted (private brokers only). */
  async announce(payloadVersions: number[], instanceId = 'acker'): Promise<void> {
    const status = { v: PROTOCOL_VERSION, state: 'online', instanceId, since: Date.now(), payloadVersions };
    await this.client?.publishAsync(topics.cloudStatus(), JSON.stringify(status), { qos: 1, retain: true });
  }

  async ack(stream: Stream, ackSeq: number): Promise<void> {
    await this.sendRaw('ack', JSON.stringify({ v: PROTOCOL_VERSION, gatewayId: this.opts.gatewayId, stream, ackSeq }));
  }

  count(stream: Stream): number {
    return this.bySeq[stream].size;
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (topic.endsWith('/status')) {
      const s = parsePayload(StatusMessageSchema, payload);
      if (s.ok) this.statuses.push(s.value);
      else this.invalidBatches += 1;
    } else {
      const v2 = topic.endsWith('/telemetry') && (isDeflated(payload) || payload.subarray(0, 7).toString() === '{"v":2,');
      const r = v2 ? decodeTelemetryV2(payload) : parsePayload(UplinkBatchSchema, payload);
      if (v2 && r.ok) this.v2Batches += 1;
      if (!r.ok) {
        this.invalidBatches += 1;
      } else {
        const batch = r.value;
        this.wireBytes[batch.stream] += payload.byteLength;
        for (const event of batch.events) {
          if (this.dropSeqs.has(`${batch.stream}:${event.seq}`)) continue;
          const prior = this.bySeq[batch.stream].get(event.seq);
          if (prior !== undefined && prior !== event.id) this.conflicts += 1;
          if (this.events.has(event.id)) {
            this.redeliveries += 1;
            continue;
          }
          this.events.set(event.id, { stream: batch.stream, seq: event.seq, event });
          this.bySeq[batch.stream].set(event.seq, event.id);
        }
        const skip = batch.stream === 'telemetry' ? (batch.discardedThrough ?? 0) : 0;
        let c = Math.max(this.contiguous[batch.stream], skip);
        while (this.bySeq[batch.stream].has(c + 1)) c += 1;
        this.contiguous[batch.stream] = c;
        if (this.acking && c > 0) void this.ack(batch.stream, c).catch(() => undefined);
      }
    }
    for (const l of [...this.listeners]) l();
  }
}
