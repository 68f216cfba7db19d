/**
 * The gateway's uplink: one connection at a time (new client per attempt, retried forever with backoff),
 * birth after connect and death as the MQTT will (same bdSeq, persisted in the journal), periodic status,
 * journal rows delivered by `Delivery`, acks and commands from `down/#` validated before use.
 * Journal rows are released only by the cloud's application ack, never by a PUBACK.
 */
import {
  AckMessageSchema,
  CloudStatusMessageSchema,
  CommandMessageSchema,
  PAYLOAD_V2,
  PROTOCOL_VERSION,
  StatusMessageSchema,
  errorMessage,
  parsePayload,
  parseTopic,
  rateLimited,
  systemClock,
  topics,
} from '@safeloop/contract';
import type { Clock, CommandMessage, Logger, StatusMessage } from '@safeloop/contract';
import { withTimeout } from '@safeloop/contract';
import type { Journal } from '../journal/index.ts';
import { resolveDelivery, type ResolvedDeliveryConfig, type UplinkConfig } from './config.ts';
import { Delivery } from './delivery.ts';
import type { DeliveryCounters } from './delivery.ts';
import { Backoff } from './rate-limiter.ts';
import type { TransportConnection, UplinkTransport } from './transport.ts';
import { createTransport } from './create-transport.ts';
import { ClockOffset } from './clock-offset.ts';


/** A deadline on a broker call. */
const timed = <T>(p: Promise<T>, ms: number): Promise<T> => withTimeout(p, ms, () => new Error(`timed out after ${ms} ms`));

export interface UplinkDeps {
  config: UplinkConfig;
  gatewayId: string;
  siteId: string;
  journal: Journal;
  logger: Logger;
  clock?: Clock;
  /** Commands the uplink does not handle itself (siren, config). Replay and rebirth are handled here. */
  onCommand?: (cmd: CommandMessage) => void;
  /** Extra status fields (devices, configVersion, a worse health) merged into birth and status messages. */
  statusExtras?: () => Partial<StatusMessage>;
  /** Transport override (tests); default chosen by config.transport. */
  transport?: UplinkTransport;
}

export interface UplinkMetrics extends DeliveryCounters {
  connected: boolean;
  connects: number;
  connectFailures: number;
  rejectedDownlinks: number;
  /** Three or more sessions in a row ended within 5 s of connecting (client id used twice?). */
  suspectedClientIdConflict: boolean;
  lastError?: string;
  bdSeq: number;
  /** Telemetry payload version in use (2 = columnar, once the cloud announced it). */
  payloadVersion: 1 | 2;
}

const TICK_MS = 100;
const STABLE_SESSION_MS = 30_000;
const SHORT_SESSION_MS = 5_000;
const SHORT_SESSIONS_ALERT = 3;

export class Uplink {
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly cfg: ResolvedDeliveryConfig;
  private readonly transport: UplinkTransport;
  private readonly delivery: Delivery;
  private readonly backoff: Backoff;
  private readonly warnRate = rateLimited(10_000);
  private conn: TransportConnection | undefined;
  private isConnected = false;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private sleepTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private closed: (() => void) | undefined;
  private readonly pending = new Map<number, number>();
  private publishId = 0;
  private recycleReason: string | undefined;
  private shortSessions = 0;
  private bdSeq = -1;
  private sessionStart = 0;
  private lastStatusAt = 0;
  /** The cloud ingest session last seen online (instanceId@since): a new one triggers an immediate resend. */
  private cloudSession: string | undefined;
  private ackedThisSession = false;
  /** This gateway's clock against the cloud's, from the cloud time on acks (reported in status). */
  readonly clockOffset = new ClockOffset();
  private stats = {
    connects: 0,
    connectFailures: 0,
    rejectedDownlinks: 0,
    lastError: undefined as string | undefined,
    suspectedClientIdConflict: false,
  };

