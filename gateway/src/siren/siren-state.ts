/**
 * What the local siren should be doing, as data that survives a restart: the alarm conditions (and
 * faults) that sound each output, which of them were silenced, and when a pulse ends. Pure — no I/O
 * except load/save of the state file (written to a temporary file and renamed, so a power cut
 * leaves the old or the new state, never half of one).
 *
 * Rules: a raised condition sounds its outputs unless it is already known (a re-raise after a
 * restart re-sounds nothing that was silenced); a clear ends it unless latched, when it keeps
 * sounding until silenced; silencing (cloud command or the local button) mutes the matching
 * conditions and forgets those already cleared; a reset also forgets cleared ones. A condition that
 * clears and is raised again is new and sounds again.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

export interface Condition {
  point: string;
  /** An alarm level, or 'fault' for a bad-quality reading. */
  level: string;
  outputs: string[];
  active: boolean;
  silenced: boolean;
  since: number;
}

export interface SirenStateData {
  v: 1;
  conditions: Record<string, Condition>;
  /** Pulse-mode outputs: on until this time (epoch ms). */
  pulseUntil: Record<string, number>;
}

/** Does a point filter (`site/device/point`, or a prefix) match? No filter matches everything. */
export function pointMatches(point: string, filter: string | undefined): boolean {
  if (filter === undefined) return true;
  return point === filter || point.startsWith(filter.endsWith('/') ? filter : `${filter}/`);
}

export class SirenState {
  private data: SirenStateData = { v: 1, conditions: {}, pulseUntil: {} };

  constructor(private readonly file: string | undefined, private readonly latch: boolean) {}

  /** Load the state file if there is one; a damaged file starts empty (and says so). */
  load(): { restored: number; error?: string } {
    if (!this.file || !existsSync(this.file)) return { restored: 0 };
    try {
      const d = JSON.parse(readFileSync(this.file, 'utf8')) as SirenStateData;
      if (d.v !== 1 || typeof d.conditions !== 'object') throw new Error('unknown format');
      this.data = { v: 1, conditions: d.conditions, pulseUntil: d.pulseUntil ?? {} };
      return { restored: Object.keys(d.conditions).length };
    } catch (err) {
      return { restored: 0, error: err instanceof Error ? err.message : String(err) };
    }
  }

  save(): void {
    if (!this.file) return;
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data));
    renameSync(tmp, this.file);
  }

  get conditions(): Readonly<Record<string, Condition>> {
    return this.data.conditions;
  }

  /** A condition became active. Returns true when it starts sounding (new, or raised again after a clear). */
  raise(point: string, level: string, outputs: string[], at: number): boolean {
    const key = `${point}|${level}`;
    const c = this.data.conditions[key];
    if (c?.active) return false;
    this.data.conditions[key] = { point, level, outputs, active: true, silenced: false, since: at };
    return true;
  }

  /** A condition returned to normal. Returns true when that changed anything. */
  clear(point: string, level: string): boolean {
    const key = `${point}|${level}`;
    const c = this.data.conditions[key];
    if (!c?.active) return false;
    if (!this.latch || c.silenced) delete this.data.conditions[key];
    else c.active = false;
    return true;
  }

  /** Silence what matches (everything without a filter). Returns the keys muted or forgotten. */
  silence(filter?: string): string[] {
    const touched: string[] = [];
    for (const [key, c] of Object.entries(this.data.conditions)) {
      if (!pointMatches(c.point, filter)) continue;
      if (!c.active) delete this.data.conditions[key];
      else if (!c.silenced) c.silenced = true;
      else continue;
      touched.push(key);
    }
    if (filter === undefined) this.data.pulseUntil = {};
    return touched;
  }

  /** Reset: silence, and forget cleared conditions (the alarm was closed or reset in the cloud). */
  reset(filter?: string): string[] {
    return this.silence(filter);
  }

  startPulse(output: string, until: number): void {
    this.data.pulseUntil[output] = until;
  }

  pulseEnd(output: string): number | undefined {
    return this.data.pulseUntil[output];
  }

  /** Conditions sounding an output now (active or latched, not silenced). */
  sounding(output: string): string[] {
    return Object.entries(this.data.conditions)
      .filter(([, c]) => !c.silenced && c.outputs.includes(output))
      .map(([k]) => k);
  }
}
