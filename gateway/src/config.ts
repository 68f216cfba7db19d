/**
 * The gateway's YAML configuration, validated by one schema composed from each module's part.
 * `safeloop gateway --config FILE` loads it with loadConfigFile(), which names file and path on error.
 */
import { z } from 'zod';
import { IdSchema } from '@safeloop/contract';
import { BridgeConfigSchema } from '@safeloop/firmware-bridges/config';
import { EdgeAlarmConfigSchema } from './edge-rules/alarm-config.ts';
import { DeviceInstanceSchema } from './field/config.ts';
import { JournalConfigSchema, ReportConfigSchema } from './journal/config.ts';
import { UplinkConfigSchema } from './uplink/config.ts';
import { SirenConfigSchema, checkSirenConfig } from './siren/config.ts';

export const GatewayConfigSchema = z
  .object({
    gateway: z.object({
      id: IdSchema,
      siteId: IdSchema,
      /** Seconds between status messages (heartbeat). */
      statusIntervalSec: z.number().int().min(5).max(3600).default(30),
    }),
    journal: JournalConfigSchema.default(JournalConfigSchema.parse({})),
    /** Report-by-exception: deadband and heartbeat per point (default: send every reading). */
    report: ReportConfigSchema.default(ReportConfigSchema.parse({})),
    /** Edge alarm policy: over-range latching, fault hold, device clock tolerance. */
    alarms: EdgeAlarmConfigSchema.default(EdgeAlarmConfigSchema.parse({})),
    uplink: UplinkConfigSchema,
    /**
     * Folders of device profile files (YAML/JSON) used beside the built-in library; relative paths are
     * relative to this config file. A device's `profile` may also be a profile file path.
     */
    profileDirs: z.array(z.string().min(1)).default([]),
    devices: z.array(DeviceInstanceSchema).default([]),
    bridges: z.array(BridgeConfigSchema).default([]),
    /** Local siren output (声光报警器) driven by edge alarms; see gateway/src/siren. */
    siren: SirenConfigSchema.optional(),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.devices.forEach((d, i) => {
      if (seen.has(d.id)) ctx.addIssue({ code: 'custom', path: ['devices', i, 'id'], message: `duplicate device id ${d.id}` });
      seen.add(d.id);
    });
    cfg.bridges.forEach((b, i) => {
      if (seen.has(b.id)) ctx.addIssue({ code: 'custom', path: ['bridges', i, 'id'], message: `duplicate source id ${b.id}` });
      seen.add(b.id);
    });
    if (cfg.siren) checkSirenConfig(cfg.siren, cfg.devices, (path, message) => ctx.addIssue({ code: 'custom', path, message }));
  });
export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;