  constructor(private readonly deps: UplinkDeps) {
    this.log = deps.logger.child({ module: 'gateway:uplink' });
    this.clock = deps.clock ?? systemClock;
    this.cfg = resolveDelivery(deps.config.transport, deps.config.delivery);
    this.transport = deps.transport ?? createTransport(deps.config);
    this.backoff = new Backoff(this.cfg.reconnectMinMs, this.cfg.reconnectMaxMs);
    this.delivery = new Delivery({
      journal: deps.journal,
      gatewayId: deps.gatewayId,
      config: this.cfg,
      logger: this.log,
      clock: this.clock,
      publish: (topic, payload) => this.publish(topic, payload),
    });
  }

  get connected(): boolean {
    return this.isConnected;
  }

  /** Starts the connection loop and returns at once; the loop retries forever until stop(). */
  start(): Promise<void> {
    if (this.loop) return Promise.resolve();
    this.stopping = false;
    this.ticker = setInterval(() => this.tick(), TICK_MS);
    this.loop = this.run().catch((err: unknown) => this.log.error({ err: errorMessage(err) }, 'uplink loop ended unexpectedly'));
    return Promise.resolve();
  }

  /** New rows are in the journal: send them now if the link and windows allow. */
  notify(): void {
    if (!this.isConnected) return;
    try {
      this.delivery.pump();
    } catch (err) {
      this.warnRate('pump', (suppressed) => this.log.error({ err: errorMessage(err), suppressed }, 'uplink: reading the journal failed'));
    }
  }

  /** Publishes the offline status, disconnects cleanly, stops every timer. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    this.wake?.();
    const conn = this.conn;
    if (conn && this.isConnected) {
      this.delivery.detach();
      try {
        // A clean stop says so (shutdown: true): the cloud shows it as stopped, not as a lost gateway.
        await timed(conn.publish(topics.up(this.deps.gatewayId, 'status'), JSON.stringify({ ...this.status('offline'), shutdown: true })), 2000);
      } catch (err) {
        this.log.warn({ err: errorMessage(err) }, 'uplink: offline status not confirmed before disconnect');
      }
      await conn.end();
    } else {
      conn?.destroy();
    }
    this.closed?.();
    await this.loop;
    this.loop = undefined;
  }

  metrics(): UplinkMetrics {
    return {
      ...this.delivery.counters,
      connected: this.isConnected,
      connects: this.stats.connects,
      connectFailures: this.stats.connectFailures,
      rejectedDownlinks: this.stats.rejectedDownlinks,
      suspectedClientIdConflict: this.stats.suspectedClientIdConflict,
      ...(this.stats.lastError === undefined ? {} : { lastError: this.stats.lastError }),
      bdSeq: this.bdSeq,
      payloadVersion: this.delivery.payloadVersion,
    };
  }

  private async run(): Promise<void> {
    const gw = this.deps.gatewayId;
    const clientId = this.deps.config.clientId ?? gw;
    while (!this.stopping) {
      let conn: TransportConnection;
      try {
        this.bdSeq = this.deps.journal.nextBirthDeathSeq();
        const closedPromise = new Promise<void>((resolve) => (this.closed = resolve));
        conn = await this.transport.connect({
          clientId,
          will: { topic: topics.up(gw, 'status'), payload: JSON.stringify(this.willMessage()) },
          keepaliveSec: this.deps.config.keepaliveSec,
          connectTimeoutMs: this.cfg.connectTimeoutMs,
          handlers: {
            onMessage: (topic, payload) => this.onDownlink(topic, payload),
            onClose: (reason) => {
              if (this.conn === conn) this.onClose(reason);
            },
          },
        });
        this.conn = conn;
        if (this.stopping) {
          conn.destroy();
          break;
        }
        await timed(conn.subscribe(topics.gatewayDown(gw)), this.cfg.publishTimeoutMs);
        await this.subscribeCloudStatus(conn);
        await timed(conn.publish(topics.up(gw, 'status'), JSON.stringify(this.status('online'))), this.cfg.publishTimeoutMs);
        this.stats.connects += 1;
        this.isConnected = true;
        this.sessionStart = this.clock.monotonic();
        this.ackedThisSession = false;
        this.lastStatusAt = this.sessionStart;
        this.log.info({ bdSeq: this.bdSeq, transport: this.transport.name }, 'uplink connected; birth published');
        this.delivery.attach();
        await closedPromise;
      } catch (err) {
        const why = errorMessage(err);
        if (this.conn) this.recycle(this.conn, why);
        this.stats.connectFailures += 1;
        this.stats.lastError = why;
        this.warnRate('connect', (suppressed) => this.log.warn({ err: why, suppressed }, 'uplink: connection attempt failed'));
      }
      this.isConnected = false;
      this.conn = undefined;
      this.delivery.detach();
      this.pending.clear();
      if (this.stopping) break;
      await this.sleep(this.reconnectDelay());
    }
    this.isConnected = false;
    this.conn = undefined;
  }

  /**
   * The cloud status topic is optional: a broker ACL written before it existed refuses the subscription.
   * Without it the gateway still recovers, only later (on its ack timeout).
   */
  private async subscribeCloudStatus(conn: TransportConnection): Promise<void> {
    try {
      await timed(conn.subscribe(topics.cloudStatus()), this.cfg.publishTimeoutMs);
    } catch (err) {
      this.warnRate('cloud-status', (suppressed) =>
        this.log.warn({ err: errorMessage(err), topic: topics.cloudStatus(), suppressed }, 'uplink: cannot subscribe to the cloud status (broker ACL?); resends wait for the ack timeout'),
      );
    }
  }

