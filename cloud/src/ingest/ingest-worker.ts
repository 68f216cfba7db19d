/**
 * An ingest worker: subscribes to every gateway's uplink (an MQTT 5 shared subscription when
 * `shareGroup` is set, so N workers split the load), hands each message to the UplinkProcessor,
 * publishes the application ack after the commit, dispatches alarm decisions, and runs the
 * timer pass (gaps, replays, offline gateways, rule timers). Workers hold no state that matters:
 * everything lives in the database, so any worker may die at any moment.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { PAYLOAD_V2, errorMessage, parseTopic, systemClock, topics, type AckMessage, type Clock, type CloudStatusMessage, type Logger, type TelemetryEvent } from '@safeloop/contract';
import type { AlarmSink } from '../alarms/alarm-sink.ts';
import { migrate, type SqlDb } from '../db/index.ts';
import { AlarmOutbox } from '../store/alarm-outbox.ts';
import { createTelemetryStore } from '../store/index.ts';
import type { TelemetryStore } from '../store/telemetry-store.ts';
import type { RulesEvaluator } from '../rules/evaluator.ts';
import { CachedDirectory, type GatewayDirectory } from './directory.ts';
import { runIngestTimers } from './ingest-timers.ts';
import type { IngestMetrics } from './metrics.ts';
import { INGEST_MIGRATIONS } from './migrations.ts';
import { BulkThread, BulkThreadGone } from './bulk-thread.ts';
import { TelemetryQueue, type QueuedUplink } from './telemetry-queue.ts';
import { UplinkProcessor, type UplinkOutcome } from './uplink-processor.ts';

/** Payload bytes of one telemetry group (several messages of a gateway in one transaction). */
export const GROUP_MAX_BYTES = 1_048_576;
/** A telemetry batch this small may take the lane kept for alarms when that lane is idle (express lane). */
export const EXPRESS_MAX_BYTES = 16_384;

/** Session expiry of a worker in a share group when none is configured (see IngestWorkerDeps.mqtt). */
export const SHARED_SESSION_EXPIRY_SEC = 30;

export interface IngestWorkerDeps {
  db: SqlDb;
  /**
   * With a fixed clientId the worker keeps a persistent broker session (clean start off; MQTT 5 session
   * expiry sessionExpirySec): what gateways publish while it restarts is queued for it. Default 1 h alone;
   * 30 s in a share group, because the broker keeps handing a dead member its share of the messages until
   * its session expires (Mosquitto queues them for it) — gateways resend what is not acknowledged, so a
   * short expiry loses nothing and lets the other workers take over within it.
   * Without one (tests, throw-away workers) the session is clean and the id random.
   */
  mqtt: { url: string; tls?: { ca: string | Buffer; cert: string | Buffer; key: string | Buffer }; clientId?: string; protocolVersion?: 4 | 5; sessionExpirySec?: number };
  /** Called after a telemetry batch commits, with the events stored for the first time (live push). */
  onTelemetryCommitted?: (events: readonly TelemetryEvent[]) => void;
  /** Called after a gateway birth or death commits. */
  onGatewayStatus?: (gatewayId: string, online: boolean, at: number) => Promise<void>;
  /** MQTT 5 shared subscription group ('$share/{group}/…'); omit for a single worker. */
  shareGroup?: string;
  directory: GatewayDirectory;
  alarms: AlarmSink;
  rules?: RulesEvaluator;
  metrics?: IngestMetrics;
  logger: Logger;
  clock?: Clock;
  /** A sequence gap older than this gets a replay command. Default 10 s. */
  reorderTimeoutMs?: number;
  /** A replay that did not fill the gap within this raises a data-integrity alarm and is asked again (backoff up to 10 min); the ack stays held at the gap. Default 60 s. */
  replayTimeoutMs?: number;
  /** A gateway offline this long raises an alarm (a gateway-offline rule may override). Default 60 s. */
  offlineGraceMs?: number;
  /** After a planned stop (the gateway's shutdown status), the offline alarm waits this long (default 4 h). */
  plannedStopGraceMs?: number;
  /** Telemetry store to write into; default: the one that fits `db`. */
  store?: TelemetryStore;
  /** Messages processed at once (SQLite is always 1). Default 4. */
  concurrency?: number;
  /**
   * Telemetry messages of one gateway that queued up are committed together, up to this many (and
   * GROUP_MAX_BYTES) per transaction. Default 4; 1 commits each message on its own.
   */
  groupMessages?: number;
  /** Messages waiting beyond this are dropped unacknowledged (the gateway resends). Default 5000. */
  maxQueued?: number;
  /** Seqs accepted above what a gateway announced (birth/status nextSeq − 1). Default 100,000. */
  seqWindow?: number;
  /** Resend rounds of acknowledged events closer than this count once (stuck-stream detection). Default 5 s. */
  stuckRoundGapMs?: number;
  /** Timer pass period. Default min(timeouts)/4 within 50 ms…1 s. */
  tickMs?: number;
  /**
   * Uplink topics this worker takes; the others are ignored here — never stored, never acknowledged — and
   * left to another worker that takes them (the gateway resends what nobody acknowledges). Default: all.
   */
  accept?: (topic: string) => boolean;
  /** Observes a message's way through the worker (latency breakdown): received, started (left the queue), committed (before the ack). */
  onStage?: (topic: string, stage: IngestStage, at: number) => void;
  /**
   * PostgreSQL only: big telemetry groups (beyond EXPRESS_MAX_BYTES) are parsed, stored and evaluated on a
   * worker thread with its own pool, so this thread's event loop stays free for alarms, statuses and small
   * batches (alarm latency under bulk load). `setup` is the URL of a module exporting `setupBulkThread`
   * (bulk-thread-protocol.ts), which builds the thread's database, directory and rules from `data`.
   * `nice` (default 10; Linux keeps it per thread) lets the main thread's alarm work go first when the CPU is short.
   */
  bulkThread?: { setup: string; data: unknown; nice?: number };
  /** Whether anyone watches live values now (the thread then returns the readings it stored). Default: always. */
  liveWanted?: () => boolean;
}

