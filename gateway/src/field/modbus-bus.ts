/**
 * The per-bus core: one physical Modbus bus (an RS-485 line or a TCP host:port), many devices.
 *
 * - Deadline-based polling: each device has an absolute next deadline advanced by its interval, so
 *   polling does not drift; after a stall one missed deadline is caught up, older ones are skipped
 *   (and counted), never burst-replayed.
 * - One request at a time on the bus; ad-hoc jobs (test reads, guarded writes) go through a bounded
 *   queue and run between polls.
 * - A device that stops answering aborts its own cycle at the first timeout and backs off
 *   (interval × 2^n, capped), so its neighbours keep their rate; its points go `bad` with `timeout`,
 *   then `comm_lost` once it has been silent for commLossIntervals × its poll interval (default 2)
 *   with at least one unanswered request, checked by a watchdog that does not depend on polling.
 * - Connection loss (TCP RST/refused, serial port gone) → reconnect with backoff; repeated timeouts
 *   of every device on the bus (half-open link, unplugged adapter) close and reopen the link.
 */
import type { Clock, Logger, Reading, ReadingSink, ReadingSource } from '@safeloop/contract';
import { SafeLoopError, backoffDelay, rateLimited, systemClock } from '@safeloop/contract';
import { FieldRequestError, toRequestError } from './errors.ts';
import type { DriverCounters, ModbusDriver } from './modbus-driver.ts';
import { badReadings, decodeDevicePoints, toReading, type BlockResult, type ModbusDevicePlan } from './modbus-device.ts';

export interface ModbusBusOptions {
  id: string;
  driver: ModbusDriver;
  devices: ModbusDevicePlan[];
  sink: ReadingSink;
  logger: Logger;
  clock?: Clock;
  /** Immediate retries after crc_error / short_frame (default 1). */
  retries?: number;
  /** Silence after which a device's points are `comm_lost`, in poll intervals (default 2). */
  commLossIntervals?: number;
  /** Longest back-off between attempts at a silent device (default 10 s, at least its interval). */
  maxBackoffMs?: number;
  reconnect?: { initialMs: number; maxMs: number };
  connectTimeoutMs?: number;
  /** Most ad-hoc jobs waiting for the bus (default 16). */
  queueLimit?: number;
  /**
   * Delay of this bus's first poll after start (default 0). Buses of one gateway are started out of
   * step so their polls, and the garbage each poll leaves, are spread over the interval instead of
   * landing in one burst; the interval itself stays exact.
   */
  phaseMs?: number;
}

export interface DeviceStats {
  deviceId: string;
  cycles: number;
  okCycles: number;
  failedCycles: number;
  /** Deadlines skipped because the bus was more than one interval late. */
  skipped: number;
  /** Cycles that finished after their next deadline. */
  overran: number;
  maxLatenessMs: number;
  state: 'ok' | 'degraded' | 'comm_lost';
}

export interface ModbusBus extends ReadingSource {
  /** Run a job on the bus between polls (bounded queue; throws GW_ERR_BUS_QUEUE_FULL when full). */
  run<T>(job: (driver: ModbusDriver, signal: AbortSignal) => Promise<T>): Promise<T>;
  stats(): { busId: string; devices: DeviceStats[]; connectFailures: number; reconnects: number; driver: Readonly<DriverCounters> };
}

interface DeviceState {
  plan: ModbusDevicePlan;
  nextDue: number;
  failures: number;
  lastAnswer: number;
  commLost: boolean;
  stats: DeviceStats;
}

