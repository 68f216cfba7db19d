/**
 * A self-healing line reader over a serial port (by path) or a TCP connection (a serial server).
 * It splits input into lines (LF, optional CR), bounds each line, reconnects with exponential backoff,
 * and reopens the link when no valid input arrived for `commLossMs` — a USB adapter pulled out may
 * never emit `close` (RELIABILITY.md §3 serialport), so silence is the only reliable signal.
 */
import net from 'node:net';
import { SerialPort } from 'serialport';
import { errorMessage, type Clock, type Logger } from '@safeloop/contract';
import type { LineTransportConfig } from '../config.ts';

export interface LineLinkDeps {
  transport: LineTransportConfig;
  maxLineLength: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** No valid line (markAlive) for this long → onSilent, then the link is reopened. */
  commLossMs: number;
  logger: Logger;
  clock: Clock;
  onLine: (line: string) => void;
  onOversize: () => void;
  onSilent: (silentMs: number) => void;
}

type Closer = () => void;

export class LineLink {
  private stopped = true;
  private closer: Closer | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private backoffMs: number;
  private pending: Buffer = Buffer.alloc(0);
  private discarding = false;
  private lastAlive = 0;
  private silentReported = false;
  private lastReopen = Number.NEGATIVE_INFINITY;
  /** Count of successful opens (tests and status). */
  opens = 0;

  constructor(private readonly deps: LineLinkDeps) {
    this.backoffMs = deps.reconnectMinMs;
  }

  describe(): string {
    const t = this.deps.transport;
    return t.kind === 'serial' ? `serial ${t.path}` : `tcp ${t.host}:${t.port}`;
  }

  /** Opens in the background: a missing port or refused connection is retried, never thrown. */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    this.lastAlive = this.deps.clock.monotonic();
    this.silentReported = false;
    const every = Math.min(5000, Math.max(100, this.deps.commLossMs / 4));
    this.watchdog = setInterval(() => this.checkSilence(), every);
    this.watchdog.unref();
    await this.open();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.watchdog) clearInterval(this.watchdog);
    this.reconnectTimer = undefined;
    this.watchdog = undefined;
    this.close();
    // Give the serial binding a tick to release the file descriptor.
    await new Promise((r) => setImmediate(r));
  }

  /** The owner calls this for every valid line: it is what keeps the link "alive". */
  markAlive(): void {
    this.lastAlive = this.deps.clock.monotonic();
    this.silentReported = false;
  }

  /** Silent for commLossMs: report once, then reopen the link once per commLossMs until input returns. */
  private checkSilence(): void {
    const now = this.deps.clock.monotonic();
    const silent = now - this.lastAlive;
    if (silent < this.deps.commLossMs) return;
    if (!this.silentReported) {
      this.silentReported = true;
      this.deps.onSilent(silent);
      this.deps.logger.warn({ link: this.describe(), silentMs: Math.round(silent) }, 'no valid input; reopening the link');
    }
    if (now - this.lastReopen < this.deps.commLossMs) return;
    this.lastReopen = now;
    this.close();
    this.scheduleReconnect();
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    try {
      const closer = this.deps.transport.kind === 'serial' ? await this.openSerial(this.deps.transport) : await this.openTcp(this.deps.transport);
      if (this.stopped) {
        closer(); // stopped while the open was in flight
        return;
      }
      this.closer = closer;
      this.opens += 1;
      this.backoffMs = this.deps.reconnectMinMs;
      this.deps.logger.info({ link: this.describe() }, 'link open');
    } catch (err) {
      this.deps.logger.warn({ link: this.describe(), err: errorMessage(err), retryMs: this.backoffMs }, 'link open failed');
      this.scheduleReconnect();
    }
  }

  private onLinkDown(reason: string): void {
    if (this.stopped) return;
    this.deps.logger.warn({ link: this.describe(), reason }, 'link down');
    this.close();
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.deps.reconnectMaxMs, this.backoffMs * 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.open();
    }, delay);
  }

  private close(): void {
    const c = this.closer;
    this.closer = undefined;
    this.pending = Buffer.alloc(0);
    this.discarding = false;
    if (c) c();
  }

  private openSerial(t: Extract<LineTransportConfig, { kind: 'serial' }>): Promise<Closer> {
    return new Promise((resolve, reject) => {
      const port = new SerialPort({ path: t.path, baudRate: t.baudRate, parity: t.parity, dataBits: t.dataBits, stopBits: t.stopBits, autoOpen: false });
      port.open((err) => {
        if (err) {
          reject(err);
          return;
        }
        let closed = false;
        port.on('data', (chunk: Buffer) => this.onBytes(chunk));
        port.on('error', (e: Error) => this.deps.logger.debug({ link: this.describe(), err: e.message }, 'serial error'));
        port.on('close', () => {
          if (!closed) this.onLinkDown('serial port closed');
        });
        resolve(() => {
          closed = true;
          port.removeAllListeners('data');
          if (port.isOpen) port.close(() => undefined);
        });
      });
    });
  }

  private openTcp(t: Extract<LineTransportConfig, { kind: 'tcp' }>): Promise<Closer> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: t.host, port: t.port });
      let closed = false;
      const timer = setTimeout(() => socket.destroy(new Error('connect timeout')), 10_000);
      timer.unref();
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.setKeepAlive(true, 10_000);
        socket.on('error', (err) => this.deps.logger.debug({ link: this.describe(), err: err.message }, 'tcp error'));
        socket.on('data', (chunk: Buffer) => this.onBytes(chunk));
        socket.on('close', () => {
          if (!closed) this.onLinkDown('tcp connection closed');
        });
        resolve(() => {
          closed = true;
          socket.removeAllListeners('data');
          socket.destroy();
        });
      });
    });
  }

  private onBytes(chunk: Buffer): void {
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      const nl = buf.indexOf(0x0a);
      if (nl < 0) break;
      const raw = buf.subarray(0, nl);
      buf = buf.subarray(nl + 1);
      if (this.discarding) {
        this.discarding = false;
        continue;
      }
      if (raw.length > this.deps.maxLineLength) {
        this.deps.onOversize();
        continue;
      }
      const line = raw.toString('latin1').replace(/\r$/, '');
      if (line.length === 0) continue;
      try {
        this.deps.onLine(line);
      } catch (err) {
        this.deps.logger.error({ link: this.describe(), err: errorMessage(err) }, 'line handler failed');
      }
    }
    if (buf.length > this.deps.maxLineLength) {
      if (!this.discarding) this.deps.onOversize();
      this.discarding = true;
      buf = Buffer.alloc(0);
    }
    this.pending = Buffer.from(buf);
  }
}
