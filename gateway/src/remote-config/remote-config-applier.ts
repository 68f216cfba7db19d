/**
 * Applies a `config` command from the cloud: validate → apply (restart the sources with the new device
 * list; the journal and the uplink stay open, so nothing journaled is dropped) → watch → keep or roll back.
 *
 * Only devices, bridges and report settings are taken from the remote version: gateway identity, uplink and
 * journal stay local (a bad uplink pushed remotely would cut the very link needed to repair it).
 * The new version is rolled back by itself when its sources fail to start, or when no device answers
 * (no reading of good or uncertain quality) within the health window after the change. Failures are
 * reported as system events on the alarm stream; the applied version travels in every status message.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { errorMessage, systemClock, type Clock, type Logger, type Reading } from '@safeloop/contract';
import { GatewayConfigSchema, type GatewayConfig } from '../config.ts';

export interface ConfigReport {
  code: 'GW_CONFIG_APPLIED' | 'GW_CONFIG_REJECTED' | 'GW_CONFIG_ROLLED_BACK';
  message: string;
  details: Record<string, unknown>;
}

export interface RemoteConfigApplierDeps {
  /** The configuration running now (the local file at start). */
  initial: GatewayConfig;
  /** Stop the running sources and start ones for `config`; resolves with the ids of sources that failed to start. */
  applySources: (config: GatewayConfig) => Promise<{ failedToStart: string[] }>;
  /** Report an outcome (the agent journals it as a system event). */
  report: (r: ConfigReport) => void;
  logger: Logger;
  clock?: Clock;
  /** Persist the applied version here (JSON), so a restart runs it again. */
  stateFile?: string | undefined;
  /** How long after a change at least one device must answer; default 3 × the slowest poll interval, at least 5 s. */
  healthWindowMs?: number | undefined;
}

interface PersistedState {
  version: number;
  config: unknown;
  failedVersions: number[];
}

/** The remote sections over the local ones. */
export function mergeRemoteConfig(local: GatewayConfig, remote: GatewayConfig): GatewayConfig {
  return { ...local, devices: remote.devices, bridges: remote.bridges, report: remote.report };
}

export class RemoteConfigApplier {
  private current: GatewayConfig;
  private version: number | undefined;
  private readonly failed = new Set<number>();
  private queue: Promise<void> = Promise.resolve();
  private watching: { answered: boolean } | undefined;
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(private readonly deps: RemoteConfigApplierDeps) {
    this.clock = deps.clock ?? systemClock;
    this.log = deps.logger.child({ module: 'gateway:remote-config' });
    this.current = deps.initial;
    const saved = this.load();
    if (saved) {
      for (const v of saved.failedVersions) this.failed.add(v);
      const parsed = GatewayConfigSchema.safeParse(saved.config);
      if (parsed.success && parsed.data.gateway.id === deps.initial.gateway.id) {
        this.current = mergeRemoteConfig(deps.initial, parsed.data);
        this.version = saved.version;
      }
    }
  }

  /** The configuration to run (the last applied remote version over the local file). */
  get config(): GatewayConfig {
    return this.current;
  }

  /** The applied remote version (undefined: running the local file). */
  get configVersion(): number | undefined {
    return this.version;
  }

  /** Feed every batch of readings (the agent's sink calls this). */
  observe(readings: readonly Reading[]): void {
    if (this.watching && !this.watching.answered && readings.some((r) => r.quality !== 'bad')) this.watching.answered = true;
  }

  /** Handle a `config` command; changes are applied one at a time, in order. Resolves when settled. */
  handle(cmd: { version: number; config: unknown }): Promise<void> {
    const run = this.queue.then(() => this.apply(cmd.version, cmd.config));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async apply(version: number, raw: unknown): Promise<void> {
    if (this.version !== undefined && version <= this.version) {
      this.log.info({ version, applied: this.version }, 'config version already applied or older; ignored');
      return;
    }
    if (this.failed.has(version)) {
      this.log.warn({ version }, 'config version failed before; not applied again');
      return;
    }
    const parsed = GatewayConfigSchema.safeParse(raw);
    const problem = !parsed.success
      ? parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
      : parsed.data.gateway.id !== this.current.gateway.id
        ? `gateway.id is ${parsed.data.gateway.id}, this gateway is ${this.current.gateway.id}`
        : undefined;
    if (problem !== undefined || !parsed.success) {
      this.fail(version, 'GW_CONFIG_REJECTED', `config version ${version} rejected before applying: ${problem ?? 'invalid'}`, {});
      return;
    }
    const previous = this.current;
    const next = mergeRemoteConfig(previous, parsed.data);
    this.log.warn({ version, devices: next.devices.length }, 'applying remote configuration');
    const watch = { answered: false };
    this.watching = watch;
    let reason: string | undefined;
    try {
      const { failedToStart } = await this.deps.applySources(next);
      if (failedToStart.length > 0) reason = `sources failed to start: ${failedToStart.join(', ')}`;
    } catch (err) {
      reason = `applying failed: ${errorMessage(err)}`;
    }
    const expectsAnswers = next.devices.some((d) => d.enabled) || next.bridges.length > 0;
    if (reason === undefined && expectsAnswers) {
      const windowMs = this.deps.healthWindowMs ?? Math.max(5000, 3 * Math.max(0, ...next.devices.map((d) => d.pollIntervalMs)));
      const deadline = this.clock.monotonic() + windowMs;
      while (!watch.answered && this.clock.monotonic() < deadline) await new Promise((r) => setTimeout(r, 50));
      if (!watch.answered) reason = `no device answered within ${windowMs} ms after the change`;
    }
    this.watching = undefined;
    if (reason === undefined) {
      this.current = next;
      this.version = version;
      this.save();
      this.log.warn({ version }, 'remote configuration applied');
      this.deps.report({ code: 'GW_CONFIG_APPLIED', message: `config version ${version} applied`, details: { version } });
      return;
    }
    this.log.error({ version, reason }, 'remote configuration failed; rolling back');
    try {
      await this.deps.applySources(previous);
    } catch (err) {
      this.log.error({ err: errorMessage(err) }, 'rollback could not restart the previous sources');
    }
    this.fail(version, 'GW_CONFIG_ROLLED_BACK', `config version ${version} rolled back to ${this.version ?? 'the local file'}: ${reason}`, { restoredVersion: this.version ?? null });
  }

  private fail(version: number, code: ConfigReport['code'], message: string, details: Record<string, unknown>): void {
    this.failed.add(version);
    this.save();
    this.log.error({ version }, message);
    this.deps.report({ code, message: message.slice(0, 500), details: { version, ...details } });
  }

  private load(): PersistedState | undefined {
    const f = this.deps.stateFile;
    if (!f || !existsSync(f)) return undefined;
    try {
      return JSON.parse(readFileSync(f, 'utf8')) as PersistedState;
    } catch (err) {
      this.log.error({ file: f, err: errorMessage(err) }, 'remote config state unreadable; running the local file');
      return undefined;
    }
  }

  private save(): void {
    const f = this.deps.stateFile;
    if (!f) return;
    const state: PersistedState = { version: this.version ?? 0, config: this.version !== undefined ? this.current : null, failedVersions: [...this.failed].slice(-50) };
    try {
      writeFileSync(`${f}.tmp`, JSON.stringify(state));
      renameSync(`${f}.tmp`, f);
    } catch (err) {
      this.log.error({ file: f, err: errorMessage(err) }, 'could not persist remote config state');
    }
  }
}
