/**
 * Device instances in the gateway config: which profile, which transport and address, how often.
 * (Owned by the field I/O module; the gateway config composes it.)
 */
import { z } from 'zod';
import { AlarmLimitSchema, IdSchema } from '@safeloop/contract';

/** Block merging for Modbus reads (the bus core plans reads with these). */
const blockOptions = {
  /** Largest read in registers (≤ 125, the protocol limit). */
  maxRegisters: z.number().int().min(1).max(125).optional(),
  /** Unused registers two point ranges may have between them and still be read in one request (default 10). */
  maxGap: z.number().int().min(0).max(124).optional(),
  /** Immediate retries after a CRC error or short frame before the points go bad (default 1). */
  retries: z.number().int().min(0).max(5).optional(),
};

export const ModbusTcpTransportSchema = z.object({
  kind: z.literal('modbus-tcp'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(502),
  unitId: z.number().int().min(0).max(255).default(1),
  timeoutMs: z.number().int().min(50).max(60000).default(1000),
  ...blockOptions,
});

export const ModbusRtuTransportSchema = z.object({
  kind: z.literal('modbus-rtu'),
  path: z.string().min(1),
  baudRate: z.number().int().min(300).max(921600).default(9600),
  parity: z.enum(['none', 'even', 'odd']).default('none'),
  dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  unitId: z.number().int().min(1).max(247),
  timeoutMs: z.number().int().min(50).max(60000).default(500),
  /** Quiet time after a failed request before the next one, so a late reply is discarded (default min(timeout, 100 ms)). */
  lateReplyGuardMs: z.number().int().min(0).max(60000).optional(),
  /** After a timeout the unit is not asked again until its late reply arrives or this window ends (default max(1 s, 3 × timeout)). */
  lateReplyWindowMs: z.number().int().min(0).max(600000).optional(),
  ...blockOptions,
});

export const OpcuaTransportSchema = z.object({
  kind: z.literal('opcua'),
  endpoint: z.string().regex(/^opc\.tcp:\/\//, 'must start with opc.tcp://'),
  securityMode: z.enum(['None', 'Sign', 'SignAndEncrypt']).default('SignAndEncrypt'),
  securityPolicy: z.enum(['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss']).default('Basic256Sha256'),
  /** Folder with trusted/ and rejected/ server certificates; unknown certificates are rejected. */
  pkiDir: z.string().optional(),
  useSubscription: z.boolean().default(true),
  samplingIntervalMs: z.number().int().min(0).default(500),
  /** Monitored-item queue size on the server; with discardOldest=false no change is lost in a short blip. */
  queueSize: z.number().int().min(1).max(10000).optional(),
  /** Milliseconds to wait for the connection and for each service call. */
  timeoutMs: z.number().int().min(100).max(120000).optional(),
});

export const TransportSchema = z.discriminatedUnion('kind', [
  ModbusTcpTransportSchema,
  ModbusRtuTransportSchema,
  OpcuaTransportSchema,
]);
export type Transport = z.infer<typeof TransportSchema>;

/** One allowed write: a table, an address range and a value range (raw register/coil values). */
export const WriteAllowEntrySchema = z
  .object({
    unitId: z.number().int().min(0).max(255).optional(),
    table: z.enum(['coil', 'holding']),
    from: z.number().int().min(0).max(65535),
    to: z.number().int().min(0).max(65535),
    min: z.number().int().min(0).max(65535).default(0),
    max: z.number().int().min(0).max(65535).default(65535),
    /** Most writes per minute through this entry (default 6). */
    maxPerMinute: z.number().int().min(1).max(600).default(6),
  })
  .refine((e) => e.from <= e.to, { message: 'from must be ≤ to', path: ['to'] })
  .refine((e) => e.min <= e.max, { message: 'min must be ≤ max', path: ['max'] });
export type WriteAllowEntry = z.infer<typeof WriteAllowEntrySchema>;
export type WriteAllowEntryInput = z.input<typeof WriteAllowEntrySchema>;

export const DeviceInstanceSchema = z.object({
  id: IdSchema,
  /** Site this device belongs to; defaults to the gateway's site. */
  site: IdSchema.optional(),
  name: z.string().max(100).optional(),
  profile: z.string().min(1),
  transport: TransportSchema,
  pollIntervalMs: z.number().int().min(100).max(86_400_000).default(1000),
  /** Site-specific limit overrides per point id (replace the profile's defaults for that point). */
  limits: z.record(z.string(), z.array(AlarmLimitSchema)).default({}),
  enabled: z.boolean().default(true),
  /** Writes this device accepts; anything not listed is refused before it reaches the bus. */
  writeAllow: z.array(WriteAllowEntrySchema).optional(),
});
export type DeviceInstance = z.infer<typeof DeviceInstanceSchema>;
