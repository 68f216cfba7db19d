/**
 * NMEA 0183 GNSS bridge: reads a receiver over serial or TCP, verifies every checksum, groups the
 * GGA/RMC/GST of one epoch, and turns fixes into displacement points (mm from the baseline) and
 * displacement-rate points. Silence reads bad `comm_lost` and reopens the link.
 */
import { errorMessage, pointPath, rateLimited, type Clock, type Logger, type Reading, type ReadingSink, type ReadingSource } from '@safeloop/contract';
import type { GnssQuantity, NmeaBridgeConfig } from '../config.ts';
import type { BridgeMetrics } from '../metrics.ts';
import { isSaneEpochMs, makeReading } from '../reading-builder.ts';
import { LineLink } from '../transport/line-link.ts';
import { DisplacementTracker, horizontalMm, type DisplacementSample } from './displacement.ts';
import { fixFromEpoch, type Epoch } from './epoch.ts';
import { parseNmeaSentence } from './sentence.ts';

export interface NmeaSourceDeps {
  config: NmeaBridgeConfig;
  site: string;
  logger: Logger;
  clock: Clock;
  sink: ReadingSink;
  metrics: BridgeMetrics;
}

/** Wait this long for the rest of an epoch's sentences before closing it. */
const EPOCH_SETTLE_MS = 250;

export function gnssPointUnit(quantity: GnssQuantity, rateUnit: NmeaBridgeConfig['rateUnit']): string {
  return quantity === 'horizontalRate' || quantity === 'upRate' ? rateUnit : 'mm';
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

export class NmeaSource implements ReadingSource {
  readonly id: string;
  private readonly link: LineLink;
  private readonly tracker: DisplacementTracker;
  private readonly log: Logger;
  private readonly limitLog: ReturnType<typeof rateLimited>;
  private epoch: Epoch | undefined;
  private settleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: NmeaSourceDeps) {
    const cfg = deps.config;
    this.id = cfg.id;
    this.log = deps.logger.child({ module: 'bridges:nmea', bridge: cfg.id, device: cfg.deviceId });
    this.limitLog = rateLimited(10_000, () => deps.clock.monotonic());
    this.tracker = new DisplacementTracker({
      baseline: cfg.baseline,
      averagingMs: cfg.averagingSec * 1000,
      rateWindowMs: cfg.rateWindowSec * 1000,
      rateUnitMs: cfg.rateUnit === 'mm/d' ? 86_400_000 : 3_600_000,
    });
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
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    this.epoch = undefined;
    await this.link.stop();
  }

  /** Handle one received line (public so tests and other transports can feed lines directly). */
  onLine(line: string): void {
    const parsed = parseNmeaSentence(line);
    if (!parsed.ok) {
      if (parsed.reason === 'unsupported') {
        this.link.markAlive();
        this.count('bridge_ignored_total', { reason: 'unsupported' });
        return;
      }
      this.reject(parsed.reason, parsed.detail);
      return;
    }
    this.link.markAlive();
    const s = parsed.sentence;
    this.count('bridge_frames_total', { source: this.deps.config.deviceId, command: s.type });
    if (s.timeOfDayMs === undefined) {
      if (s.type === 'GGA') this.reject('malformed', 'GGA without UTC time');
      return;
    }
    if (this.epoch && (this.epoch.timeOfDayMs !== s.timeOfDayMs || this.epoch[typeKey(s.type)] !== undefined)) this.closeEpoch();
    this.epoch ??= { timeOfDayMs: s.timeOfDayMs };
    if (s.type === 'GGA') this.epoch.gga = s;
    else if (s.type === 'RMC') this.epoch.rmc = s;
    else this.epoch.gst = s;
    if (!this.settleTimer) {
      this.settleTimer = setTimeout(() => {
        this.settleTimer = undefined;
        this.closeEpoch();
      }, EPOCH_SETTLE_MS);
    }
  }

  private closeEpoch(): void {
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    const epoch = this.epoch;
    this.epoch = undefined;
    if (!epoch) return;
    const fix = fixFromEpoch(epoch, this.deps.config, this.deps.clock.now());
    if (!fix) return;
    if (!isSaneEpochMs(fix.timeMs)) {
      this.reject('bad_time', `epoch time ${fix.timeMs} outside sane bounds`);
      return;
    }
    for (const sample of this.tracker.add(fix)) this.emitSample(sample);
  }

  private emitSample(s: DisplacementSample): void {
    const cfg = this.deps.config;
    const gatewayTime = this.deps.clock.now();
    const readings: Reading[] = cfg.points.map((p) => {
      const point = pointPath(this.deps.site, cfg.deviceId, p.pointId);
      const unit = gnssPointUnit(p.quantity, cfg.rateUnit);
      const isRate = p.quantity === 'horizontalRate' || p.quantity === 'upRate';
      let value: number | undefined;
      if (isRate) value = p.quantity === 'horizontalRate' ? s.horizontalRate : s.upRate;
      else if (s.enu) {
        value = { east: s.enu.east, north: s.enu.north, up: s.enu.up, horizontal: horizontalMm(s.enu), total: Math.hypot(s.enu.east, s.enu.north, s.enu.up) }[
          p.quantity as 'east' | 'north' | 'up' | 'horizontal' | 'total'
        ];
      }
      const ok = value !== undefined && Number.isFinite(value);
      return makeReading({
        point,
        value: ok ? round3(value as number) : null,
        unit,
        quality: ok ? (isRate ? s.rateQuality : s.quality) : 'bad',
        reason: isRate ? s.rateReason : s.reason,
        detail: isRate ? s.rateDetail : s.detail,
        sourceTime: s.timeMs,
        gatewayTime,
      });
    });
    this.count('bridge_readings_total', {}, readings.length);
    try {
      this.deps.sink(readings);
    } catch (err) {
      this.log.error({ err: errorMessage(err) }, 'reading sink failed');
    }
  }

  private onSilent(silentMs: number): void {
    const cfg = this.deps.config;
    const t = this.deps.clock.now();
    this.count('bridge_connections_total', { event: 'link_lost' });
    const readings = cfg.points.map((p) =>
      makeReading({
        point: pointPath(this.deps.site, cfg.deviceId, p.pointId),
        value: null,
        unit: gnssPointUnit(p.quantity, cfg.rateUnit),
        quality: 'bad',
        reason: 'comm_lost',
        detail: `no valid NMEA for ${Math.round(silentMs / 1000)} s`,
        sourceTime: t,
        gatewayTime: t,
      }),
    );
    try {
      this.deps.sink(readings);
    } catch (err) {
      this.log.error({ err: errorMessage(err) }, 'reading sink failed');
    }
  }

  private reject(reason: string, detail: string): void {
    const source = this.deps.config.deviceId;
    this.count('bridge_rejected_total', { reason, source });
    this.limitLog(reason, (suppressed) => this.log.warn({ reason, detail, suppressed, link: this.link.describe() }, 'NMEA input rejected'));
  }

  private count(name: string, labels: Record<string, string>, by = 1): void {
    try {
      this.deps.metrics.inc(name, { bridge: this.id, kind: 'nmea', ...labels }, by);
    } catch (err) {
      this.log.error({ err: errorMessage(err) }, 'metrics sink failed');
    }
  }
}

function typeKey(type: 'GGA' | 'RMC' | 'GST'): 'gga' | 'rmc' | 'gst' {
  return type === 'GGA' ? 'gga' : type === 'RMC' ? 'rmc' : 'gst';
}
