/**
 * One OPC-UA endpoint as a ReadingSource: one session, subscriptions with monitored items
 * (sampling interval, queue size, discardOldest=false) or read polling as the fallback.
 *
 * Reconnect is ours, not the client library's (whose auto-reconnect has lost subscriptions after a
 * server restart, node-opcua #1059): on connection loss every point goes `bad`/`comm_lost` at once,
 * the client is torn down, and a fresh client, session and subscriptions are built with backoff.
 * The first value of each point after an outage carries reason `gap`.
 * node-opcua is loaded on the first connect, so a gateway without OPC-UA devices never pays its
 * memory (≈ 50 MB).
 */
import type { ClientMonitoredItemGroup, ClientSubscription, DataValue } from 'node-opcua-client';
import { systemClock, type Clock, type Logger, type Reading, type ReadingSink, type ReadingSource } from '@safeloop/contract';
import { backoffDelay, rateLimited } from '@safeloop/contract';
import type { OpcuaConnection, OpcuaTransport } from './opcua-connection.ts';
import { commLostReading, dataValueToReading, readValueIds, type OpcuaPointRef } from './opcua-points.ts';

export interface OpcuaDeviceGroup {
  deviceId: string;
  refs: OpcuaPointRef[];
  pollIntervalMs: number;
  samplingIntervalMs: number;
  queueSize: number;
}

export interface OpcuaSourceOptions {
  id: string;
  transport: OpcuaTransport;
  devices: OpcuaDeviceGroup[];
  sink: ReadingSink;
  logger: Logger;
  clock?: Clock;
  reconnect?: { initialMs: number; maxMs: number };
}

export interface OpcuaSource extends ReadingSource {
  stats(): { connected: boolean; connects: number; outages: number; notifications: number; lastError?: string };
}