  /**
   * Next reconnect wait: exponential, but never above alarmReconnectMaxMs while alarm events wait in the
   * journal — a broker flap must not leave an alarm behind a 30 s backoff.
   */
  private reconnectDelay(): number {
    const wait = this.backoff.next();
    let alarmBacklog = 0;
    try {
      alarmBacklog = this.deps.journal.stats().backlog.alarm;
    } catch {
      alarmBacklog = 1; // journal unreadable: assume the worst
    }
    return alarmBacklog > 0 ? Math.min(wait, this.cfg.alarmReconnectMaxMs) : wait;
  }

  /**
   * Sessions that keep ending within seconds of the birth usually mean a second client with the same id
   * (two gateways sharing one identity take each other over forever): say so loudly.
   */
  private noteSessionLength(livedMs: number, reason: string): void {
    this.shortSessions = livedMs < SHORT_SESSION_MS ? this.shortSessions + 1 : 0;
    if (this.shortSessions >= SHORT_SESSIONS_ALERT) {
      this.stats.suspectedClientIdConflict = true;
      this.warnRate('flap', (suppressed) =>
        this.log.error(
          { sessions: this.shortSessions, reason, clientId: this.deps.config.clientId ?? this.deps.gatewayId, suppressed },
          'uplink: connections keep dropping right after connect — another client may be using this client id',
        ),
      );
    } else if (this.shortSessions === 0) {
      this.stats.suspectedClientIdConflict = false;
    }
  }

  /** Drop a connection judged broken, remembering why (the transport only knows that we destroyed it). */
  private recycle(conn: TransportConnection, why: string): void {
    this.recycleReason = why;
    conn.destroy();
  }

  private onClose(closeReason: string): void {
    const reason = this.recycleReason ?? closeReason;
    this.recycleReason = undefined;
    const lived = this.clock.monotonic() - this.sessionStart;
    this.stats.lastError = reason;
    if (this.isConnected) this.log.warn({ reason, livedMs: Math.round(lived) }, 'uplink disconnected');
    // A session that carried an application ack proved the whole path; so does a long one.
    if (this.isConnected && (lived >= STABLE_SESSION_MS || this.ackedThisSession)) this.backoff.reset();
    if (this.isConnected) this.noteSessionLength(lived, reason);
    this.isConnected = false;
    this.delivery.detach();
    this.closed?.();
  }

