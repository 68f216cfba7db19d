/**
 * The gateway agent: wires sources → edge rules → journal → uplink, one way.
 *
 *   field drivers / bridges ──Reading[]──▶ time sanity ──▶ EdgeEvaluator ──alarm/fault events──▶ Journal (alarm stream, FULL sync)
 *                                                  └──────────── report-by-exception ──────▶ Journal (telemetry stream)
 *   Journal ──▶ Uplink (MQTT or AWS IoT) ──▶ broker; the cloud's acks release journal rows.
 *
 * Alarm events are journaled before the telemetry of the same batch, so they reach the cloud first.
 */
import { checkSourceTimes, systemClock, errorMessage, rateLimited, type Clock, type Logger, type Reading, type ReadingSource, type CommandMessage, type StatusMessage } from '@safeloop/contract';
import { createBridgeSources } from '@safeloop/firmware-bridges';
import type { GatewayConfig } from './config.ts';
import { EdgeEvaluator, type EdgeAlarmEvent } from './edge-rules/index.ts';
import { createFieldSources, type ModbusBus } from './field/index.ts';
import { Journal, ReportByException } from './journal/index.ts';
import { TelemetryBuffer } from './journal/telemetry-buffer.ts';
import { collectPointLimits } from './point-limits.ts';
import { assertPreflight, preflight, type PreflightResult } from './preflight.ts';
import { pkiDirIn } from './field/opcua-pki.ts';
import { dirname, resolve } from 'node:path';
import type { DeviceProfile } from '@safeloop/device-profiles';
import { Uplink } from './uplink/index.ts';
import { RemoteConfigApplier } from './remote-config/index.ts';
import { LocalSiren } from './siren/index.ts';
import { GatewayHealth, type GatewayHealthOptions, type PollCounters } from './health/gateway-health.ts';

export interface GatewayAgentDeps {
  config: GatewayConfig;
  logger: Logger;
  clock?: Clock;
  /** The config file's folder: relative `profileDirs` resolve against it (default the working directory). */
  configDir?: string;
  /** After a remote config change, how long until some device must answer (else roll back). */
  remoteConfigHealthWindowMs?: number;
  /** Keeping-up checks (window, thresholds); defaults in gateway-health.ts. */
  health?: Omit<GatewayHealthOptions, 'logger'>;
}

export class GatewayAgent {
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly journal: Journal;
  private readonly evaluator: EdgeEvaluator;
  private timeTolerance: { aheadToleranceMs: number; behindToleranceMs: number };
  private rbe: ReportByException;
  private resolveProfile: (ref: string) => DeviceProfile;
  private readonly telemetry: TelemetryBuffer;
  private readonly uplink: Uplink;
  private sources: ReadingSource[];
  private readonly remoteConfig: RemoteConfigApplier;
  private readonly siren: LocalSiren | undefined;
  private readonly logOnce = rateLimited(30_000);
  private readonly health: GatewayHealth;
  private stopped = false;
  private readingsSeen = 0;

  private constructor(private readonly deps: GatewayAgentDeps) {
    this.logger = deps.logger.child({ module: 'gateway:agent', gatewayId: deps.config.gateway.id });
    this.clock = deps.clock ?? systemClock;
    this.journal = Journal.open({ config: deps.config.journal, logger: deps.logger, clock: this.clock });
    this.telemetry = new TelemetryBuffer({
      commitMs: deps.config.journal.telemetryCommitMs,
      maxRows: deps.config.journal.telemetryCommitRows,
      stage: (readings) => this.journal.stageTelemetry(readings),
      commit: () => this.journal.commitTelemetry(),
      committed: (err) => {
        // Journal failures (disk full, I/O error) are reported by the journal's health state; keep polling.
        if (err !== undefined) this.logOnce('journal-append', (suppressed) => this.logger.error({ err: errorMessage(err), suppressed }, 'could not journal readings'));
        else this.uplink.notify();
      },
    });
    this.remoteConfig = new RemoteConfigApplier({
      initial: deps.config,
      applySources: (cfg) => this.replaceSources(cfg),
      report: (r) => {
        this.journal.appendAlarmEvents([{ type: 'system', code: r.code, message: r.message, details: r.details, gatewayTime: this.clock.now() }]);
        this.uplink.notify();
      },
      logger: deps.logger,
      clock: this.clock,
      stateFile: `${deps.config.journal.path}.remote-config.json`,
      healthWindowMs: deps.remoteConfigHealthWindowMs,
    });
    const config = this.remoteConfig.config;
    this.resolveProfile = this.checked(config).resolveProfile;
    this.evaluator = new EdgeEvaluator(collectPointLimits(config, this.resolveProfile), `${deps.config.journal.path}.edge-alarms.json`);
    this.timeTolerance = timeToleranceOf(config);
    this.rbe = new ReportByException({ config: config.report });
    this.uplink = new Uplink({
      config: config.uplink,
      gatewayId: config.gateway.id,
      siteId: config.gateway.siteId,
      journal: this.journal,
      logger: deps.logger,
      clock: this.clock,
      onCommand: (cmd) => this.onCommand(cmd),
      statusExtras: () => this.statusExtras(),
    });
    this.health = new GatewayHealth({ ...deps.health, logger: this.logger });
    this.sources = this.createSources(config);
    const report = (r: { code: string; message: string; details: Record<string, unknown> }): void => {
      this.journal.appendAlarmEvents([{ type: 'system', ...r, gatewayTime: this.clock.now() }]);
      this.uplink.notify();
    };
    this.siren = config.siren ? new LocalSiren({ config: config.siren, devices: config.devices, buses: () => this.sources, report, logger: deps.logger, clock: this.clock, stateFile: `${config.journal.path}.siren.json` }) : undefined;
  }