export type IngestStage = 'received' | 'started' | 'committed';

export class IngestWorker {
  readonly store: TelemetryStore;
  readonly outbox: AlarmOutbox;
  readonly processor: UplinkProcessor;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private client: MqttClient | undefined;
  /** Telemetry, one line per gateway (telemetry-queue.ts). */
  private readonly queue: TelemetryQueue;
  /** Alarm and status messages jump the telemetry queue (a telemetry backlog must not delay alarms). */
  private readonly priority: QueuedUplink[] = [];
  private active = 0;
  private activeTelemetry = 0;
  private activePriority = 0;
  private readonly idleWaiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;
  private readonly lastAck = new Map<string, number>();
  /** SQLite: one connection, so message processing and the timer pass never interleave. */
  private serial: Promise<unknown> = Promise.resolve();
  private readonly reorderTimeoutMs: number;
  private readonly replayTimeoutMs: number;
  private readonly offlineGraceMs: number;
  private readonly concurrency: number;
  private readonly groupMessages: number;
  private readonly directory: GatewayDirectory;
  private readonly bulk: BulkThread | undefined;

  constructor(private readonly deps: IngestWorkerDeps) {
    this.clock = deps.clock ?? systemClock;
    this.logger = deps.logger.child({ module: 'cloud:ingest' });
    this.reorderTimeoutMs = deps.reorderTimeoutMs ?? 10_000;
    this.replayTimeoutMs = deps.replayTimeoutMs ?? 60_000;
    this.offlineGraceMs = deps.offlineGraceMs ?? 60_000;
    this.concurrency = deps.db.dialect === 'sqlite' ? 1 : Math.max(1, deps.concurrency ?? 4);
    this.groupMessages = Math.max(1, deps.groupMessages ?? 4);
    this.queue = new TelemetryQueue(deps.maxQueued ?? 5000);
    this.directory = new CachedDirectory(deps.directory, 30_000, () => this.clock.monotonic());
    this.store = deps.store ?? createTelemetryStore(deps.db);
    this.outbox = new AlarmOutbox({
      db: deps.db,
      sink: deps.alarms,
      logger: this.logger,
      clock: this.clock,
      onFailure: () => deps.metrics?.alarmDispatchFailures.inc(),
    });
    this.processor = new UplinkProcessor({
      db: deps.db,
      store: this.store,
      outbox: this.outbox,
      directory: this.directory,
      onGatewayStatus: deps.onGatewayStatus,
      rules: deps.rules,
      metrics: deps.metrics,
      logger: this.logger,
      clock: this.clock,
      offlineGraceMs: this.offlineGraceMs,
      plannedStopGraceMs: deps.plannedStopGraceMs,
      seqWindow: deps.seqWindow,
      stuckRoundGapMs: deps.stuckRoundGapMs,
    });
    if (deps.bulkThread && deps.db.dialect !== 'postgres') throw new Error('bulkThread needs PostgreSQL: SQLite has one connection, which the main thread owns');
    this.bulk = deps.bulkThread
      ? new BulkThread({
          setup: deps.bulkThread.setup,
          data: deps.bulkThread.data,
          offlineGraceMs: this.offlineGraceMs,
          plannedStopGraceMs: deps.plannedStopGraceMs,
          seqWindow: deps.seqWindow,
          stuckRoundGapMs: deps.stuckRoundGapMs,
          reloadCheckMs: 2000,
          nice: deps.bulkThread.nice ?? 10,
          logger: deps.logger,
          metrics: deps.metrics,
        })
      : undefined;
  }