  private publish(topic: string, payload: string | Buffer): void {
    const conn = this.conn;
    if (!conn || !this.isConnected) return;
    const id = ++this.publishId;
    this.pending.set(id, this.clock.monotonic());
    conn.publish(topic, payload).then(
      () => this.pending.delete(id),
      (err: unknown) => {
        this.pending.delete(id);
        if (this.conn !== conn || this.stopping) return;
        this.warnRate('publish', (suppressed) => this.log.error({ topic, err: errorMessage(err), suppressed }, 'uplink: publish failed; recycling the connection'));
        this.recycle(conn, `publish refused: ${errorMessage(err)}`);
      },
    );
  }

  private tick(): void {
    if (!this.isConnected || !this.conn) return;
    const now = this.clock.monotonic();
    try {
      for (const startedAt of this.pending.values()) {
        if (now - startedAt > this.cfg.publishTimeoutMs) {
          this.log.warn({ publishTimeoutMs: this.cfg.publishTimeoutMs }, 'uplink: broker stopped acknowledging publishes; link considered dead');
          this.recycle(this.conn, `no PUBACK within ${this.cfg.publishTimeoutMs} ms`);
          return;
        }
        break; // Map keeps insertion order: the first is the oldest
      }
      this.delivery.checkAckTimeouts();
      if (now - this.lastStatusAt >= this.cfg.statusIntervalSec * 1000) {
        this.lastStatusAt = now;
        this.publish(topics.up(this.deps.gatewayId, 'status'), JSON.stringify(this.status('status')));
      }
    } catch (err) {
      this.warnRate('tick', (suppressed) => this.log.error({ err: errorMessage(err), suppressed }, 'uplink: periodic work failed'));
    }
  }

  private onDownlink(topic: string, payload: Buffer): void {
    try {
      const t = parseTopic(topic);
      if (topic === topics.cloudStatus()) return this.onCloudStatus(payload);
      if (!t || t.direction !== 'down' || t.gatewayId !== this.deps.gatewayId) return this.reject(topic, 'not one of this gateway’s downlink topics');
      if (t.channel === 'ack') {
        const r = parsePayload(AckMessageSchema, payload);
        if (!r.ok) return this.reject(topic, `${r.reason}: ${r.detail}`);
        if (r.value.gatewayId !== this.deps.gatewayId) return this.reject(topic, `ack for another gateway (${r.value.gatewayId})`);
        if (r.value.ackSeq === 0) return;
        this.ackedThisSession = true;
        if (r.value.cloudTime !== undefined) this.clockOffset.add(r.value.cloudTime, this.clock.now());
        this.delivery.onAck(r.value.stream, r.value.ackSeq);
        return;
      }
      const r = parsePayload(CommandMessageSchema, payload);
      if (!r.ok) return this.reject(topic, `${r.reason}: ${r.detail}`);
      const cmd = r.value;
      this.log.info({ id: cmd.id, type: cmd.type }, 'uplink: command received');
      switch (cmd.type) {
        case 'replay':
          this.delivery.onReplay(cmd.stream, cmd.fromSeq, cmd.toSeq);
          return;
        case 'rebirth':
          this.publish(topics.up(this.deps.gatewayId, 'status'), JSON.stringify(this.status('online')));
          this.deps.onCommand?.(cmd);
          return;
        case 'siren':
        case 'config':
          this.deps.onCommand?.(cmd);
          return;
      }
    } catch (err) {
      this.warnRate('downlink', (suppressed) => this.log.error({ topic, err: errorMessage(err), suppressed }, 'uplink: handling a downlink message failed'));
    }
  }