interface Job {
  run: (driver: ModbusDriver, signal: AbortSignal) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export function createModbusBus(opts: ModbusBusOptions): ModbusBus {
  const clock = opts.clock ?? systemClock;
  const log = opts.logger.child({ bus: opts.driver.busId });
  const driver = opts.driver;
  const retries = opts.retries ?? 1;
  const commLossIntervals = opts.commLossIntervals ?? 2;
  const reconnect = opts.reconnect ?? { initialMs: 500, maxMs: 10_000 };
  const queueLimit = opts.queueLimit ?? 16;
  const limitLog = rateLimited(60_000, () => clock.monotonic());
  const devices: DeviceState[] = opts.devices.map((plan) => ({
    plan,
    nextDue: 0,
    failures: 0,
    lastAnswer: 0,
    commLost: false,
    stats: { deviceId: plan.instance.id, cycles: 0, okCycles: 0, failedCycles: 0, skipped: 0, overran: 0, maxLatenessMs: 0, state: 'ok' },
  }));
  const jobs: Job[] = [];
  let running = false;
  let loopDone: Promise<void> | undefined;
  let abort = new AbortController();
  let wake: (() => void) | undefined;
  let connectFailures = 0;
  let totalConnectFailures = 0;
  let reconnects = 0;
  let nextConnectAt = 0;
  let lastConnectError: FieldRequestError | undefined;
  let busTimeoutRun = 0;
  let watchTimer: ReturnType<typeof setInterval> | undefined;
  const minInterval = Math.min(...opts.devices.map((d) => d.pollIntervalMs));
  const watchPeriodMs = Math.min(1000, Math.max(10, Math.floor(minInterval / 10)));

  function emit(readings: Reading[]): void {
    if (readings.length === 0) return;
    try {
      opts.sink(readings);
    } catch (err) {
      log.error({ err: err instanceof Error ? err.message : String(err) }, 'reading sink threw; readings of this cycle dropped by the sink');
    }
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      function done(): void {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });
  }

  function commLossMs(d: DeviceState): number {
    return commLossIntervals * d.plan.pollIntervalMs;
  }

  /**
   * Emit comm_lost for devices silent too long. Runs on its own timer, so a bus busy waiting for a
   * timeout still flags a lost device on time.
   */
  function watchdog(now: number): void {
    for (const d of devices) {
      // Only a device that was asked and did not answer is lost; one the bus had no time to poll is merely late.
      if (d.commLost || d.failures === 0) continue;
      if (now >= d.lastAnswer + commLossMs(d)) {
        d.commLost = true;
        d.stats.state = 'comm_lost';
        log.warn({ device: d.plan.instance.id, silentMs: Math.round(now - d.lastAnswer) }, 'device stopped answering: points comm_lost');
        emit(badReadings(d.plan, 'comm_lost', `no reply for ${Math.round(now - d.lastAnswer)} ms`, clock.now()));
      }
    }
  }

  async function ensureOpen(): Promise<FieldRequestError | undefined> {
    if (driver.isOpen()) return undefined;
    const now = clock.monotonic();
    if (now < nextConnectAt) return lastConnectError ?? new FieldRequestError('comm_lost', 'not connected');
    try {
      await driver.open({ timeoutMs: opts.connectTimeoutMs ?? 3000, signal: abort.signal });
      if (connectFailures > 0 || reconnects > 0) log.info({ afterFailures: connectFailures }, 'bus connection re-established');
      reconnects += 1;
      connectFailures = 0;
      lastConnectError = undefined;
      busTimeoutRun = 0;
      return undefined;
    } catch (err) {
      const e = toRequestError(err);
      connectFailures += 1;
      totalConnectFailures += 1;
      const delay = backoffDelay(connectFailures, reconnect);
      nextConnectAt = clock.monotonic() + delay;
      lastConnectError = new FieldRequestError('comm_lost', `${e.message}; retrying in ${delay} ms`, { cause: err });
      limitLog(`connect:${driver.busId}`, (suppressed) => log.warn({ err: e.message, retryInMs: delay, suppressed }, 'bus connection failed'));
      return lastConnectError;
    }
  }