  /** Resolves true once the bulk thread is ready (false without one, or when it could not start). */
  bulkThreadStarted(): Promise<boolean> {
    return this.bulk ? this.bulk.started : Promise.resolve(false);
  }

  /** The bulk telemetry thread, if configured (its state; tests end it as a crash would). */
  get bulkThread(): BulkThread | undefined {
    return this.bulk;
  }

  /** Run migrations of the store, the outbox, ingest bookkeeping and rules (idempotent; safe from many workers). */
  async migrate(): Promise<void> {
    await this.store.init();
    await this.outbox.init();
    await migrate(this.deps.db, 'ingest', INGEST_MIGRATIONS);
    if (this.deps.rules) await this.deps.rules.init(this.deps.db);
  }

  async start(): Promise<void> {
    await this.migrate();
    this.bulk?.start();
    const { url, tls, clientId, protocolVersion, sessionExpirySec } = this.deps.mqtt;
    const version = protocolVersion ?? 5;
    const persistent = clientId !== undefined;
    const instanceId = `${(clientId ?? 'ingest').replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40)}-${process.pid}-${Math.random().toString(16).slice(2, 8)}`;
    const client = mqtt.connect(url, {
      protocolVersion: version,
      clientId: clientId ?? `safeloop-ingest-${process.pid}-${Math.random().toString(16).slice(2, 10)}`,
      clean: !persistent,
      ...(persistent && version === 5 ? { properties: { sessionExpiryInterval: sessionExpirySec ?? (this.deps.shareGroup ? SHARED_SESSION_EXPIRY_SEC : 3600) } } : {}),
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      // The cloud's death: gateways learn that acks will pause (informational; they keep their journal).
      will: { topic: topics.cloudStatus(), payload: Buffer.from(JSON.stringify(this.cloudStatus('offline', instanceId, Date.now()))), qos: 1, retain: true },
      ...(tls ? { ca: tls.ca, cert: tls.cert, key: tls.key } : {}),
    });
    this.client = client;
    const filter = this.deps.shareGroup ? topics.sharedAllUp(this.deps.shareGroup) : topics.allUp();
    client.on('connect', (connack) => {
      // Subscribe on every connect (a lost session has no subscription), then announce: gateways re-publish
      // what they have not had acknowledged at once, not after their ack timeout.
      client.subscribe(filter, { qos: 1 }, (err) => {
        if (err) {
          this.logger.error({ err: errorMessage(err), filter }, 'subscribe failed');
          return;
        }
        this.logger.info({ filter, sessionPresent: connack.sessionPresent, persistent }, 'ingest subscribed');
        this.announce(client, instanceId);
      });
    });
    client.on('error', (err) => this.logger.error({ err: errorMessage(err) }, 'mqtt error'));
    client.on('message', (topic, payload) => this.enqueue(topic, payload));
    await new Promise<void>((resolve, reject) => {
      const onConnect = (): void => {
        client.off('error', onError);
        // Give the subscription a moment to land before callers start publishing.
        client.subscribe(filter, { qos: 1 }, (err) => (err ? reject(err) : resolve()));
      };
      const onError = (err: Error): void => {
        client.off('connect', onConnect);
        reject(err);
      };
      client.once('connect', onConnect);
      client.once('error', onError);
    });
    const tick = this.deps.tickMs ?? Math.min(1000, Math.max(50, Math.min(this.reorderTimeoutMs, this.replayTimeoutMs, this.offlineGraceMs) / 4));
    this.timer = setInterval(() => {
      if (!this.ticking) this.ticking = this.tick().finally(() => (this.ticking = undefined));
    }, tick);
  }

