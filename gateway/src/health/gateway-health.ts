/**
 * Is the gateway keeping up? Two things a gateway must say rather than hide (issue 20):
 * - delivery behind production: the telemetry backlog grew over the whole window while connected, so
 *   the journal is filling faster than the uplink empties it;
 * - polls behind: a device missed a share of its poll deadlines (the bus fell behind; skipped deadlines
 *   are counted by the bus), so readings are older than their interval promises.
 * Sampled at each status message; the verdict goes into the status (health, healthDetail, devices) and
 * the cloud raises a gateway health alarm while it is not ok. Missed deadlines are logged, rate-limited.
 */
import { rateLimited, type Logger } from '@safeloop/contract';

export interface PollCounters {
  deviceId: string;
  /** Polls made so far. */
  cycles: number;
  /** Deadlines skipped so far. */
  skipped: number;
  state: 'ok' | 'degraded' | 'comm_lost';
}

export interface HealthSample {
  at: number;
  connected: boolean;
  backlogTelemetry: number;
  devices: readonly PollCounters[];
}

export interface HealthVerdict {
  health: 'ok' | 'degraded';
  healthDetail?: string;
  devices: Record<string, 'ok' | 'degraded' | 'comm_lost'>;
}

export interface GatewayHealthOptions {
  /** How long a trend must hold before it is reported (default 5 min). */
  windowMs?: number;
  /** Backlog growth over the window that counts as falling behind (default 1000 rows). */
  backlogGrowthRows?: number;
  /** Share of missed deadlines over the window that makes a device degraded (default 5 %). */
  missedShare?: number;
  logger: Logger;
}

export class GatewayHealth {
  private readonly samples: HealthSample[] = [];
  private readonly windowMs: number;
  private readonly growthRows: number;
  private readonly missedShare: number;
  private readonly logMissed: (key: string, log: (suppressed: number) => void) => void;

  constructor(private readonly opts: GatewayHealthOptions) {
    this.windowMs = opts.windowMs ?? 5 * 60_000;
    this.growthRows = opts.backlogGrowthRows ?? 1000;
    this.missedShare = opts.missedShare ?? 0.05;
    this.logMissed = rateLimited(60_000);
  }

  /** Record the current counters and judge the window that ends now. */
  sample(s: HealthSample): HealthVerdict {
    const prev = this.samples.at(-1);
    this.samples.push(s);
    while (this.samples.length > 2 && (this.samples[1]?.at ?? 0) <= s.at - this.windowMs) this.samples.shift();
    if (prev) this.logMissedDeadlines(prev, s);
    return this.verdict();
  }

  private logMissedDeadlines(prev: HealthSample, now: HealthSample): void {
    for (const d of now.devices) {
      const before = prev.devices.find((p) => p.deviceId === d.deviceId);
      const missed = d.skipped - (before?.skipped ?? d.skipped);
      if (missed > 0) {
        this.logMissed(d.deviceId, (suppressed) =>
          this.opts.logger.warn({ device: d.deviceId, missed, polled: d.cycles - (before?.cycles ?? d.cycles), suppressed }, 'poll deadlines missed: the bus is behind'),
        );
      }
    }
  }

  private verdict(): HealthVerdict {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    const devices: HealthVerdict['devices'] = {};
    for (const d of last?.devices ?? []) devices[d.deviceId] = d.state;
    if (!first || !last || last.at - first.at < this.windowMs) return { health: 'ok', devices };
    const problems: string[] = [];
    const spanMs = last.at - first.at;
    const span = spanMs < 120_000 ? `${Math.round(spanMs / 1000)} s` : `${Math.round(spanMs / 60_000)} min`;
    const growth = last.backlogTelemetry - first.backlogTelemetry;
    const rising = this.samples.every((s, i) => i === 0 || s.backlogTelemetry >= (this.samples[i - 1]?.backlogTelemetry ?? 0));
    if (this.samples.every((s) => s.connected) && rising && growth >= this.growthRows) {
      problems.push(`delivery behind production: telemetry backlog grew by ${growth} rows in ${span} while connected (now ${last.backlogTelemetry})`);
    }
    for (const d of last.devices) {
      const f = first.devices.find((x) => x.deviceId === d.deviceId);
      if (!f) continue;
      const missed = d.skipped - f.skipped;
      const due = missed + (d.cycles - f.cycles);
      if (due > 0 && missed / due >= this.missedShare) {
        devices[d.deviceId] = d.state === 'comm_lost' ? 'comm_lost' : 'degraded';
        problems.push(`polls behind: ${d.deviceId} missed ${missed} of ${due} deadlines in ${span}`);
      }
    }
    if (problems.length === 0) return { health: 'ok', devices };
    return { health: 'degraded', healthDetail: problems.join('; ').slice(0, 500), devices };
  }
}
