/**
 * The gateway's local siren (声光报警器): sounds from the edge evaluator's alarm events the moment
 * they are evaluated — before the journal, with or without an uplink — and from its instrument fault
 * events (comm loss, sensor fault) when an output covers faults. It is silenced by the cloud's `siren` commands (silence on
 * acknowledgement, reset on close) and by the local acknowledge input. Its state is kept in a file
 * beside the journal, so a gateway restarted while sounding sounds on (and stays silent if it was
 * silenced). Every action — sounding, silencing, reset, output switched, write failed — is
 * journaled as a system event, so the cloud hears of it once the uplink is back.
 *
 * The agent's hook is four calls: construct, onAlarmEvents(events, readings), onCommand(cmd), stop().
 */
import { rateLimited, systemClock, type Clock, type CommandMessage, type Logger, type Reading, type ReadingSource } from '@safeloop/contract';
import type { DeviceInstance } from '../field/config.ts';
import type { SirenConfig, SirenOutputConfig } from './config.ts';
import { SirenOutput, type WriteResult } from './siren-output.ts';
import { pointMatches, SirenState } from './siren-state.ts';

/** The events the siren consumes: the edge evaluator's per-batch output (process alarms and instrument faults). */
export type SirenAlarmEvent =
  | { type: 'alarm'; point: string; kind: 'raised' | 'cleared'; level: string }
  | { type: 'fault'; subject: string; point: string; kind: 'raised' | 'cleared'; fault: string };

export type SirenEventCode = 'GW_SIREN_SOUNDING' | 'GW_SIREN_OUTPUT' | 'GW_SIREN_SILENCED' | 'GW_SIREN_RESET' | 'GW_SIREN_WRITE_FAILED' | 'GW_SIREN_STATE_LOST';

export interface LocalSirenDeps {
  config: SirenConfig;
  devices: readonly DeviceInstance[];
  /** The agent's current sources (the siren writes through the device's bus). */
  buses: () => readonly ReadingSource[];
  /** Journal a system event and wake the uplink. */
  report: (e: { code: SirenEventCode; message: string; details: Record<string, unknown> }) => void;
  logger: Logger;
  clock?: Clock;
  /** State file (default: none, state lives in memory only). */
  stateFile?: string;
}

function covers(o: SirenOutputConfig, point: string): boolean {
  return o.points === undefined || o.points.some((p) => pointMatches(point, p));
}

export class LocalSiren {
  private readonly state: SirenState;
  private readonly outputs = new Map<string, SirenOutput>();
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly pulseTimers = new Map<string, NodeJS.Timeout>();
  private readonly logOnce = rateLimited(60_000);
  /** Devices carrying siren outputs: their own points are not alarm sources. */
  private readonly ownDevices: Set<string>;
  private ackWasOn: boolean | undefined;
  private stopped = false;

  constructor(private readonly deps: LocalSirenDeps) {
    this.log = deps.logger.child({ module: 'gateway:siren' });
    this.clock = deps.clock ?? systemClock;
    this.state = new SirenState(deps.stateFile, deps.config.latch);
    for (const o of deps.config.outputs) {
      const device = deps.devices.find((d) => d.id === o.device);
      if (!device) continue; // refused by the config schema; kept safe here
      this.outputs.set(o.id, new SirenOutput(o, device, { buses: deps.buses, retryMs: deps.config.retryMs, logger: this.log, onWritten: (r) => this.written(o.id, r) }));
    }
    this.ownDevices = new Set(deps.config.outputs.map((o) => o.device));
  }

  /** Restore the saved state and drive every output to it (call once the sources run). */
  start(): void {
    const r = this.state.load();
    if (r.error) this.report({ code: 'GW_SIREN_STATE_LOST', message: `siren state file unreadable (${r.error}); starting silent`, details: {} });
    else if (r.restored > 0) this.log.warn({ conditions: Object.keys(this.state.conditions) }, 'siren state restored');
    this.apply();
  }

  /** Journal a siren action; a failing journal never stops the siren itself. */
  private report(e: Parameters<LocalSirenDeps['report']>[0]): void {
    try {
      this.deps.report(e);
    } catch (err) {
      this.logOnce(`report:${e.code}`, (suppressed) => this.log.error({ err: String(err), code: e.code, suppressed }, 'could not journal a siren event'));
    }
  }

  /**
   * The edge evaluator's new events of one batch, and the batch's readings (acknowledge input,
   * faults). Never throws: the agent journals the same events right after.
   */
  onAlarmEvents(events: readonly SirenAlarmEvent[], readings: readonly Reading[] = []): void {
    if (this.stopped) return;
    try {
      this.evaluate(events, readings);
    } catch (err) {
      this.log.error({ err: String(err) }, 'siren evaluation failed');
    }
  }

