/** Shared test parts for ingest/store/rules: databases, a private Mosquitto, a recording sink, a fake gateway. */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { freePort } from '@safeloop/test-rigs/net/free-port';
import { scaledTimeout } from '@safeloop/test-rigs/test-time';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { monotonicFactory } from 'ulid';
import { mqttNoDelay, topics, type AckMessage, type CommandMessage, type TelemetryEvent } from '@safeloop/contract';
import type { AlarmClearInput, AlarmConditionInput, AlarmSink } from '../../src/alarms/alarm-sink.ts';
import { createPgSchema, dropPgSchema, PgDb, SqliteDb, type SqlDb } from '../../src/db/index.ts';
import type { GatewayDirectory, GatewayInfo } from '../../src/ingest/directory.ts';

export const PG_URL = process.env.SAFELOOP_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const ulid = monotonicFactory();
export const newId = (t = Date.now()): string => ulid(t);

export interface TestDb {
  name: 'sqlite' | 'postgres';
  db: SqlDb;
  schema?: string;
  close(): Promise<void>;
}

export async function openDb(kind: 'sqlite' | 'postgres'): Promise<TestDb> {
  if (kind === 'sqlite') {
    const db = new SqliteDb(':memory:');
    return { name: kind, db, close: () => db.close() };
  }
  const schema = `t_ingest_${randomBytes(5).toString('hex')}`;
  await createPgSchema(PG_URL, schema);
  const db = new PgDb({ connectionString: PG_URL, schema, max: 6 });
  return {
    name: kind,
    db,
    schema,
    close: async () => {
      await db.close().catch(() => undefined);
      await dropPgSchema(PG_URL, schema);
    },
  };
}

export class MemoryDirectory implements GatewayDirectory {
  readonly gateways = new Map<string, GatewayInfo>();
  add(id: string, siteIds: string[], enterpriseId = 'ent-1'): this {
    this.gateways.set(id, { id, enterpriseId, siteIds });
    return this;
  }
  getGateway(id: string): Promise<GatewayInfo | undefined> {
    return Promise.resolve(this.gateways.get(id));
  }
}

/** In-memory AlarmSink that records every call and keeps one open alarm per condition key. */
export class RecordingSink implements AlarmSink {
  readonly raises: AlarmConditionInput[] = [];
  readonly clears: AlarmClearInput[] = [];
  readonly open = new Map<string, AlarmConditionInput>();
  /** Occurrences opened per condition key (a raise on an open key updates it instead). */
  readonly occurrences = new Map<string, number>();
  failNext = 0;
  private n = 0;
  raise(input: AlarmConditionInput): Promise<{ alarmId: string; created: boolean }> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      return Promise.reject(new Error('sink down'));
    }
    this.raises.push(input);
    const created = !this.open.has(input.conditionKey);
    if (created) this.occurrences.set(input.conditionKey, (this.occurrences.get(input.conditionKey) ?? 0) + 1);
    this.open.set(input.conditionKey, input);
    return Promise.resolve({ alarmId: `a${++this.n}`, created });
  }
  clear(input: AlarmClearInput): Promise<void> {
    this.clears.push(input);
    this.open.delete(input.conditionKey);
    return Promise.resolve();
  }
}

export { freePort };

/** A private Mosquitto on a free port (MQTT 5, shared subscriptions), killed by stop(). */
export async function startMosquitto(): Promise<{ url: string; port: number; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'safeloop-mosq-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\nlog_dest none\n${process.env.MOSQ_NAGLE ? "" : "set_tcp_nodelay true\n"}`);
  const proc: ChildProcess = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
  const deadline = Date.now() + 5000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.end();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error('mosquitto did not start');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    stop: async () => {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function reading(point: string, seq: number, value: number | boolean | string | null, opts: Partial<TelemetryEvent> = {}): TelemetryEvent {
  const t = opts.sourceTime ?? Date.now();
  return { id: newId(t), seq, point, value, quality: 'good', sourceTime: t, gatewayTime: t, ...opts };
}

export function telemetryPayload(gatewayId: string, events: TelemetryEvent[]): Buffer {
  return Buffer.from(JSON.stringify({ v: 1, gatewayId, stream: 'telemetry', events }));
}

/** A fake gateway on the broker: publishes uplink, records acks and commands. */
export class FakeGateway {
  readonly acks: AckMessage[] = [];
  readonly commands: CommandMessage[] = [];
  private constructor(
    readonly id: string,
    readonly client: MqttClient,
  ) {}
  static async connect(url: string, id: string, will?: { bdSeq: number }): Promise<FakeGateway> {
    const client = await mqtt.connectAsync(url, {
      protocolVersion: 5,
      clientId: `gw-${id}-${randomBytes(3).toString('hex')}`,
      reconnectPeriod: 0,
      ...(will
        ? { will: { topic: topics.up(id, 'status'), payload: Buffer.from(JSON.stringify({ v: 1, gatewayId: id, state: 'offline', bdSeq: will.bdSeq, time: Date.now() })), qos: 1, retain: false } }
        : {}),
    });
    mqttNoDelay(client); // as the gateway's uplink does
    const gw = new FakeGateway(id, client);
    client.on('message', (topic, payload) => {
      const body = JSON.parse(payload.toString()) as AckMessage | CommandMessage;
      if (topic.endsWith('/ack')) gw.acks.push(body as AckMessage);
      else gw.commands.push(body as CommandMessage);
    });
    await client.subscribeAsync(topics.gatewayDown(id), { qos: 1 });
    return gw;
  }
  async publish(channel: 'telemetry' | 'alarm' | 'status', body: unknown): Promise<void> {
    await this.client.publishAsync(topics.up(this.id, channel), typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body), { qos: 1 });
  }
  ackSeq(stream: 'telemetry' | 'alarm'): number {
    return this.acks.filter((a) => a.stream === stream).reduce((m, a) => Math.max(m, a.ackSeq), 0);
  }
  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
  /** Drop the connection without DISCONNECT so the broker publishes the will. */
  kill(): void {
    this.client.stream.destroy();
    this.client.end(true);
  }
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + scaledTimeout(timeoutMs);
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function count(db: SqlDb, sql: string, params: (string | number)[] = []): Promise<number> {
  const r = await db.query<{ n: number }>(sql, params);
  return Number(r[0]?.n ?? 0);
}
