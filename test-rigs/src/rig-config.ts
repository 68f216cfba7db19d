/**
 * A simulated plant as data: the simulators to start (Modbus TCP, Modbus RTU, OPC-UA), the devices
 * behind each with their profiles, per-point scenario curves and per-device faults. One zod schema;
 * `loadRigConfig(file)` names the file and the path inside it for every problem, including unknown
 * profiles and point ids.
 */
import { z } from 'zod';
import { loadConfigFile } from '@safeloop/contract';
import { getProfile, type DeviceProfile } from '@safeloop/device-profiles';
import { CurveSchema } from './scenario/curve.ts';
import { FaultSchema } from './modbus/faults.ts';

const NameSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ . -');
const PortSchema = z.number().int().min(0).max(65535);

export const RigModbusDeviceSchema = z.strictObject({
  unitId: z.number().int().min(0).max(255),
  /** Device profile id from the library (e.g. generic-catalytic-lel). */
  profile: z.string().min(1),
  /** Label for logs and the plant description. */
  name: z.string().max(100).optional(),
  /** Curves per point id; points without one rest inside their normal limits. */
  points: z.record(z.string(), CurveSchema).default({}),
  faults: z.array(FaultSchema).default([]),
  registerMode: z.enum(['profile', 'address']).default('profile'),
});
export type RigModbusDevice = z.infer<typeof RigModbusDeviceSchema>;

export const RigOpcuaDeviceSchema = z.strictObject({
  /** Folder name under Objects. */
  name: NameSchema,
  profile: z.string().min(1),
  points: z.record(z.string(), CurveSchema).default({}),
});

export const ModbusTcpSimulatorConfigSchema = z.strictObject({
  kind: z.literal('modbus-tcp'),
  name: NameSchema.optional(),
  host: z.string().min(1).default('127.0.0.1'),
  port: PortSchema,
  devices: z.array(RigModbusDeviceSchema).min(1),
});

export const ModbusRtuSimulatorConfigSchema = z
  .strictObject({
    kind: z.literal('modbus-rtu'),
    name: NameSchema.optional(),
    /** The simulator's end of the serial line (e.g. the slave end of a socat pair). */
    path: z.string().min(1).optional(),
    /** Create a socat pty pair; the rig serves one end and reports the other as the endpoint. */
    pty: z.boolean().default(false),
    baudRate: z.number().int().min(300).max(921600).default(9600),
    parity: z.enum(['none', 'even', 'odd']).default('none'),
    dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
    stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
    /** Pace replies by real line timing (11 bits per character, 3.5-character gaps). */
    lineTiming: z.boolean().default(false),
    devices: z.array(RigModbusDeviceSchema).min(1),
  })
  .refine((c) => c.pty !== (c.path !== undefined), { message: 'give either path or pty: true (not both)', path: ['path'] });

export const OpcuaSimulatorConfigSchema = z.strictObject({
  kind: z.literal('opcua'),
  name: NameSchema.optional(),
  host: z.string().min(1).default('127.0.0.1'),
  port: PortSchema,
  securityModes: z.array(z.enum(['None', 'Sign', 'SignAndEncrypt'])).min(1).default(['None', 'Sign', 'SignAndEncrypt']),
  /** PKI folder of the server; default a temporary folder. */
  certificateDir: z.string().min(1).optional(),
  updateMs: z.number().int().min(10).max(60_000).default(200),
  devices: z.array(RigOpcuaDeviceSchema).min(1),
});

export const SimulatorConfigSchema = z.discriminatedUnion('kind', [ModbusTcpSimulatorConfigSchema, ModbusRtuSimulatorConfigSchema, OpcuaSimulatorConfigSchema]);
export type SimulatorConfig = z.infer<typeof SimulatorConfigSchema>;

type Ctx = z.core.$RefinementCtx;

function checkProfile(ctx: Ctx, path: (string | number)[], profileId: string, protocol: 'modbus' | 'opcua', pointIds: string[]): void {
  let profile: DeviceProfile;
  try {
    profile = getProfile(profileId);
  } catch (err) {
    ctx.addIssue({ code: 'custom', path: [...path, 'profile'], message: err instanceof Error ? err.message : `unknown profile ${profileId}` });
    return;
  }
  if (profile.protocol !== protocol) {
    ctx.addIssue({ code: 'custom', path: [...path, 'profile'], message: `${profileId} is a profile for ${profile.protocol}; this simulator serves ${protocol}` });
    return;
  }
  const known = new Set(profile.points.map((p) => p.id));
  for (const id of pointIds) {
    if (!known.has(id)) {
      ctx.addIssue({ code: 'custom', path: [...path, 'points', id], message: `profile ${profileId} has no point "${id}" (it has: ${[...known].join(', ')})` });
    }
  }
}

export const RigConfigSchema = z
  .strictObject({
    plant: z.strictObject({ name: z.string().min(1).max(200), description: z.string().max(2000).optional() }).optional(),
    simulators: z.array(SimulatorConfigSchema).min(1),
  })
  .superRefine((cfg, ctx) => {
    const ports = new Map<number, number>();
    const names = new Set<string>();
    cfg.simulators.forEach((sim, i) => {
      if (sim.name !== undefined) {
        if (names.has(sim.name)) ctx.addIssue({ code: 'custom', path: ['simulators', i, 'name'], message: `duplicate simulator name ${sim.name}` });
        names.add(sim.name);
      }
      if (sim.kind !== 'modbus-rtu' && sim.port !== 0) {
        const other = ports.get(sim.port);
        if (other !== undefined) ctx.addIssue({ code: 'custom', path: ['simulators', i, 'port'], message: `port ${sim.port} is already used by simulators.${other}` });
        ports.set(sim.port, i);
      }
      if (sim.kind === 'opcua') {
        const devNames = new Set<string>();
        sim.devices.forEach((d, j) => {
          const path = ['simulators', i, 'devices', j];
          if (devNames.has(d.name)) ctx.addIssue({ code: 'custom', path: [...path, 'name'], message: `duplicate device name ${d.name}` });
          devNames.add(d.name);
          checkProfile(ctx, path, d.profile, 'opcua', Object.keys(d.points));
        });
      } else {
        const units = new Set<number>();
        sim.devices.forEach((d, j) => {
          const path = ['simulators', i, 'devices', j];
          if (units.has(d.unitId)) ctx.addIssue({ code: 'custom', path: [...path, 'unitId'], message: `unit id ${d.unitId} is used twice on this simulator` });
          units.add(d.unitId);
          if (d.registerMode === 'profile') checkProfile(ctx, path, d.profile, 'modbus', Object.keys(d.points));
        });
      }
    });
  });
export type RigConfig = z.infer<typeof RigConfigSchema>;
export type RigConfigInput = z.input<typeof RigConfigSchema>;

/** Load and validate a plant file (YAML or JSON); errors name the file and the path inside it. */
export function loadRigConfig(file: string): RigConfig {
  return loadConfigFile(file, RigConfigSchema);
}