  async function readBlockWithRetry(d: DeviceState, i: number): Promise<BlockResult | FieldRequestError> {
    const block = d.plan.blocks[i];
    if (!block) return new FieldRequestError('decode_error', 'no such block');
    for (let attempt = 0; ; attempt++) {
      try {
        const values = await driver.readBlock(d.plan.unitId, block, { timeoutMs: d.plan.timeoutMs, signal: abort.signal });
        return { table: block.table, start: block.start, values };
      } catch (err) {
        const e = toRequestError(err);
        if ((e.reason === 'crc_error' || e.reason === 'short_frame') && attempt < retries && running) continue;
        return e;
      }
    }
  }

  /**
   * Next deadline = this deadline + interval (no drift). A bus that fell behind keeps at most one
   * deadline due (one catch-up poll, so a short stall costs nothing); older ones are skipped and counted.
   */
  function advanceDeadline(d: DeviceState, now: number): void {
    const interval = d.plan.pollIntervalMs;
    d.nextDue += interval;
    if (d.nextDue + interval <= now) {
      const missed = Math.floor((now - d.nextDue) / interval);
      d.stats.skipped += missed;
      d.nextDue += missed * interval;
    }
  }

  async function pollDevice(d: DeviceState): Promise<void> {
    const start = clock.monotonic();
    const due = d.nextDue;
    d.stats.cycles += 1;
    d.stats.maxLatenessMs = Math.max(d.stats.maxLatenessMs, start - due);
    advanceDeadline(d, start);
    const results: (BlockResult | FieldRequestError)[] = [];
    const openError = await ensureOpen();
    let silent: FieldRequestError | undefined = openError;
    if (!silent) {
      for (let i = 0; i < d.plan.blocks.length && running; i++) {
        const r = await readBlockWithRetry(d, i);
        results.push(r);
        // Any reply (even an exception) proves the device is alive; a long cycle must not look like silence.
        if (!(r instanceof FieldRequestError) || (r.reason !== 'timeout' && r.reason !== 'comm_lost')) d.lastAnswer = clock.monotonic();
        if (r instanceof FieldRequestError && (r.reason === 'timeout' || r.reason === 'comm_lost')) {
          silent = r;
          break;
        }
      }
    }
    if (!running) return;
    const end = clock.monotonic();
    if (end > d.nextDue) d.stats.overran += 1;
    if (silent) {
      while (results.length < d.plan.blocks.length) results.push(silent);
      onSilent(d, silent, end, openError !== undefined);
    } else onAnswered(d);
    const now = clock.now();
    const long = silent !== undefined && d.commLost;
    const decoded = decodeDevicePoints(d.plan, results);
    const { site, paths } = d.plan;
    const readings = new Array<Reading>(decoded.length);
    for (let i = 0; i < decoded.length; i++) {
      let p = decoded[i]!;
      if (long && p.quality === 'bad' && (p.reason === 'timeout' || p.reason === 'comm_lost')) p = { ...p, reason: 'comm_lost' };
      // decodeDevicePoints answers in plan.pointIds order, so paths[i] is this point's path
      readings[i] = toReading(site, d.plan.instance.id, p, now, now, paths[i]);
    }
    emit(readings);
  }

  /**
   * A device that did not answer. `busDown`: the link itself is not open — the connect back-off then
   * decides when the device is asked next (its next poll is the next connect attempt), so a device that
   * comes back is seen at the connect cadence, not after a device back-off stacked on top of it.
   */
  function onSilent(d: DeviceState, err: FieldRequestError, now: number, busDown: boolean): void {
    d.failures += 1;
    d.stats.failedCycles += 1;
    if (d.stats.state === 'ok') d.stats.state = 'degraded';
    if (err.reason === 'timeout') {
      busTimeoutRun += 1;
      if (busTimeoutRun >= Math.max(3, devices.length * 2) && driver.isOpen()) {
        log.warn({ timeouts: busTimeoutRun }, 'every device on the bus times out: closing the link to reopen it');
        busTimeoutRun = 0;
        void driver.close();
      }
    }
    if (busDown) {
      d.nextDue = Math.max(d.nextDue, nextConnectAt);
    } else if (d.failures >= 2) {
      const interval = d.plan.pollIntervalMs;
      const cap = Math.max(interval, opts.maxBackoffMs ?? 10_000);
      const delay = backoffDelay(d.failures, { initialMs: interval, maxMs: cap });
      d.nextDue = Math.max(d.nextDue, now + delay);
    }
    limitLog(`silent:${d.plan.instance.id}`, (suppressed) =>
      log.warn({ device: d.plan.instance.id, unitId: d.plan.unitId, reason: err.reason, err: err.message, failures: d.failures, suppressed }, 'device did not answer'),
    );
  }

