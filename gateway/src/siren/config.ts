/**
 * The gateway config's optional `siren:` section: which alarm levels (and device/sensor faults) sound
 * which local output — a Modbus coil or holding-register write on a named device of `devices[]` —
 * steady (on until silenced) or as a pulse (on for pulseMs per new alarm, for sounders with their own
 * timer), plus the local acknowledge input (a digital input point) that silences everything. Checked
 * against the device list and its write allow-list at load time, so a siren that could never sound is
 * a config error, not a surprise during a leak.
 */
import { AlarmLevelSchema, FaultCodeSchema, IdSchema, PointPathSchema } from '@safeloop/contract';
import { z } from 'zod';
import type { DeviceInstance } from '../field/config.ts';
import { createWriteGuard } from '../field/write-guard.ts';

export const SirenOutputSchema = z
  .object({
    id: IdSchema,
    /** A Modbus device of `devices[]` (its `writeAllow` must cover the on and off writes). */
    device: IdSchema,
    table: z.enum(['coil', 'holding']).default('coil'),
    /** Zero-based coil / register address. */
    address: z.number().int().min(0).max(65535),
    onValue: z.number().int().min(0).max(65535).default(1),
    offValue: z.number().int().min(0).max(65535).default(0),
    mode: z.enum(['steady', 'pulse']).default('steady'),
    /** Pulse mode: on for this long per newly sounding alarm, then off. */
    pulseMs: z.number().int().min(100).max(600_000).default(3_000),
    /** Alarm levels that sound this output. */
    levels: z.array(AlarmLevelSchema).default([]),
    /** Also sound on the edge evaluator's instrument fault alarms (device silent, sensor fault) of points this output covers. */
    faults: z.boolean().default(false),
    /** Which fault alarms count (default: the instrument cannot measure; planned states such as calibration do not sound). */
    faultCodes: z.array(FaultCodeSchema).min(1).default(['comm_lost', 'sensor_fault', 'stopped', 'bad_data', 'under_range', 'over_range', 'out_of_range']),
    /** Only points under these prefixes (`site/`, `site/device/` or a full path); default every point. */
    points: z.array(z.string().min(1).max(200)).optional(),
  })
  .refine((o) => o.levels.length > 0 || o.faults, { message: 'an output needs levels or faults: true, or it never sounds', path: ['levels'] })
  .refine((o) => o.onValue !== o.offValue, { message: 'onValue and offValue must differ', path: ['offValue'] });
export type SirenOutputConfig = z.infer<typeof SirenOutputSchema>;

export const SirenConfigSchema = z.object({
  outputs: z.array(SirenOutputSchema).min(1),
  /** A digital input point whose rising edge (false → true) silences every output (现场确认/消音). */
  acknowledgeInput: z.object({ point: PointPathSchema }).optional(),
  /** Keep sounding after the alarm clears until somebody silences it (default true). */
  latch: z.boolean().default(true),
  /** Wait before retrying a write that failed (device silent, bus busy, rate limit). */
  retryMs: z.number().int().min(100).max(60_000).default(1_000),
});
export type SirenConfig = z.infer<typeof SirenConfigSchema>;

/** Cross-checks against `devices[]`, reported at the path of the offending output. */
export function checkSirenConfig(siren: SirenConfig, devices: readonly DeviceInstance[], addIssue: (path: (string | number)[], message: string) => void): void {
  const ids = new Set<string>();
  siren.outputs.forEach((o, i) => {
    if (ids.has(o.id)) addIssue(['siren', 'outputs', i, 'id'], `duplicate siren output id ${o.id}`);
    ids.add(o.id);
    const d = devices.find((x) => x.id === o.device);
    if (!d) return addIssue(['siren', 'outputs', i, 'device'], `no device ${o.device} in devices[]`);
    if (d.transport.kind === 'opcua') return addIssue(['siren', 'outputs', i, 'device'], `device ${o.device} is OPC-UA; a siren output needs a Modbus device`);
    if (!d.enabled) return addIssue(['siren', 'outputs', i, 'device'], `device ${o.device} is disabled`);
    const guard = createWriteGuard(d.writeAllow ?? []);
    for (const v of [o.onValue, o.offValue]) {
      if (!guard.allows({ unitId: d.transport.unitId, table: o.table, start: o.address, values: [v] })) {
        addIssue(['siren', 'outputs', i], `device ${o.device}'s writeAllow does not cover ${o.table} ${o.address} = ${v} on unit ${d.transport.unitId}`);
      }
    }
  });
}
