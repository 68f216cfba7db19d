/**
 * The main thread's handle on the bulk telemetry thread (bulk-thread-main.ts). `run` sends one group of
 * a gateway's telemetry and resolves with the thread's outcome after its commit. While the thread is not
 * ready — starting, or restarting after it died — `ready` is false and the worker processes groups
 * itself, so ingest never stops. A thread that dies fails its groups in flight: none of them was
 * acknowledged, the gateway resends them.
 */
import { Worker } from 'node:worker_threads';
import { errorMessage, type Logger } from '@safeloop/contract';
import type { BulkThreadInit, FromThread, GroupJob, MetricCall } from './bulk-thread-protocol.ts';
import type { IngestMetrics } from './metrics.ts';
import type { UplinkOutcome } from './uplink-processor.ts';

const BOOT = new URL('./bulk-thread-boot.mjs', import.meta.url);
const ENTRY = new URL('./bulk-thread-main.ts', import.meta.url).href;
/** After the thread died, wait this long before starting it again (doubling up to a minute while it keeps failing to start). */
const RESTART_MS = 1000;
const RESTART_MAX_MS = 60_000;

/** The thread was not there to finish a group (not ready, or it exited): nothing of it was acknowledged. */
export class BulkThreadGone extends Error {}

interface Pending {
  resolve: (o: UplinkOutcome) => void;
  reject: (e: Error) => void;
  deadline: NodeJS.Timeout;
}

export interface BulkThreadOptions extends Omit<BulkThreadInit, 'entry'> {
  logger: Logger;
  metrics?: IngestMetrics | undefined;
  /** A group the thread has not finished within this is taken as a hung thread: it is ended and restarted. */
  jobTimeoutMs: number;
}

export class BulkThread {
  private worker: Worker | undefined;
  private isReady = false;
  private stopped = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private restartTimer: NodeJS.Timeout | undefined;
  private restartMs = RESTART_MS;
  private groups = 0;
  /** The running thread has reported ready (a thread that dies before it backs the restart off). */
  private everReady = false;
  private readonly logger: Logger;
  private readonly threadLogger: Logger;
  /** Resolves when the thread first reports ready or fails to start (tests and benchmarks wait for it). */
  readonly started: Promise<boolean>;
  private settleStarted: (ok: boolean) => void = () => undefined;

  constructor(private readonly opts: BulkThreadOptions) {
    this.logger = opts.logger.child({ module: 'cloud:ingest' });
    this.threadLogger = opts.logger;
    this.started = new Promise((resolve) => (this.settleStarted = resolve));
  }

  get ready(): boolean {
    return this.isReady;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Groups the thread committed since the start. */
  get groupsDone(): number {
    return this.groups;
  }

  /** End the thread at once, as a crash would (tests; the groups in flight fail and it restarts). */
  terminate(): Promise<number> {
    return this.worker ? this.worker.terminate() : Promise.resolve(0);
  }

  start(): void {
    if (this.stopped || this.worker) return;
    const { logger: _logger, metrics: _metrics, jobTimeoutMs: _timeout, ...rest } = this.opts;
    const init: BulkThreadInit = { ...rest, entry: ENTRY };
    const worker = new Worker(BOOT, { workerData: init });
    this.worker = worker;
    this.everReady = false;
    worker.on('message', (msg: FromThread) => this.onMessage(msg));
    worker.on('error', (err) => this.logger.error({ err: errorMessage(err) }, 'bulk telemetry thread failed'));
    worker.on('exit', (code) => this.onExit(worker, code));
  }

  /** One group of a gateway's telemetry, committed by the thread; rejects if the thread died meanwhile. */
  run(items: readonly { topic: string; payload: Buffer }[], receivedAt: number, now: number, rulesVersion: number, wantFresh: boolean): Promise<UplinkOutcome> {
    const worker = this.worker;
    if (!worker || !this.isReady) return Promise.reject(new BulkThreadGone('bulk telemetry thread not ready'));
    const id = this.nextId++;
    // A payload may be a view into a bigger buffer: copy exactly its bytes, then hand those over (no second copy).
    const copies = items.map((it) => ({ topic: it.topic, payload: new Uint8Array(it.payload) }));
    const job: GroupJob = { t: 'group', id, items: copies, receivedAt, now, rulesVersion, wantFresh };
    return new Promise<UplinkOutcome>((resolve, reject) => {
      // A hung thread (a pool that never answers) would hold the gateway's line for ever: end it; its groups
      // fail as BulkThreadGone and the worker processes them itself.
      const deadline = setTimeout(() => {
        this.logger.error({ timeoutMs: this.opts.jobTimeoutMs, groupsInFlight: this.pending.size }, 'bulk telemetry thread did not finish a group in time; ending it');
        void worker.terminate();
      }, this.opts.jobTimeoutMs);
      deadline.unref();
      this.pending.set(id, { resolve, reject, deadline });
      worker.postMessage(job, copies.map((c) => c.payload.buffer as ArrayBuffer));
    });
  }

  /** Stop after the groups in flight (the caller waits for them first); ends the thread's pool. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.settleStarted(false);
    const worker = this.worker;
    if (!worker) return;
    this.isReady = false;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ t: 'stop' });
    const timeout = setTimeout(() => void worker.terminate(), 5000);
    await exited;
    clearTimeout(timeout);
  }

  private onMessage(msg: FromThread): void {
    switch (msg.t) {
      case 'ready':
        this.isReady = true;
        this.everReady = true;
        this.restartMs = RESTART_MS;
        this.logger.info({}, 'bulk telemetry thread ready');
        this.settleStarted(true);
        return;
      case 'log':
        this.threadLogger[msg.level](msg.obj, msg.msg);
        return;
      case 'fatal':
        this.logger.error({ err: msg.error, retryInMs: this.restartMs }, 'bulk telemetry thread could not start; the main thread processes all telemetry');
        void this.worker?.terminate();
        return;
      case 'done':
      case 'failed': {
        this.replayMetrics(msg.metrics);
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (p) clearTimeout(p.deadline);
        if (msg.t === 'done') {
          this.groups += 1;
          p?.resolve(msg.outcome);
        }
        else p?.reject(new Error(msg.error));
        return;
      }
    }
  }

  private replayMetrics(calls: readonly MetricCall[]): void {
    const metrics = this.opts.metrics as unknown as Record<string, Record<string, (...args: unknown[]) => void>> | undefined;
    if (!metrics) return;
    for (const [name, method, args] of calls) metrics[name]?.[method]?.(...args);
  }

  private onExit(worker: Worker, code: number): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.isReady = false;
    this.settleStarted(false); // if it died before it was ever ready (no effect once settled)
    const lost = [...this.pending.values()];
    this.pending.clear();
    for (const p of lost) (clearTimeout(p.deadline), p.reject(new BulkThreadGone(`bulk telemetry thread exited (code ${code})`)));
    if (this.stopped) return;
    const delay = this.restartMs;
    // A thread that never got ready (setup, boot or import failing) is retried less and less often.
    if (!this.everReady) this.restartMs = Math.min(RESTART_MAX_MS, this.restartMs * 2);
    this.logger.error({ code, groupsInFlight: lost.length, restartInMs: delay }, 'bulk telemetry thread exited; its groups in flight are processed by the main thread; restarting it');
    this.restartTimer = setTimeout(() => this.start(), delay);
    this.restartTimer.unref();
  }
}