  function onAnswered(d: DeviceState): void {
    busTimeoutRun = 0;
    d.stats.okCycles += 1;
    if (d.failures > 0 || d.commLost) log.info({ device: d.plan.instance.id, afterFailures: d.failures }, 'device answers again');
    d.failures = 0;
    d.commLost = false;
    d.stats.state = 'ok';
  }

  async function runJob(job: Job): Promise<void> {
    try {
      const openError = await ensureOpen();
      if (openError) throw openError;
      job.resolve(await job.run(driver, abort.signal));
    } catch (err) {
      job.reject(err);
    }
  }

  async function loop(): Promise<void> {
    while (running) {
      const job = jobs.shift();
      if (job) {
        await runJob(job);
        continue;
      }
      const now = clock.monotonic();
      let due: DeviceState | undefined;
      for (const d of devices) if (!due || d.nextDue < due.nextDue) due = d;
      if (!due) {
        await sleep(1000);
        continue;
      }
      if (due.nextDue > now) {
        await sleep(due.nextDue - now);
        continue;
      }
      try {
        await pollDevice(due);
      } catch (err) {
        // pollDevice turns every wire failure into readings; anything here is a bug — log it and keep the bus alive.
        log.error({ device: due.plan.instance.id, err: err instanceof Error ? err.stack : String(err) }, 'poll failed unexpectedly');
        await sleep(due.plan.pollIntervalMs);
      }
    }
  }

  return {
    id: opts.id,
    async start() {
      if (running) return;
      running = true;
      abort = new AbortController();
      const now = clock.monotonic();
      // Spread first deadlines over a short window so a bus with many devices does not start in a burst.
      devices.forEach((d, i) => {
        d.nextDue = now + (opts.phaseMs ?? 0) + Math.min(d.plan.pollIntervalMs, 100) * (i / Math.max(1, devices.length));
        d.lastAnswer = now;
        d.failures = 0;
        d.commLost = false;
      });
      watchTimer = setInterval(() => watchdog(clock.monotonic()), watchPeriodMs);
      loopDone = loop();
      await Promise.resolve();
    },
    async stop() {
      if (!running) return;
      running = false;
      if (watchTimer) clearInterval(watchTimer);
      watchTimer = undefined;
      abort.abort();
      wake?.();
      for (const j of jobs.splice(0)) j.reject(new SafeLoopError('GW_ERR_BUS_STOPPED', `bus ${driver.busId} stopped`));
      await loopDone;
      await driver.close();
    },
    run<T>(job: (drv: ModbusDriver, signal: AbortSignal) => Promise<T>): Promise<T> {
      if (!running) return Promise.reject(new SafeLoopError('GW_ERR_BUS_STOPPED', `bus ${driver.busId} is not running`));
      if (jobs.length >= queueLimit) {
        return Promise.reject(new SafeLoopError('GW_ERR_BUS_QUEUE_FULL', `bus ${driver.busId}: ${jobs.length} jobs already waiting`));
      }
      return new Promise<T>((resolve, reject) => {
        jobs.push({ run: job, resolve: (v) => resolve(v as T), reject });
        wake?.();
      });
    },
    stats: () => ({
      busId: driver.busId,
      devices: devices.map((d) => ({ ...d.stats })),
      connectFailures: totalConnectFailures,
      reconnects: Math.max(0, reconnects - 1),
      driver: driver.counters(),
    }),
  };
}