  /** Extra status fields: the config version, and whether the gateway keeps up (polls and delivery). */
  private statusExtras(): Partial<StatusMessage> {
    const verdict = this.health.sample({ at: this.clock.now(), connected: this.uplink.connected, backlogTelemetry: this.journal.stats().backlog.telemetry, devices: this.pollCounters() });
    return {
      ...(this.remoteConfig.configVersion !== undefined ? { configVersion: this.remoteConfig.configVersion } : {}),
      health: verdict.health,
      ...(verdict.healthDetail !== undefined ? { healthDetail: verdict.healthDetail } : {}),
      ...(Object.keys(verdict.devices).length > 0 ? { devices: verdict.devices } : {}),
    };
  }

  /** Poll counters of every Modbus device (the buses count skipped deadlines). */
  private pollCounters(): PollCounters[] {
    return this.sources.flatMap((s) => {
      const stats = (s as Partial<ModbusBus>).stats;
      // OPC-UA sources have stats of another shape (no per-device deadlines): only buses count here.
      const devices = typeof stats === 'function' ? (stats.call(s) as Partial<ReturnType<ModbusBus['stats']>>).devices : undefined;
      return Array.isArray(devices) ? devices.map((d) => ({ deviceId: d.deviceId, cycles: d.cycles, skipped: d.skipped, state: d.state })) : [];
    });
  }

  private createSources(config: GatewayConfig): ReadingSource[] {
    const sink = (readings: readonly Reading[]): void => this.accept(readings);
    const defaultSite = config.gateway.siteId;
    return [
      ...createFieldSources({ devices: withPkiDir(config).filter((d) => d.enabled), defaultSite, logger: this.deps.logger, clock: this.clock, sink, resolveProfile: this.resolveProfile }),
      ...createBridgeSources({ bridges: config.bridges, defaultSite, logger: this.deps.logger, clock: this.clock, sink }),
    ];
  }

  /** Remote config: stop the sources, start ones for `config` (journal and uplink stay open). */
  private async replaceSources(config: GatewayConfig): Promise<{ failedToStart: string[] }> {
    await Promise.allSettled(this.sources.map((s) => s.stop()));
    this.telemetry.flush();
    // A reload re-reads the profile folders: an edited profile file takes effect here.
    this.resolveProfile = this.checked(config).resolveProfile;
    this.evaluator.setLimits(collectPointLimits(config, this.resolveProfile));
    this.timeTolerance = timeToleranceOf(config);
    this.rbe = new ReportByException({ config: config.report });
    this.sources = this.createSources(config);
    const failedToStart: string[] = [];
    for (const source of this.sources) {
      try {
        await source.start();
      } catch (err) {
        failedToStart.push(source.id);
        this.logger.error({ source: source.id, err: errorMessage(err) }, 'source failed to start');
      }
    }
    return { failedToStart };
  }

  /** Open the journal, connect the uplink (in the background) and start every source. */
  static async start(deps: GatewayAgentDeps): Promise<GatewayAgent> {
    // Everything `safeloop gateway --check` checks, before the journal or any port is opened.
    assertPreflight(preflight(deps.config, deps.configDir));
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
    agent.siren?.start();
    agent.logger.info({ sources: agent.sources.map((s) => s.id) }, 'gateway started');
    return agent;
  }

  /** The preflight of a config this agent is about to run; throws GW_ERR_CONFIG naming every problem. */
  private checked(config: GatewayConfig): PreflightResult {
    const result = preflight(config, this.deps.configDir);
    assertPreflight(result);
    return result;
  }

  get readingsAccepted(): number {
    return this.readingsSeen;
  }

  get journalStats(): ReturnType<Journal['stats']> {
    return this.journal.stats();
  }

  /** Alarm events evaluated but not yet committed to the journal (only while the disk is failing). */
  private readonly unjournaledAlarms: EdgeAlarmEvent[] = [];
  private alarmRetryTimer: NodeJS.Timeout | undefined;