  /** A new cloud ingest session: re-publish everything unacknowledged at once (alarms first). */
  private onCloudStatus(payload: Buffer): void {
    const r = parsePayload(CloudStatusMessageSchema, payload);
    if (!r.ok) return this.reject(topics.cloudStatus(), `${r.reason}: ${r.detail}`);
    if (r.value.state === 'online') this.choosePayload(r.value.payloadVersions ?? [1]);
    if (r.value.state !== 'online') {
      this.log.warn({ instanceId: r.value.instanceId }, 'uplink: the cloud ingest is offline; events stay in the journal');
      return;
    }
    const session = `${r.value.instanceId}@${r.value.since}`;
    const first = this.cloudSession === undefined;
    if (session === this.cloudSession) return;
    this.cloudSession = session;
    // The first one seen is usually the retained status delivered at subscribe: the connect already sent everything.
    if (first) return;
    const lanes = this.delivery.resendUnacknowledged();
    this.log.info({ instanceId: r.value.instanceId, since: r.value.since, lanes }, 'uplink: cloud ingest (re)connected; unacknowledged events re-published');
  }

  /** Telemetry as v2 only while the cloud says it accepts it (an older cloud, or none heard from: v1). */
  private choosePayload(accepted: readonly number[]): void {
    const before = this.delivery.payloadVersion;
    this.delivery.setPayloadVersion(accepted.includes(PAYLOAD_V2) ? PAYLOAD_V2 : 1);
    const now = this.delivery.payloadVersion;
    if (now !== before) this.log.info({ payloadVersion: now, accepted, deflate: this.cfg.deflate && now === PAYLOAD_V2 }, 'uplink: telemetry payload version changed');
  }

  private reject(topic: string, reason: string): void {
    this.stats.rejectedDownlinks += 1;
    this.warnRate(`reject:${reason.slice(0, 20)}`, (suppressed) => this.log.warn({ topic, reason, suppressed }, 'uplink: downlink message rejected'));
  }

  private willMessage(): StatusMessage {
    return { v: PROTOCOL_VERSION, gatewayId: this.deps.gatewayId, state: 'offline', bdSeq: this.bdSeq, time: this.clock.now(), siteId: this.deps.siteId };
  }

  private status(state: StatusMessage['state']): StatusMessage {
    const base: StatusMessage = { ...this.willMessage(), state };
    const offset = this.clockOffset.offsetMs;
    if (offset !== undefined) base.clockOffsetMs = offset;
    try {
      const s = this.deps.journal.stats();
      Object.assign(base, {
        backlog: s.backlog,
        nextSeq: s.nextSeq,
        health: s.health,
        discardedTelemetry: s.discardedTelemetry,
        discardedThrough: s.discardedThrough,
        ...(s.journalId ? { journalId: s.journalId } : {}),
        ...(s.healthDetail === undefined ? {} : { healthDetail: s.healthDetail.slice(0, 500) }),
      });
    } catch (err) {
      Object.assign(base, { health: 'failing', healthDetail: `journal unreadable: ${errorMessage(err)}`.slice(0, 500) });
    }
    let extras: Partial<StatusMessage> = {};
    try {
      extras = this.deps.statusExtras?.() ?? {};
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'uplink: statusExtras failed');
    }
    const rank = { ok: 0, degraded: 1, failing: 2 } as const;
    const merged: StatusMessage = { ...extras, ...base };
    if (extras.health && base.health && rank[extras.health] > rank[base.health]) {
      merged.health = extras.health;
      if (extras.healthDetail !== undefined) merged.healthDetail = extras.healthDetail;
    }
    const parsed = StatusMessageSchema.safeParse(merged);
    if (parsed.success) return parsed.data;
    this.log.warn({ problem: parsed.error.issues[0]?.message }, 'uplink: status extras do not match the schema; sent without them');
    return base;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = () => {
        if (this.sleepTimer) clearTimeout(this.sleepTimer);
        this.sleepTimer = undefined;
        this.wake = undefined;
        resolve();
      };
      this.sleepTimer = setTimeout(() => this.wake?.(), ms);
    });
  }
}

