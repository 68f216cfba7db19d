/**
 * HJ 212-2017 TCP listener: many data loggers connect at once; each connection has its own bounded
 * frame buffer, idle timer and garbage budget. Every frame is checked (length, CRC, MN, PW) before
 * anything is read from it; every rejection is logged with the logger's MN (or remote address) and
 * counted. Nothing a peer sends can stop the listener or another logger's connection.
 */
import { timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import { errorMessage, pointPath, rateLimited, type Clock, type Logger, type Reading, type ReadingSink, type ReadingSource } from '@safeloop/contract';
import type { Hj212BridgeConfig, Hj212Logger } from '../config.ts';
import type { BridgeMetrics } from '../metrics.ts';
import { makeReading } from '../reading-builder.ts';
import { Hj212FrameScanner } from './frame-scanner.ts';
import {
  buildHj212PacketFrame,
  flagAsksReply,
  flagIsSplit,
  formatQn,
  parseHj212Frame,
  type Hj212Packet,
  type Hj212RejectReason,
} from './frame.ts';
import { isDataCommand, mapHj212Data, pointAppliesTo } from './map-data.ts';
import { SplitReassembler } from './reassembly.ts';

export interface Hj212ListenerDeps {
  config: Hj212BridgeConfig;
  site: string;
  logger: Logger;
  clock: Clock;
  sink: ReadingSink;
  metrics: BridgeMetrics;
}

interface Connection {
  socket: net.Socket;
  remote: string;
  scanner: Hj212FrameScanner;
  /** MN of the last authenticated frame on this connection. */
  mn: string | undefined;
  garbage: number;
  idleTimer: NodeJS.Timeout;
}

/** QnRtn codes of a 9011 reply (DOMAIN.md §8). */
const QN_RTN = { rejected: 2, password: 3, mn: 4 } as const;

export class Hj212Listener implements ReadingSource {
  readonly id: string;
  private server: net.Server | undefined;
  private readonly connections = new Set<Connection>();
  private readonly loggers: Map<string, Hj212Logger>;
  private readonly reassembler: SplitReassembler;
  private readonly lastSeen = new Map<string, number>();
  private readonly commLost = new Set<string>();
  private watchdog: NodeJS.Timeout | undefined;
  private readonly log: Logger;
  private readonly limitLog: ReturnType<typeof rateLimited>;

  constructor(private readonly deps: Hj212ListenerDeps) {
    this.id = deps.config.id;
    this.log = deps.logger.child({ module: 'bridges:hj212', bridge: deps.config.id });
    this.limitLog = rateLimited(10_000, () => deps.clock.monotonic());
    this.loggers = new Map(deps.config.loggers.map((l) => [l.mn, l]));
    this.reassembler = new SplitReassembler({
      timeoutMs: deps.config.reassemblyTimeoutSec * 1000,
      onExpired: (info) => this.reject('split_timeout', `split upload CN ${info.cn} QN ${info.qn ?? '-'}: ${info.have} of ${info.of} packets`, info.mn),
    });
  }

  /** Bound address (tests listen on port 0). */
  address(): { host: string; port: number } {
    const a = this.server?.address();
    if (!a || typeof a === 'string') throw new Error(`HJ 212 listener ${this.id} is not listening`);
    return { host: a.address, port: a.port };
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = net.createServer((socket) => this.onConnection(socket));
    server.maxConnections = this.deps.config.maxConnections + 16; // our own check below answers first
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.deps.config.listen.port, this.deps.config.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.log.error({ err: errorMessage(err) }, 'HJ 212 listener error'));
    this.server = server;
    const now = this.deps.clock.monotonic();
    for (const mn of this.loggers.keys()) this.lastSeen.set(mn, now);
    const periods = this.deps.config.loggers.map((l) => l.commLossSec).filter((s) => s > 0);
    if (periods.length > 0) {
      const every = Math.min(10_000, Math.max(250, (Math.min(...periods) * 1000) / 4));
      this.watchdog = setInterval(() => this.checkCommLoss(), every);
      this.watchdog.unref();
    }
    this.log.info({ address: this.address(), loggers: this.loggers.size }, 'HJ 212 listener started');
  }

  async stop(): Promise<void> {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    this.reassembler.stop();
    for (const conn of this.connections) {
      clearTimeout(conn.idleTimer);
      conn.socket.destroy();
    }
    this.connections.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private onConnection(socket: net.Socket): void {
    const remote = socket.remoteAddress ?? 'unknown';
    if (this.connections.size >= this.deps.config.maxConnections) {
      this.reject('too_many_connections', `${this.connections.size} connections open`, undefined, remote);
      socket.destroy();
      return;
    }
    const idleMs = this.deps.config.idleTimeoutSec * 1000;
    const conn: Connection = {
      socket,
      remote,
      scanner: new Hj212FrameScanner(this.deps.config.maxDataLength),
      mn: undefined,
      garbage: 0,
      idleTimer: setTimeout(() => {
        this.reject('idle_timeout', `no valid frame for ${this.deps.config.idleTimeoutSec} s`, conn.mn, remote);
        this.count('bridge_connections_total', { event: 'idle_timeout' });
        socket.destroy();
      }, idleMs),
    };
    this.connections.add(conn);
    this.count('bridge_connections_total', { event: 'open' });
    this.log.debug({ remote }, 'logger connected');
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      try {
        this.onData(conn, chunk);
      } catch (err) {
        // A bug in handling one frame must not take the listener down.
        this.log.error({ remote, mn: conn.mn, err: errorMessage(err) }, 'HJ 212 frame handling failed');
      }
    });
    socket.on('error', (err) => this.log.debug({ remote, mn: conn.mn, err: errorMessage(err) }, 'logger connection error'));
    socket.on('close', () => {
      clearTimeout(conn.idleTimer);
      this.connections.delete(conn);
      this.count('bridge_connections_total', { event: 'close' });
      this.log.debug({ remote, mn: conn.mn }, 'logger disconnected');
    });
  }

  private onData(conn: Connection, chunk: Buffer): void {
    for (const ev of conn.scanner.push(chunk)) {
      if (conn.socket.destroyed) return;
      switch (ev.type) {
        case 'garbage':
          conn.garbage += ev.count;
          this.reject('garbage', `${ev.count} bytes outside a frame`, conn.mn, conn.remote);
          if (conn.garbage > this.deps.config.maxGarbageBytes) {
            this.reject('garbage_connection', `${conn.garbage} garbage bytes; connection closed`, conn.mn, conn.remote);
            conn.socket.destroy();
            return;
          }
          break;
        case 'reject':
          this.reject(ev.reason, ev.detail, conn.mn, conn.remote);
          break;
        case 'frame':
          this.onFrame(conn, ev.bytes);
          break;
      }
    }
  }

  private onFrame(conn: Connection, bytes: Buffer): void {
    const parsed = parseHj212Frame(bytes, this.deps.config.maxDataLength);
    if (!parsed.ok) {
      this.reject(parsed.reason, parsed.detail, this.knownMn(parsed.dataSegment) ?? conn.mn, conn.remote);
      return;
    }
    const packet = parsed.packet;
    const logger = packet.mn === undefined ? undefined : this.loggers.get(packet.mn);
    if (!logger) {
      this.reject('unknown_logger', `MN ${JSON.stringify(packet.mn?.slice(0, 32) ?? null)} not configured`, conn.mn, conn.remote);
      this.reply(conn, packet, '9011', `QnRtn=${QN_RTN.mn}`);
      return;
    }
    if (!samePassword(packet.pw, logger.password)) {
      this.reject('wrong_password', 'PW does not match the logger profile', logger.mn, conn.remote);
      this.reply(conn, packet, '9011', `QnRtn=${QN_RTN.password}`);
      return;
    }
    conn.mn = logger.mn;
    conn.idleTimer.refresh();
    conn.garbage = 0;
    this.lastSeen.set(logger.mn, this.deps.clock.monotonic());
    if (this.commLost.delete(logger.mn)) this.log.info({ mn: logger.mn }, 'HJ 212 logger back');
    this.count('bridge_frames_total', { source: logger.mn, command: packet.cn });
    if (packet.cn.startsWith('9')) return; // the logger answering one of ours; nothing to read
    if (!isDataCommand(packet.cn)) {
      this.reject('unknown_command', `CN ${packet.cn} not handled by this bridge`, logger.mn, conn.remote);
      this.reply(conn, packet, '9011', `QnRtn=${QN_RTN.rejected}`);
      return;
    }
    let whole: Hj212Packet = packet;
    if (flagIsSplit(packet.flag)) {
      const res = this.reassembler.add(logger.mn, packet);
      if (res.kind === 'invalid') {
        this.reject('bad_split', res.detail, logger.mn, conn.remote);
        return;
      }
      this.reply(conn, packet, '9014', '');
      if (res.kind === 'pending') return;
      whole = res.packet;
    }
    this.deliver(conn, logger, whole, !flagIsSplit(packet.flag));
  }

  private deliver(conn: Connection, logger: Hj212Logger, packet: Hj212Packet, replyNow: boolean): void {
    const mapped = mapHj212Data({
      packet,
      logger,
      site: this.deps.site,
      utcOffsetMinutes: this.deps.config.utcOffsetMinutes,
      gatewayTime: this.deps.clock.now(),
    });
    if (!mapped.ok) {
      this.reject(mapped.reason, mapped.detail, logger.mn, conn.remote);
      return;
    }
    for (const code of mapped.unknownCodes) {
      this.count('bridge_unknown_codes_total', { source: logger.mn, code });
      this.limitLog(`unknown:${logger.mn}:${code}`, (suppressed) =>
        this.log.warn({ mn: logger.mn, remote: conn.remote, code, suppressed }, 'HJ 212 code without a mapped point ignored'),
      );
    }
    if (replyNow) this.reply(conn, packet, '9014', '');
    this.emit(mapped.readings);
  }

  private emit(readings: Reading[]): void {
    if (readings.length === 0) return;
    this.count('bridge_readings_total', {}, readings.length);
    try {
      this.deps.sink(readings);
    } catch (err) {
      this.log.error({ err: errorMessage(err) }, 'reading sink failed');
    }
  }

  /** Answer when the frame's Flag asks for it (A bit); replies never ask for a reply (Flag=4). */
  private reply(conn: Connection, to: Hj212Packet, cn: '9011' | '9013' | '9014', cp: string): void {
    if (!this.deps.config.replies || !flagAsksReply(to.flag) || conn.socket.destroyed) return;
    const frame = buildHj212PacketFrame({
      qn: to.qn ?? formatQn(this.deps.clock.now(), this.deps.config.utcOffsetMinutes),
      st: '91',
      cn,
      ...(to.pw === undefined ? {} : { pw: to.pw }),
      ...(to.mn === undefined ? {} : { mn: to.mn }),
      flag: 4,
      cp,
    });
    conn.socket.write(frame);
  }

  private checkCommLoss(): void {
    const now = this.deps.clock.monotonic();
    for (const logger of this.deps.config.loggers) {
      if (logger.commLossSec === 0 || this.commLost.has(logger.mn)) continue;
      const seen = this.lastSeen.get(logger.mn) ?? now;
      if (now - seen < logger.commLossSec * 1000) continue;
      this.commLost.add(logger.mn);
      this.log.warn({ mn: logger.mn, silentSec: Math.round((now - seen) / 1000) }, 'HJ 212 logger silent; its points read comm_lost');
      const t = this.deps.clock.now();
      this.emit(
        logger.points
          .filter((p) => pointAppliesTo(p, '2011'))
          .map((p) =>
            makeReading({
              point: pointPath(this.deps.site, logger.deviceId, p.pointId),
              value: null,
              unit: p.unit,
              quality: 'bad',
              reason: 'comm_lost',
              detail: `no HJ 212 real-time data for ${logger.commLossSec} s`,
              sourceTime: t,
              gatewayTime: t,
            }),
          ),
      );
    }
  }

  /** The MN in an unverified data segment, but only if it is one of ours (keeps metric labels bounded). */
  private knownMn(segment: string | undefined): string | undefined {
    const mn = segment === undefined ? undefined : /(?:^|;)MN=([^;]*)/.exec(segment)?.[1];
    return mn !== undefined && this.loggers.has(mn) ? mn : undefined;
  }

  private reject(reason: Hj212RejectReason, detail: string, mn: string | undefined, remote?: string): void {
    const source = mn ?? remote ?? 'unknown';
    this.count('bridge_rejected_total', { reason, source });
    this.limitLog(`${reason}:${source}`, (suppressed) =>
      this.log.warn({ reason, mn, remote, detail, suppressed }, 'HJ 212 input rejected'),
    );
  }

  private count(name: string, labels: Record<string, string>, by = 1): void {
    try {
      this.deps.metrics.inc(name, { bridge: this.id, kind: 'hj212', ...labels }, by);
    } catch (err) {
      this.log.error({ err: errorMessage(err) }, 'metrics sink failed');
    }
  }
}

/** Constant-time password comparison (no early exit on the first differing character). */
function samePassword(sent: string | undefined, expected: string): boolean {
  if (sent === undefined) return false;
  const a = Buffer.from(sent, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