  /** Commit held alarm events; on failure keep them and retry on a timer and with the next readings. */
  private flushUnjournaledAlarms(): void {
    if (this.unjournaledAlarms.length === 0) return;
    try {
      this.journal.appendAlarmEvents(this.unjournaledAlarms);
      this.unjournaledAlarms.length = 0;
      if (this.alarmRetryTimer) clearInterval(this.alarmRetryTimer);
      this.alarmRetryTimer = undefined;
    } catch (err) {
      this.logOnce('journal-alarm', (suppressed) =>
        this.logger.error({ err: errorMessage(err), held: this.unjournaledAlarms.length, suppressed }, 'could not journal alarm events; holding them in memory and retrying'),
      );
      this.alarmRetryTimer ??= setInterval(() => {
        this.flushUnjournaledAlarms();
        this.uplink.notify();
      }, 2000);
      throw err;
    }
  }

  /** Alarm events waiting for the journal (visible for health checks and tests). */
  get heldAlarmEvents(): number {
    return this.unjournaledAlarms.length;
  }

  /** The sink every source pushes into. Synchronous: SQLite commits here, publishing happens later. */
  private accept(input: readonly Reading[]): void {
    if (this.stopped || input.length === 0) return;
    // A device clock far off the gateway's marks the reading bad_time (kept; its value still alarms).
    const readings = checkSourceTimes(input, this.timeTolerance);
    this.readingsSeen += readings.length;
    this.remoteConfig.observe(readings);
    try {
      const alarmEvents = this.evaluator.evaluate(readings);
      this.siren?.onAlarmEvents(alarmEvents, readings); // sounds before (and whatever) the journal and uplink do
      for (const e of alarmEvents) {
        if (e.type === 'alarm') this.logger.warn({ point: e.point, alarmLevel: e.level, kind: e.kind, value: e.value, cause: e.cause }, 'edge alarm');
        else this.logger.warn({ subject: e.subject, fault: e.fault, kind: e.kind, reason: e.reason }, 'edge fault alarm');
      }
      // Alarm events that could not be journaled (disk failing) are held and retried first: never lost.
      this.unjournaledAlarms.push(...alarmEvents);
      this.flushUnjournaledAlarms();
      if (alarmEvents.length > 0) this.persistEdgeState();
      this.telemetry.add(this.rbe.filter(readings));
      // The values that raised or cleared an alarm go out with it, not a group-commit interval later.
      if (alarmEvents.length > 0) this.telemetry.flush();
    } catch (err) {
      // Journal failures (disk full, I/O error) are reported by the journal's health state; keep polling.
      this.logOnce('journal-append', (suppressed) =>
        this.logger.error({ err: errorMessage(err), suppressed }, 'could not journal readings'),
      );
    }
  }

  /** After the events are journaled: keep what is active, so a restart neither re-raises nor forgets it. */
  private persistEdgeState(): void {
    try {
      this.evaluator.persist();
    } catch (err) {
      this.logOnce('edge-state', (suppressed) => this.logger.error({ err: errorMessage(err), suppressed }, 'could not save edge alarm state; a restart may re-raise active alarms'));
    }
  }

  private onCommand(cmd: CommandMessage): void {
    switch (cmd.type) {
      case 'siren':
        if (this.siren) this.siren.onCommand(cmd);
        else this.logger.warn({ action: cmd.action, point: cmd.point }, 'siren command received (no local siren output configured)');
        return;
      case 'config':
        this.remoteConfig.handle(cmd).catch((err: unknown) => this.logger.error({ version: cmd.version, err: errorMessage(err) }, 'remote configuration failed'));
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
    this.siren?.stop();
    await Promise.allSettled(this.sources.map((s) => s.stop()));
    this.telemetry.flush();
    if (this.alarmRetryTimer) clearInterval(this.alarmRetryTimer);
    this.persistEdgeState();
    try {
      this.flushUnjournaledAlarms();
    } catch {
      this.logger.error({ held: this.unjournaledAlarms.length }, 'stopping with alarm events the journal could not take');
    }
    await this.uplink.stop();
    this.journal.close();
    this.logger.info({}, 'gateway stopped');
  }
}

/** OPC-UA devices without a `pkiDir` keep their certificates in the gateway's data folder (the journal's). */
function withPkiDir(config: GatewayConfig): GatewayConfig['devices'] {
  const dir = pkiDirIn(dirname(resolve(config.journal.path)));
  return config.devices.map((d) => (d.transport.kind === 'opcua' && d.transport.pkiDir === undefined ? { ...d, transport: { ...d.transport, pkiDir: dir } } : d));
}

function timeToleranceOf(config: GatewayConfig): { aheadToleranceMs: number; behindToleranceMs: number } {
  return { aheadToleranceMs: config.alarms.timeAheadToleranceSec * 1000, behindToleranceMs: config.alarms.timeBehindToleranceSec * 1000 };
}
