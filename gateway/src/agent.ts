/**
 * The gateway agent: wires sources → edge rules → journal → uplink, one way.
 *
 *   field drivers / bridges ──Reading[]──▶ LimitEvaluator ──alarm events──▶ Journal (alarm stream, FULL sync)
 *                                  └──────────── report-by-exception ──────▶ Journal (telemetry stream)
 *   Journal ──▶ Uplink (MQTT or AWS IoT) ──▶ broker; the cloud's acks release journal rows.
 *
 * Alarm events are journaled before the telemetry of the same batch, so they reach the cloud first.
 */
import { systemClock, errorMessage, rateLimited, type Clock, type Logger, type Reading, type ReadingSource, type CommandMessage } from '@safeloop/contract';
import { createBridgeSources } from '@safeloop/firmware-bridges';
import type { GatewayConfig } from './config.ts';
import { LimitEvaluator } from './edge-rules/index.ts';
import { createFieldSources } from './field/index.ts';
import { Journal, ReportByException } from './journal/index.ts';
import { collectPointLimits } from './point-limits.ts';
import { Uplink } from './uplink/index.ts';

export interface GatewayAgentDeps {
  config: GatewayConfig;
  logger: Logger;
  clock?: Clock;
}

export class GatewayAgent {
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly journal: Journal;
  private readonly evaluator: LimitEvaluator;
  private readonly rbe: ReportByException;
  private readonly uplink: Uplink;
  private readonly sources: ReadingSource[];
  private readonly logOnce = rateLimited(30_000);
  private stopped = false;
  private readingsSeen = 0;

  private constructor(private readonly deps: GatewayAgentDeps) {
    const { config } = deps;
    this.logger = deps.logger.child({ module: 'gateway:agent', gatewayId: config.gateway.id });
    this.clock = deps.clock ?? systemClock;
    this.journal = Journal.open({ config: config.journal, logger: deps.logger, clock: this.clock });
    this.evaluator = new LimitEvaluator(collectPointLimits(config));
    this.rbe = new ReportByException({ config: config.report });
    this.uplink = new Uplink({
      config: config.uplink,
      gatewayId: config.gateway.id,
      siteId: config.gateway.siteId,
      journal: this.journal,
      logger: deps.logger,
      clock: this.clock,
      onCommand: (cmd) => this.onCommand(cmd),
    });
    const sink = (readings: readonly Reading[]): void => this.accept(readings);
    const defaultSite = config.gateway.siteId;
    this.sources = [
      ...createFieldSources({ devices: config.devices.filter((d) => d.enabled), defaultSite, logger: deps.logger, clock: this.clock, sink }),
      ...createBridgeSources({ bridges: config.bridges, defaultSite, logger: deps.logger, clock: this.clock, sink }),
    ];
  }

  /** Open the journal, connect the uplink (in the background) and start every source. */
  static async start(deps: GatewayAgentDeps): Promise<GatewayAgent> {
    const agent = new GatewayAgent(deps);
    await agent.uplink.start();
    for (const source of agent.sources) {
      try {
        await source.start();
      } catch (err) {
        // A source that cannot start (port busy, serial device missing) must not stop the others.
        agent.logger.error({ source: source.id, err: errorMessage(err) }, 'source failed to start; its points will read comm_lost');
      }
    }
    agent.logger.info({ sources: agent.sources.map((s) => s.id) }, 'gateway started');
    return agent;
  }

  get readingsAccepted(): number {
    return this.readingsSeen;
  }

  get journalStats(): ReturnType<Journal['stats']> {
    return this.journal.stats();
  }

  /** The sink every source pushes into. Synchronous: SQLite commits here, publishing happens later. */
  private accept(readings: readonly Reading[]): void {
    if (this.stopped || readings.length === 0) return;
    this.readingsSeen += readings.length;
    try {
      const alarmEvents = this.evaluator.evaluate(readings);
      if (alarmEvents.length > 0) {
        this.journal.appendAlarmEvents(alarmEvents);
        for (const e of alarmEvents) this.logger.warn({ point: e.point, level: e.level, kind: e.kind, value: e.value }, 'edge alarm');
      }
      const toSend = this.rbe.filter(readings);
      if (toSend.length > 0) this.journal.appendTelemetry(toSend);
      this.uplink.notify();
    } catch (err) {
      // Journal failures (disk full, I/O error) are reported by the journal's health state; keep polling.
      this.logOnce('journal-append', (suppressed) =>
        this.logger.error({ err: errorMessage(err), suppressed }, 'could not journal readings'),
      );
    }
  }

  private onCommand(cmd: CommandMessage): void {
    switch (cmd.type) {
      case 'siren':
        this.logger.warn({ action: cmd.action, point: cmd.point }, 'siren command received (no local siren output configured)');
        return;
      case 'config':
        this.logger.warn({ version: cmd.version }, 'remote configuration received; remote apply is not enabled on this gateway');
        return;
      case 'replay':
      case 'rebirth':
        return; // handled by the uplink
    }
  }

  /** Stop sources first (no new readings), then flush the uplink and close the journal. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.allSettled(this.sources.map((s) => s.stop()));
    await this.uplink.stop();
    this.journal.close();
    this.logger.info({}, 'gateway stopped');
  }
}
