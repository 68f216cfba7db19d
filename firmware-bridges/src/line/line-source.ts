/**
 * Line-protocol instrument bridge: ASCII lines over serial or TCP → readings through the
 * configured parser. Garbage lines are counted and logged (rate-limited), never fatal; silence
 * reads bad `comm_lost` and reopens the link.
 */
import { errorMessage, pointPath, rateLimited, type Clock, type Logger, type ReadingSink, type ReadingSource } from '@safeloop/contract';
import type { LineBridgeConfig } from '../config.ts';
import type { BridgeMetrics } from '../metrics.ts';
import { makeReading } from '../reading-builder.ts';
import { LineLink } from '../transport/line-link.ts';
import { makeLineParser, type LineParser } from './line-parser.ts';

export interface LineSourceDeps {
  config: LineBridgeConfig;
  site: string;
  logger: Logger;
  clock: Clock;
  sink: ReadingSink;
  metrics: BridgeMetrics;
}

export class LineSource implements ReadingSource {
  readonly id: string;
  private readonly link: LineLink;
  private readonly parser: LineParser;
  private readonly log: Logger;
  private readonly limitLog: ReturnType<typeof rateLimited>;

  constructor(private readonly deps: LineSourceDeps) {
    const cfg = deps.config;
    this.id = cfg.id;
    this.parser = makeLineParser(cfg);
    this.log = deps.logger.child({ module: 'bridges:line', bridge: cfg.id, device: cfg.deviceId });
    this.limitLog = rateLimited(10_000, () => deps.clock.monotonic());
    this.link = new LineLink({
      transport: cfg.transport,
      maxLineLength: cfg.maxLineLength,
      reconnectMinMs: cfg.reconnectMinMs,
      reconnectMaxMs: cfg.reconnectMaxMs,
      commLossMs: cfg.commLossSec * 1000,
      logger: this.log,
      clock: deps.clock,
      onLine: (line) => this.onLine(line),
      onOversize: () => this.reject('oversize', 'line over the length limit'),
      onSilent: (ms) => this.onSilent(ms),
    });
  }

  async start(): Promise<void> {
    await this.link.start();
  }

  async stop(): Promise<void> {
    await this.link.stop();
  }

  /** Handle one received line (public so tests can feed lines directly). */
  onLine(line: string): void {
    const res = this.parser(line);
    if (!res.ok) {
      if (res.reason === 'ignored') {
        this.count('bridge_ignored_total', { reason: 'prefix' });
        return;
      }
      this.reject(res.reason, `${res.detail}: ${JSON.stringify(line.slice(0, 60))}`);
      return;
    }
    this.link.markAlive();
    const cfg = this.deps.config;
    const t = this.deps.clock.now();
    const readings = res.values.map(({ point, ruled }) =>
      makeReading({
        point: pointPath(this.deps.site, cfg.deviceId, point.pointId),
        value: ruled.value,
        unit: point.unit,
        quality: ruled.quality,
        reason: ruled.reason,
        detail: ruled.detail,
        sourceTime: t,
        gatewayTime: t,
      }),
    );
    this.count('bridge_frames_total', { source: cfg.deviceId, command: 'line' });
    this.emit(readings);
  }

  private onSilent(silentMs: number): void {
    const cfg = this.deps.config;
    const t = this.deps.clock.now();
    this.count('bridge_connections_total', { event: 'link_lost' });
    this.emit(
      cfg.points.map((p) =>
        makeReading({
          point: pointPath(this.deps.site, cfg.deviceId, p.pointId),
          value: null,
          unit: p.unit,
          quality: 'bad',
          reason: 'comm_lost',
          detail: `no valid line for ${Math.round(silentMs / 1000)} s`,
          sourceTime: t,
          gatewayTime: t,
        }),
      ),
    );
  }

  private emit(readings: Parameters<ReadingSink>[0]): void {
    if (readings.length === 0) return;
    this.count('bridge_readings_total', {}, readings.length);
    try {
      this.deps.sink(readings);
    } catch (err) {
      this.log.error({ err: errorMessage(err) }, 'reading sink failed');
    }
  }

  private reject(reason: string, detail: string): void {
    this.count('bridge_rejected_total', { reason, source: this.deps.config.deviceId });
    this.limitLog(reason, (suppressed) => this.log.warn({ reason, detail, suppressed, link: this.link.describe() }, 'instrument line rejected'));
  }

  private count(name: string, labels: Record<string, string>, by = 1): void {
    try {
      this.deps.metrics.inc(name, { bridge: this.id, kind: 'line', ...labels }, by);
    } catch (err) {
      this.log.error({ err: errorMessage(err) }, 'metrics sink failed');
    }
  }
}
