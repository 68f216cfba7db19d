/**
 * What a bus scan will try, in which order, and how long it will take: parsed from the technician's
 * options, validated with clear messages. Pure functions (the scanner and the CLI share them).
 */
import { SafeLoopError } from '@safeloop/contract';

export type Parity = 'none' | 'even' | 'odd';
export const PARITIES: readonly Parity[] = ['none', 'even', 'odd'];

/** Baud rates field devices ship with, most common first (9600 8N1 is the usual factory setting). */
export const DEFAULT_BAUDS: readonly number[] = [9600, 19200, 4800, 38400, 115200, 57600, 2400, 1200];

export interface LineSetting {
  baudRate: number;
  parity: Parity;
  /** 8 data bits, 1 stop bit: what field devices ship with (8N1 / 8E1 / 8O1) and the gateway's default. */
  dataBits: 8;
  stopBits: 1 | 2;
}

export interface ScanPlan {
  settings: LineSetting[];
  units: number[];
  /** Per-probe reply timeout in ms, before line transmission time is added. */
  timeoutMs: number;
}

function usage(message: string): SafeLoopError {
  return new SafeLoopError('CLI_USAGE', message);
}

/** `1-247`, `1,5,10-12` → sorted unique unit ids; each 1..247 (0..255 for Modbus TCP when `tcp`). */
export function parseUnitRange(text: string, opts: { tcp?: boolean } = {}): number[] {
  const max = opts.tcp === true ? 255 : 247;
  const min = opts.tcp === true ? 0 : 1;
  const out = new Set<number>();
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw usage(`--units: "${part}" is not a unit id or a range like 1-247`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from < min || to > max || from > to) throw usage(`--units: ${part} must lie within ${min}-${max} with the smaller id first`);
    for (let u = from; u <= to; u++) out.add(u);
  }
  if (out.size === 0) throw usage('--units: no unit ids given');
  return [...out].sort((a, b) => a - b);
}

export function parseBauds(text: string): number[] {
  const bauds = text.split(',').map((p) => p.trim()).filter((p) => p !== '').map(Number);
  for (const b of bauds) if (!Number.isInteger(b) || b < 300 || b > 921_600) throw usage(`--bauds: ${String(b)} is not a baud rate (300-921600)`);
  if (bauds.length === 0) throw usage('--bauds: no baud rate given');
  return [...new Set(bauds)];
}

export function parseParities(text: string): Parity[] {
  const list = text.split(',').map((p) => p.trim().toLowerCase()).filter((p) => p !== '');
  for (const p of list) if (!PARITIES.includes(p as Parity)) throw usage(`--parities: "${p}" is not one of none, even, odd`);
  if (list.length === 0) throw usage('--parities: no parity given');
  return [...new Set(list)] as Parity[];
}

/** Every baud × parity, in the order given (bauds outer: changing parity is cheaper to reason about per baud). */
export function lineSettings(bauds: readonly number[], parities: readonly Parity[]): LineSetting[] {
  return bauds.flatMap((baudRate) => parities.map((parity) => ({ baudRate, parity, dataBits: 8 as const, stopBits: 1 as const })));
}

/** Milliseconds one character takes on the line (start + 8 data + parity + stop bits). */
export function charMs(s: Pick<LineSetting, 'baudRate' | 'parity' | 'stopBits'>): number {
  return ((1 + 8 + (s.parity === 'none' ? 0 : 1) + s.stopBits) * 1000) / s.baudRate;
}

/** Request (8 bytes) + longest probe reply we wait for (7 bytes) on the wire, plus the 3.5-char gaps. */
export function probeWireMs(s: LineSetting): number {
  return (8 + 7 + 7) * charMs(s);
}

/** How long one unanswered probe costs at these settings (what dominates a scan). */
export function probeCostMs(plan: Pick<ScanPlan, 'timeoutMs'>, s?: LineSetting): number {
  return plan.timeoutMs + (s === undefined ? 0 : probeWireMs(s));
}

/** Worst case: every unit at every setting unanswered. */
export function worstCaseMs(plan: ScanPlan): number {
  if (plan.settings.length === 0) return plan.units.length * probeCostMs(plan);
  return plan.settings.reduce((sum, s) => sum + plan.units.length * probeCostMs(plan, s), 0);
}

/**
 * Time left: the probes still to do (units not found yet, at every setting not yet tried, plus the
 * rest of the current one), each at its unanswered cost.
 */
export function remainingMs(plan: ScanPlan, at: { settingIndex: number; unitsLeftInSetting: number; unitsNotFound: number }): number {
  if (plan.settings.length === 0) return at.unitsLeftInSetting * probeCostMs(plan);
  let ms = at.unitsLeftInSetting * probeCostMs(plan, plan.settings[at.settingIndex]);
  for (let i = at.settingIndex + 1; i < plan.settings.length; i++) ms += at.unitsNotFound * probeCostMs(plan, plan.settings[i]);
  return ms;
}