  private evaluate(events: readonly SirenAlarmEvent[], readings: readonly Reading[]): void {
    const now = this.clock.now();
    const started: string[] = [];
    let changed = false;
    for (const e of events) {
      const isFault = e.type === 'fault';
      const where = isFault ? e.subject : e.point;
      const outs = [...this.outputs.values()]
        .filter((o) => (isFault ? o.config.faults && o.config.faultCodes.includes(e.fault as never) : o.config.levels.includes(e.level as never)) && (covers(o.config, e.point) || covers(o.config, where)))
        .map((o) => o.config.id);
      if (outs.length === 0 || this.ownDevices.has(e.point.split('/')[1] ?? '')) continue;
      const level = isFault ? `fault:${e.fault}` : e.level;
      if (e.kind === 'raised') {
        if (this.state.raise(where, level, outs, now)) started.push(`${where}|${level}`);
      } else changed = this.state.clear(where, level) || changed;
    }
    for (const r of readings) if (r.point === this.deps.config.acknowledgeInput?.point) this.ackInput(r);
    if (started.length > 0) {
      for (const key of started) for (const id of this.state.conditions[key]?.outputs ?? []) this.startPulse(id, now);
      this.report({ code: 'GW_SIREN_SOUNDING', message: `siren sounding for ${started.join(', ')}`.slice(0, 500), details: { conditions: started } });
    }
    if (started.length > 0 || changed) this.apply();
  }

  /** A cloud `siren` command: silence (alarm acknowledged) or reset (alarm closed / latched alarm reset). */
  onCommand(cmd: Extract<CommandMessage, { type: 'siren' }>): void {
    if (this.stopped) return;
    const touched = cmd.action === 'silence' ? this.state.silence(cmd.point) : this.state.reset(cmd.point);
    this.report({
      code: cmd.action === 'silence' ? 'GW_SIREN_SILENCED' : 'GW_SIREN_RESET',
      message: `siren ${cmd.action} from the cloud${cmd.point ? ` for ${cmd.point}` : ''}: ${touched.length} condition(s)`,
      details: { by: 'cloud', commandId: cmd.id, point: cmd.point ?? null, conditions: touched },
    });
    this.apply();
  }

  private ackInput(r: Reading): void {
    if (r.quality !== 'good') return;
    const on = r.value === true || (typeof r.value === 'number' && r.value !== 0);
    const rising = on && this.ackWasOn === false;
    this.ackWasOn = on;
    if (!rising) return;
    const touched = this.state.silence();
    this.report({ code: 'GW_SIREN_SILENCED', message: `siren silenced by the local acknowledge button: ${touched.length} condition(s)`, details: { by: 'local-button', point: r.point, conditions: touched } });
    this.apply();
  }

  private startPulse(outputId: string, now: number): void {
    const o = this.outputs.get(outputId);
    if (!o || o.config.mode !== 'pulse') return;
    this.state.startPulse(outputId, now + o.config.pulseMs);
    clearTimeout(this.pulseTimers.get(outputId));
    this.pulseTimers.set(outputId, setTimeout(() => this.apply(), o.config.pulseMs + 5));
  }

  /** Save the state and set every output to what it implies. */
  private apply(): void {
    if (this.stopped) return;
    try {
      this.state.save();
    } catch (err) {
      this.logOnce('save', () => this.log.error({ err: String(err) }, 'could not save the siren state; sounding continues from memory'));
    }
    const now = this.clock.now();
    for (const [id, out] of this.outputs) {
      const sounding = this.state.sounding(id).length > 0;
      const on = out.config.mode === 'pulse' ? sounding && now < (this.state.pulseEnd(id) ?? 0) : sounding;
      out.set(on);
    }
  }

  private written(outputId: string, r: WriteResult): void {
    if (r.ok) {
      const conditions = this.state.sounding(outputId);
      this.log.warn({ output: outputId, on: r.on, conditions }, r.on ? 'siren output on' : 'siren output off');
      this.report({ code: 'GW_SIREN_OUTPUT', message: `siren output ${outputId} ${r.on ? 'on' : 'off'}`, details: { output: outputId, on: r.on, conditions } });
      return;
    }
    this.logOnce(`write:${outputId}`, (suppressed) => {
      this.log.error({ output: outputId, on: r.on, error: r.error, suppressed }, 'siren output write failed; retrying');
      this.report({ code: 'GW_SIREN_WRITE_FAILED', message: `siren output ${outputId} could not be switched ${r.on ? 'on' : 'off'}: ${r.error}`.slice(0, 500), details: { output: outputId, on: r.on, suppressed } });
    });
  }

  /** Outputs as the devices last confirmed them (tests, health). */
  outputStates(): Record<string, boolean | undefined> {
    return Object.fromEntries([...this.outputs].map(([id, o]) => [id, o.state]));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.pulseTimers.values()) clearTimeout(t);
    for (const o of this.outputs.values()) o.stop();
  }
}