  private cloudStatus(state: 'online' | 'offline', instanceId: string, since: number): CloudStatusMessage {
    return { v: 1, state, instanceId, since: Math.max(since, 946_684_800_000), payloadVersions: [1, PAYLOAD_V2] };
  }

  private announce(client: MqttClient, instanceId: string): void {
    const body = JSON.stringify(this.cloudStatus('online', instanceId, Date.now()));
    client.publish(topics.cloudStatus(), body, { qos: 1, retain: true }, (err) => {
      if (err) this.logger.warn({ err: errorMessage(err) }, 'cloud status publish failed (gateways resend on their ack timeout)');
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
    const client = this.client;
    this.client = undefined;
    this.queue.clear();
    this.priority.length = 0;
    if (this.active > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await this.bulk?.stop();
    if (client) await client.endAsync(false);
  }

  /** The worker's broker connection (the cloud reuses it for commands such as siren silence). */
  get mqttClient(): MqttClient | undefined {
    return this.client;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.deps.db.dialect !== 'sqlite') return fn();
    const run = this.serial.then(fn, fn);
    this.serial = run.catch(() => undefined);
    return run;
  }

  /** One timer pass (exposed for tests). */
  tick(): Promise<void> {
    return this.exclusive(() => this.tickOnce());
  }

  private async tickOnce(): Promise<void> {
    try {
      const now = this.clock.now();
      const r = await runIngestTimers({
        db: this.deps.db,
        outbox: this.outbox,
        directory: this.directory,
        metrics: this.deps.metrics,
        logger: this.logger,
        reorderTimeoutMs: this.reorderTimeoutMs,
        replayTimeoutMs: this.replayTimeoutMs,
        now,
      });
      for (const { gatewayId, command } of r.replays) this.publish(topics.down(gatewayId, 'cmd'), JSON.stringify(command));
      if (this.deps.rules) await this.deps.rules.runTimers(this.deps.db, now, (tx, ops) => this.outbox.enqueue(tx, ops));
      // Everything due, including rows left behind by a worker that died after its commit.
      await this.outbox.dispatch();
    } catch (err) {
      this.logger.error({ err: errorMessage(err) }, 'ingest timer pass failed');
    }
  }

  private enqueue(topic: string, payload: Buffer): void {
    if (this.stopped || (this.deps.accept && !this.deps.accept(topic))) return;
    this.deps.onStage?.(topic, 'received', performance.now());
    const item = { topic, payload, at: this.clock.now() };
    if (!topic.endsWith('/up/telemetry')) {
      // A birth must be applied before the telemetry published after it: processed on another lane, that
      // telemetry could commit first, and the birth's nextSeq would then look behind the ack — a new journal.
      if (isStatusTopic(topic)) this.queue.hold(topicGateway(topic) ?? '');
      this.priority.push(item);
    } else if (!this.queue.push(topicGateway(topic) ?? '', item)) {
      this.deps.metrics?.rejected.inc({ reason: 'overloaded' });
      return; // not acknowledged: the gateway resends it
    }
    this.pump();
  }

  private pump(): void {
    // Telemetry may use all lanes but one, so an alarm never waits behind a telemetry backlog; that lane,
    // when no alarm or status waits, takes a small telemetry batch (a few readings, such as one crossing a
    // limit), so it does not wait for a bulk lane either. An alarm or status message that then finds every
    // lane busy still starts at once, one at a time (it never waits for that small batch).
    const telemetryLanes = Math.max(1, this.concurrency - 1);
    while (!this.stopped) {
      let item: QueuedUplink | undefined;
      let group: { gatewayId: string; items: QueuedUplink[] } | undefined;
      if (this.priority.length > 0 && (this.active < this.concurrency || this.activePriority === 0)) {
        item = this.priority.shift();
      } else if (this.active < this.concurrency && this.priority.length === 0) {
        const bulk = this.activeTelemetry < telemetryLanes;
        group = bulk ? this.queue.takeGroup(this.groupMessages, GROUP_MAX_BYTES) : this.queue.takeGroup(this.groupMessages, EXPRESS_MAX_BYTES, true);
      }
      if (!item && !group) break;
      const telemetryOf = group?.gatewayId;
      const bulkLane = telemetryOf !== undefined && this.activeTelemetry < telemetryLanes;
      this.active += 1;
      if (bulkLane) this.activeTelemetry += 1;
      if (item) this.activePriority += 1;
      const work = group ? this.processGroup(group.items) : this.process(item!.topic, item!.payload, item!.at);
      void work.finally(() => {
        if (item && isStatusTopic(item.topic)) this.queue.release(topicGateway(item.topic) ?? '');
        this.active -= 1;
        if (bulkLane) this.activeTelemetry -= 1;
        if (item) this.activePriority -= 1;
        if (telemetryOf !== undefined) this.queue.done(telemetryOf);
        if (this.active === 0 && (this.queue.size + this.priority.length === 0 || this.stopped)) for (const w of this.idleWaiters.splice(0)) w();
        this.pump();
      });
    }
  }

  private process(topic: string, payload: Buffer, at: number): Promise<void> {
    return this.exclusive(() => this.processOnce(topic, () => this.processor.handle(topic, payload, at)));
  }

  /**
   * One gateway's queued telemetry messages in one transaction (received at the newest one's time). A big
   * group goes to the bulk thread when it is ready; should the thread die with it, the group is processed
   * here — as a resend would be: events are stored by id and rules see each seq once, so a group the
   * thread had committed counts once.
   */
  private processGroup(items: readonly QueuedUplink[]): Promise<void> {
    const head = items[0]!;
    const at = items[items.length - 1]!.at;
    const here = (): Promise<UplinkOutcome> => this.processor.handleTelemetryGroup(items, at);
    const bulk = this.bulk;
    if (!bulk?.ready || items.reduce((n, it) => n + it.payload.byteLength, 0) <= EXPRESS_MAX_BYTES) return this.exclusive(() => this.processOnce(head.topic, here));
    const wantFresh = this.deps.onTelemetryCommitted !== undefined && (this.deps.liveWanted?.() ?? true);
    return this.processOnce(head.topic, () => bulk.run(items, at, this.clock.now(), wantFresh).catch((err: unknown) => (err instanceof BulkThreadGone ? here() : Promise.reject(err))));
  }

  private async processOnce(topic: string, handle: () => Promise<UplinkOutcome>): Promise<void> {
    try {
      this.deps.onStage?.(topic, 'started', performance.now());
      const out = await handle();
      this.deps.onStage?.(topic, 'committed', performance.now());
      if (out.ack) this.publishAck(out.ack, out.epoch ?? 0);
      for (const command of out.commands ?? []) {
        const gatewayId = out.ack?.gatewayId ?? topicGateway(topic);
        if (gatewayId) this.publish(topics.down(gatewayId, 'cmd'), JSON.stringify(command));
      }
      if (out.fresh && out.fresh.length > 0 && this.deps.onTelemetryCommitted) {
        try {
          this.deps.onTelemetryCommitted(out.fresh);
        } catch (err) {
          this.logger.warn({ err: errorMessage(err) }, 'telemetry listener failed');
        }
      }
      if (out.enqueued > 0) await this.outbox.dispatch();
    } catch (err) {
      // Not committed, so not acknowledged: the gateway resends. Never crash the worker.
      this.deps.metrics?.rejected.inc({ reason: 'store_error' });
      this.logger.error({ err: errorMessage(err), topic }, 'uplink batch failed; left unacknowledged');
    }
  }

  /**
   * Acks per stream never go backwards from this worker within one stream epoch (concurrent batches may
   * finish out of order); a new epoch (replaced gateway journal) restarts from its own numbering.
   */
  private publishAck(ack: AckMessage, epoch: number): void {
    const key = `${ack.gatewayId}\u0000${ack.stream}\u0000${epoch}`;
    const best = Math.max(this.lastAck.get(key) ?? 0, ack.ackSeq);
    this.lastAck.set(key, best);
    if (this.lastAck.size > 200_000) this.lastAck.clear();
    this.publish(topics.down(ack.gatewayId, 'ack'), JSON.stringify({ ...ack, ackSeq: best }));
  }

  private publish(topic: string, body: string): void {
    const client = this.client;
    if (!client) return;
    client.publish(topic, body, { qos: 1 }, (err) => {
      if (err) this.logger.warn({ err: errorMessage(err), topic }, 'publish failed (the gateway will resend and be acked again)');
    });
  }
}

function topicGateway(topic: string): string | undefined {
  const t = parseTopic(topic);
  return t?.gatewayId;
}

function isStatusTopic(topic: string): boolean {
  return topic.endsWith('/up/status');
}
