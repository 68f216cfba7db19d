/**
 * The bus scan: which unit ids answer, at which line settings, by which function, and who they say
 * they are (43/14). A unit counts as present on any reply, an exception included ("illegal data
 * address" still proves a device is listening at that id); only silence means absent. Behind a
 * Modbus TCP gateway, exceptions 0x0A/0x0B are the gateway saying nobody answered: absent.
 * Once a unit answers, it is not tried at other settings; the scan ends early when every unit in
 * the range has answered.
 */
import { decodeDeviceIdReply, encodeDeviceIdRequest, type DeviceIdentification } from './modbus-device-id.ts';
import { openRtuProbe, openTcpProbe, type ModbusProbe, type ProbeOutcome } from './modbus-probe.ts';
import { remainingMs, type LineSetting, type ScanPlan } from './scan-plan.ts';
import { MODBUS_EXCEPTION_TEXT } from '../field/errors.ts';

export interface ProbeAnswer {
  function: number;
  address: number;
  answer: 'data' | 'exception';
  exceptionCode?: number;
  /** e.g. "FC3 holding 0: data 0x0000" or "FC3 holding 0: exception 0x02 illegal data address". */
  text: string;
}

export interface FoundDevice {
  unitId: number;
  /** Line settings that worked (RTU only). */
  line?: LineSetting;
  answeredBy: ProbeAnswer[];
  identification?: DeviceIdentification;
  /** `yes` with identification, `no` when the device refused 43/14, `silent` when it did not answer it. */
  identificationSupport: 'yes' | 'no' | 'silent';
  replyMs: number;
  /** It answered only after the probe timeout (seen as a late reply, confirmed with a longer one): raise the timeout. */
  slow?: true;
}

/** How much longer the confirming probe of a late-answering unit waits. */
export const SLOW_RETRY_FACTOR = 5;

/**
 * Units that answered late (valid frames after their probe timed out) and are not found yet:
 * probe each again with a longer timeout. Returns the devices confirmed.
 */
async function confirmLate(probe: ModbusProbe, late: Set<number>, isWanted: (u: number) => boolean, timeoutMs: number, opts: { viaGateway?: boolean }): Promise<FoundDevice[]> {
  const out: FoundDevice[] = [];
  for (const u of [...late].sort((a, b) => a - b)) {
    if (!isWanted(u)) continue;
    const r = await probeUnit(probe, u, timeoutMs * SLOW_RETRY_FACTOR, opts);
    if (r.device) {
      r.device.slow = true;
      out.push(r.device);
    }
  }
  late.clear();
  return out;
}

export interface SettingSummary {
  setting?: LineSetting;
  probes: number;
  answered: number;
  /** Probes that got bytes but no valid frame: a hint that a device is there at other settings. */
  garbled: number;
}

export interface ScanResult {
  target: string;
  found: FoundDevice[];
  settings: SettingSummary[];
  /** Distinct line settings at which devices answered (RTU). */
  workingSettings: LineSetting[];
  probes: number;
  elapsedMs: number;
  aborted: boolean;
}

export interface ScanProgress {
  done: number;
  /** Probes done plus the most still to do (shrinks as units are found). */
  total: number;
  etaMs: number;
  setting?: LineSetting;
  unitId: number;
  found: number;
}

export interface ScanHooks {
  onProgress?: (p: ScanProgress) => void;
  onFound?: (d: FoundDevice) => void;
  signal?: AbortSignal;
}

const GATEWAY_NO_TARGET = new Set([0x0a, 0x0b]);
const TABLE_NAME: Record<number, string> = { 3: 'holding', 4: 'input' };

function readPdu(fc: 3 | 4, address: number): Buffer {
  return Buffer.from([fc, address >> 8, address & 0xff, 0, 1]);
}

function answerOf(fc: 3 | 4, address: number, o: Extract<ProbeOutcome, { kind: 'reply' }>): ProbeAnswer {
  const where = `FC${fc} ${TABLE_NAME[fc] ?? ''} ${address}`;
  if ((o.pdu[0] ?? 0) & 0x80) {
    const code = o.pdu[1] ?? 0;
    return { function: fc, address, answer: 'exception', exceptionCode: code, text: `${where}: exception 0x${code.toString(16).padStart(2, '0')} ${MODBUS_EXCEPTION_TEXT[code] ?? 'unknown'}` };
  }
  const word = o.pdu.length >= 4 ? o.pdu.readUInt16BE(2) : 0;
  return { function: fc, address, answer: 'data', text: `${where}: data 0x${word.toString(16).toUpperCase().padStart(4, '0')}` };
}

/**
 * Probe one unit: FC3 holding 0 (FC4 input 0 as well when FC3 is an illegal function), then 43/14.
 * Returns undefined when nobody answered.
 */
export async function probeUnit(probe: ModbusProbe, unitId: number, timeoutMs: number, opts: { viaGateway?: boolean } = {}): Promise<{ device?: FoundDevice; garbled: boolean }> {
  const first = await probe.request(unitId, readPdu(3, 0), timeoutMs);
  if (first.kind !== 'reply') return { garbled: first.kind === 'garbled' };
  const a3 = answerOf(3, 0, first);
  if (opts.viaGateway === true && a3.exceptionCode !== undefined && GATEWAY_NO_TARGET.has(a3.exceptionCode)) return { garbled: false };
  const answeredBy = [a3];
  if (a3.exceptionCode === 0x01) {
    const o4 = await probe.request(unitId, readPdu(4, 0), timeoutMs);
    if (o4.kind === 'reply') answeredBy.push(answerOf(4, 0, o4));
  }
  const device: FoundDevice = { unitId, answeredBy, identificationSupport: 'silent', replyMs: Math.round(first.ms * 10) / 10 };
  const idr = await probe.request(unitId, encodeDeviceIdRequest(1, 0), timeoutMs);
  if (idr.kind === 'reply') {
    try {
      device.identification = decodeDeviceIdReply(idr.pdu);
      device.identificationSupport = 'yes';
    } catch {
      device.identificationSupport = 'no';
    }
  }
  return { device, garbled: false };
}

