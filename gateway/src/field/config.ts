/**
 * Device instances in the gateway config: which profile, which transport and address, how often.
 * (Owned by the field I/O module; the gateway config composes it.)
 */
import { z } from 'zod';
import { AlarmLimitSchema, IdSchema } from '@safeloop/contract';

export const ModbusTcpTransportSchema = z.object({
  kind: z.literal('modbus-tcp'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(502),
  unitId: z.number().int().min(0).max(255).default(1),
  timeoutMs: z.number().int().min(50).max(60000).default(1000),
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
});

export const TransportSchema = z.discriminatedUnion('kind', [
  ModbusTcpTransportSchema,
  ModbusRtuTransportSchema,
  OpcuaTransportSchema,
]);
export type Transport = z.infer<typeof TransportSchema>;

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
});
export type DeviceInstance = z.infer<typeof DeviceInstanceSchema>;