export function createOpcuaSource(opts: OpcuaSourceOptions): OpcuaSource {
  const clock = opts.clock ?? systemClock;
  const log = opts.logger.child({ endpoint: opts.transport.endpoint });
  const reconnect = opts.reconnect ?? { initialMs: 500, maxMs: 10_000 };
  const limitLog = rateLimited(60_000, () => clock.monotonic());
  const allRefs = opts.devices.flatMap((d) => d.refs);
  let running = false;
  let conn: OpcuaConnection | undefined;
  let subscription: ClientSubscription | undefined;
  const groups: ClientMonitoredItemGroup[] = [];
  const pollTimers = new Set<ReturnType<typeof setTimeout>>();
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  let generation = 0;
  let outageSince: number | undefined;
  /** Points that have not had a value since the last outage, with the outage start. */
  const gapSince = new Map<string, number>();
  const stats = { connected: false, connects: 0, outages: 0, notifications: 0, lastError: undefined as string | undefined };

  function emit(readings: Reading[]): void {
    if (readings.length === 0) return;
    try {
      opts.sink(readings);
    } catch (err) {
      log.error({ err: err instanceof Error ? err.message : String(err) }, 'reading sink threw');
    }
  }

  function onValue(ref: OpcuaPointRef, dv: DataValue): void {
    stats.notifications += 1;
    const r = dataValueToReading(ref, dv, clock.now());
    const since = gapSince.get(ref.path);
    if (since !== undefined) {
      gapSince.delete(ref.path);
      if (r.reason === undefined) {
        r.reason = 'gap';
        r.detail = `first value after an outage of ${Math.round(clock.monotonic() - since)} ms`;
      }
    }
    emit([r]);
  }

  function markLost(why: string): void {
    if (outageSince === undefined) {
      outageSince = clock.monotonic();
      stats.outages += 1;
      log.warn({ why }, 'OPC-UA connection lost: points comm_lost');
    }
    for (const ref of allRefs) if (!gapSince.has(ref.path)) gapSince.set(ref.path, outageSince);
    const now = clock.now();
    emit(allRefs.map((ref) => commLostReading(ref, why, now)));
  }

  async function teardown(): Promise<void> {
    for (const t of pollTimers) clearTimeout(t);
    pollTimers.clear();
    groups.length = 0;
    subscription = undefined;
    const c = conn;
    conn = undefined;
    stats.connected = false;
    if (c) await c.close();
  }

  function lost(gen: number, why: string): void {
    if (gen !== generation || !running) return;
    generation += 1;
    markLost(why);
    void teardown().then(() => scheduleConnect());
  }

  function scheduleConnect(): void {
    if (!running || reconnectTimer) return;
    const delay = backoffDelay(attempt, reconnect);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      void connectOnce();
    }, delay);
  }

  function startPolling(gen: number, group: OpcuaDeviceGroup): void {
    const nodes = readValueIds(group.refs);
    let due = clock.monotonic();
    const tick = async (): Promise<void> => {
      const c = conn;
      if (gen !== generation || !c) return;
      try {
        const values = await c.session.read(nodes);
        if (gen !== generation) return;
        values.forEach((dv, i) => {
          const ref = group.refs[i];
          if (ref) onValue(ref, dv);
        });
      } catch (err) {
        lost(gen, `read failed: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      due += group.pollIntervalMs;
      const now = clock.monotonic();
      if (due <= now) due = now + group.pollIntervalMs;
      schedule(due - now);
    };
    const schedule = (ms: number): void => {
      if (gen !== generation) return;
      const t = setTimeout(() => {
        pollTimers.delete(t);
        void tick();
      }, ms);
      pollTimers.add(t);
    };
    schedule(0);
  }

  async function subscribe(gen: number, c: OpcuaConnection): Promise<void> {
    const { TimestampsToReturn } = await import('node-opcua-client');
    const fastest = Math.min(...opts.devices.map((d) => d.samplingIntervalMs || d.pollIntervalMs));
    const sub = await c.session.createSubscription2({
      requestedPublishingInterval: Math.max(50, fastest),
      requestedLifetimeCount: 120,
      requestedMaxKeepAliveCount: 10,
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 10,
    });
    subscription = sub;
    sub.on('terminated', () => lost(gen, 'subscription terminated'));
    for (const device of opts.devices) {
      const group = await sub.monitorItems(
        readValueIds(device.refs),
        { samplingInterval: device.samplingIntervalMs, queueSize: device.queueSize, discardOldest: false },
        TimestampsToReturn.Both,
      );
      group.on('changed', (_item, dv, index) => {
        const ref = device.refs[index];
        if (ref && gen === generation) onValue(ref, dv);
      });
      groups.push(group);
    }
  }

  async function connectOnce(): Promise<void> {
    if (!running) return;
    const gen = ++generation;
    try {
      const { connectOpcua } = await import('./opcua-connection.ts');
      const c = await connectOpcua({ transport: opts.transport, logger: log });
      if (!running || gen !== generation) {
        await c.close();
        return;
      }
      conn = c;
      c.client.on('connection_lost', () => lost(gen, 'connection lost'));
      c.client.on('close', () => lost(gen, 'connection closed'));
      c.session.on('session_closed', () => lost(gen, 'session closed'));
      c.session.on('keepalive_failure', () => lost(gen, 'session keep-alive failed'));
      if (opts.transport.useSubscription) {
        try {
          await subscribe(gen, c);
        } catch (err) {
          log.warn({ err: err instanceof Error ? err.message : String(err) }, 'subscription failed; falling back to read polling');
          for (const d of opts.devices) startPolling(gen, d);
        }
      } else {
        for (const d of opts.devices) startPolling(gen, d);
      }
      attempt = 0;
      stats.connects += 1;
      stats.connected = true;
      if (outageSince !== undefined) log.info({ outageMs: Math.round(clock.monotonic() - outageSince) }, 'OPC-UA session and subscriptions restored');
      outageSince = undefined;
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      stats.lastError = msg;
      attempt += 1;
      if (gen === generation) {
        generation += 1;
        markLost(msg);
        await teardown();
      }
      limitLog(`connect:${opts.transport.endpoint}:${msg.slice(0, 40)}`, (suppressed) => log.error({ err: msg, attempt, suppressed }, 'OPC-UA connect failed'));
      scheduleConnect();
    }
  }

  return {
    id: opts.id,
    async start() {
      if (running) return;
      running = true;
      attempt = 0;
      await connectOnce();
    },
    async stop() {
      running = false;
      generation += 1;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
      await teardown();
    },
    stats: () => {
      const s: ReturnType<OpcuaSource['stats']> = { connected: stats.connected, connects: stats.connects, outages: stats.outages, notifications: stats.notifications };
      if (stats.lastError !== undefined) s.lastError = stats.lastError;
      return s;
    },
  };
}