export type OpenLineProbe = (path: string, setting: LineSetting) => Promise<ModbusProbe>;

/** Scan an RS-485 line: every setting of the plan, every unit not found yet. */
export async function scanSerialLine(opts: { path: string; plan: ScanPlan; openProbe?: OpenLineProbe } & ScanHooks): Promise<ScanResult> {
  const open = opts.openProbe ?? openRtuProbe;
  const { plan } = opts;
  const started = performance.now();
  const found = new Map<number, FoundDevice>();
  const settings: SettingSummary[] = [];
  let probes = 0;
  let aborted = false;
  for (let si = 0; si < plan.settings.length && !aborted; si++) {
    const setting = plan.settings[si] as LineSetting;
    const todo = plan.units.filter((u) => !found.has(u));
    if (todo.length === 0) break;
    const summary: SettingSummary = { setting, probes: 0, answered: 0, garbled: 0 };
    settings.push(summary);
    const probe = await open(opts.path, setting);
    const late = new Set<number>();
    try {
      for (let i = 0; i < todo.length; i++) {
        if (opts.signal?.aborted === true) {
          aborted = true;
          break;
        }
        const unitId = todo[i] as number;
        const r = await probeUnit(probe, unitId, plan.timeoutMs);
        for (const u of probe.takeStrays()) late.add(u);
        probes += 1;
        summary.probes += 1;
        if (r.garbled) summary.garbled += 1;
        if (r.device) {
          r.device.line = setting;
          found.set(unitId, r.device);
          summary.answered += 1;
          opts.onFound?.(r.device);
        }
        const notFound = plan.units.length - found.size;
        const left = todo.length - i - 1;
        const rest = plan.settings.slice(si + 1).length * notFound;
        opts.onProgress?.({
          done: probes,
          total: probes + left + rest,
          etaMs: remainingMs(plan, { settingIndex: si, unitsLeftInSetting: left, unitsNotFound: notFound }),
          setting,
          unitId,
          found: found.size,
        });
      }
      // A late reply to the last probes may still be on its way: give it one timeout.
      if (!aborted) await new Promise((r) => setTimeout(r, plan.timeoutMs));
      for (const u of probe.takeStrays()) late.add(u);
      const confirmed = await confirmLate(probe, late, (u) => plan.units.includes(u) && !found.has(u), plan.timeoutMs, {});
      for (const d of confirmed) {
        d.line = setting;
        found.set(d.unitId, d);
        summary.answered += 1;
        opts.onFound?.(d);
      }
    } finally {
      await probe.close();
    }
  }
  const list = [...found.values()].sort((a, b) => a.unitId - b.unitId);
  const working: LineSetting[] = [];
  for (const d of list) if (d.line && !working.some((w) => w.baudRate === d.line?.baudRate && w.parity === d.line.parity)) working.push(d.line);
  return { target: `serial ${opts.path}`, found: list, settings, workingSettings: working, probes, elapsedMs: Math.round(performance.now() - started), aborted };
}

/** Scan the unit ids behind a Modbus TCP gateway (or a TCP device that serves several ids). */
export async function scanTcpGateway(
  opts: { host: string; port: number; units: readonly number[]; timeoutMs: number; openProbe?: (host: string, port: number) => Promise<ModbusProbe> } & ScanHooks,
): Promise<ScanResult> {
  const probe = await (opts.openProbe ?? openTcpProbe)(opts.host, opts.port);
  const started = performance.now();
  const found: FoundDevice[] = [];
  const summary: SettingSummary = { probes: 0, answered: 0, garbled: 0 };
  let aborted = false;
  const late = new Set<number>();
  try {
    for (let i = 0; i < opts.units.length; i++) {
      if (opts.signal?.aborted === true) {
        aborted = true;
        break;
      }
      const unitId = opts.units[i] as number;
      const r = await probeUnit(probe, unitId, opts.timeoutMs, { viaGateway: true });
      for (const u of probe.takeStrays()) late.add(u);
      summary.probes += 1;
      if (r.garbled) summary.garbled += 1;
      if (r.device) {
        found.push(r.device);
        summary.answered += 1;
        opts.onFound?.(r.device);
      }
      const left = opts.units.length - i - 1;
      opts.onProgress?.({ done: i + 1, total: opts.units.length, etaMs: left * opts.timeoutMs, unitId, found: found.length });
    }
    if (!aborted) await new Promise((r) => setTimeout(r, opts.timeoutMs));
    for (const u of probe.takeStrays()) late.add(u);
    for (const d of await confirmLate(probe, late, (u) => opts.units.includes(u) && !found.some((f) => f.unitId === u), opts.timeoutMs, { viaGateway: true })) {
      found.push(d);
      summary.answered += 1;
      opts.onFound?.(d);
    }
    found.sort((a, b) => a.unitId - b.unitId);
  } finally {
    await probe.close();
  }
  return { target: `tcp ${opts.host}:${opts.port}`, found, settings: [summary], workingSettings: [], probes: summary.probes, elapsedMs: Math.round(performance.now() - started), aborted };
}
