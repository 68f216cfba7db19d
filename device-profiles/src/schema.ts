/**
 * The device-profile schema: the single source of truth for profile files, the TypeScript types
 * (z.infer) and the JSON Schema editors use (schema/profile.schema.json, generated).
 *
 * A profile describes a device MODEL (register or node map, raw types, byte/word order, scaling,
 * units, default alarm limits). Which device, where, how often and site overrides belong to the
 * device instance in the gateway config, not here.
 *
 * Structural rules live in the zod shapes below; cross-field rules (unique ids, known units, limits
 * inside the range, non-overlapping registers, sane bit/length) live in profile-semantics.ts and are
 * attached with superRefine, so one `DeviceProfileSchema.parse` checks everything.
 */
import { z } from 'zod';
import { AlarmLimitSchema, IdSchema } from '@safeloop/contract';
import { checkProfileSemantics } from './profile-semantics.ts';
import { UNITS } from './units.ts';

export const LocalizedTextSchema = z.strictObject({
  zh: z.string().min(1).max(100),
  en: z.string().min(1).max(100),
});
export type LocalizedText = z.infer<typeof LocalizedTextSchema>;

export const SECTORS = ['hazchem', 'tailings', 'coal', 'nonCoal', 'general'] as const;
export const SectorSchema = z.enum(SECTORS);
export type Sector = z.infer<typeof SectorSchema>;

export const MODBUS_TABLES = ['holding', 'input', 'coil', 'discrete'] as const;
export const ModbusTableSchema = z.enum(MODBUS_TABLES);
export type ModbusTable = z.infer<typeof ModbusTableSchema>;
/** Tables addressed in 16-bit registers (the others hold single bits). */
export const REGISTER_TABLES: readonly ModbusTable[] = ['holding', 'input'];

export const MODBUS_VALUE_TYPES = ['int16', 'uint16', 'int32', 'uint32', 'float32', 'float64', 'bool', 'bit', 'string'] as const;
export const ModbusValueTypeSchema = z.enum(MODBUS_VALUE_TYPES);
export type ModbusValueType = z.infer<typeof ModbusValueTypeSchema>;

/**
 * Byte and word order of a multi-byte value, naming the big-endian bytes A (most significant) … D:
 * ABCD big-endian (Modbus standard), CDAB word-swapped, BADC byte-swapped, DCBA little-endian.
 * For 64-bit values the same rule extends to 4 words; 16-bit values only honour the byte swap.
 */
export const ByteOrderSchema = z.enum(['ABCD', 'CDAB', 'BADC', 'DCBA']);
export type ByteOrder = z.infer<typeof ByteOrderSchema>;

export const RangeSchema = z.strictObject({ min: z.number().finite(), max: z.number().finite() });
export type Range = z.infer<typeof RangeSchema>;

/** A unit symbol from UNITS (the JSON Schema lists them, so editors complete them). */
export const UnitSchema = z.enum(Object.keys(UNITS) as [keyof typeof UNITS, ...(keyof typeof UNITS)[]], {
  error: (issue) => `unknown unit ${JSON.stringify(issue.input)} (known: ${Object.keys(UNITS).join(' ')})`,
});

const pointCommon = {
  id: IdSchema,
  name: LocalizedTextSchema,
  description: z.string().max(500).optional(),
  /** Unit symbol, a key of UNITS; omitted for state points (bool, string). */
  unit: UnitSchema.optional(),
  /** Measuring range (量程) in engineering units; a value outside it gets quality `outOfRange`. */
  range: RangeSchema.optional(),
  /** Quality of a value outside the range (the value itself is kept, so an over-range gas reading still alarms). */
  outOfRange: z.enum(['uncertain', 'bad']).default('uncertain'),
  /** Default alarm limits; a device instance may replace them per point. */
  limits: z.array(AlarmLimitSchema).default([]),
};

export const ModbusPointSchema = z.strictObject({
  ...pointCommon,
  table: ModbusTableSchema,
  /** 0-based protocol address (register 40001 is holding address 0). */
  address: z.number().int().min(0).max(65535),
  type: ModbusValueTypeSchema,
  /** Bit 0..15 for type `bit` (0 = least significant). */
  bit: z.number().int().min(0).max(15).optional(),
  /** Number of registers for type `string` (2 characters per register). */
  length: z.number().int().min(1).max(125).optional(),
  order: ByteOrderSchema.default('ABCD'),
  scale: z.number().finite().refine((x) => x !== 0, 'scale must not be 0').default(1),
  offset: z.number().finite().default(0),
  /** Raw values (after type decode, before scale) that mean "no valid measurement" → bad `decode_error`. */
  sentinels: z.array(z.number().finite()).default([]),
  writable: z.boolean().default(false),
});
export type ModbusPointDef = z.infer<typeof ModbusPointSchema>;

export const OPCUA_DATA_TYPES = ['Boolean', 'SByte', 'Byte', 'Int16', 'UInt16', 'Int32', 'UInt32', 'Float', 'Double', 'String'] as const;
export const OpcuaDataTypeSchema = z.enum(OPCUA_DATA_TYPES);
export type OpcuaDataType = z.infer<typeof OpcuaDataTypeSchema>;

export const OpcuaPointSchema = z.strictObject({
  ...pointCommon,
  /** e.g. `ns=1;s=Tank01.Level`, `ns=2;i=1001`. */
  nodeId: z.string().regex(/^(ns=\d+;)?[isgb]=.+$/, 'must be an OPC-UA node id such as ns=1;s=Tank01.Level'),
  dataType: OpcuaDataTypeSchema,
  scale: z.number().finite().refine((x) => x !== 0, 'scale must not be 0').default(1),
  offset: z.number().finite().default(0),
  writable: z.boolean().default(false),
});
export type OpcuaPointDef = z.infer<typeof OpcuaPointSchema>;

export type PointDef = ModbusPointDef | OpcuaPointDef;

/**
 * What a status code says about the device, and what it does to the quality of the points it covers:
 * fault → bad `sensor_fault`; calibration → uncertain `calibration`; maintenance and warmup → uncertain
 * `maintenance`; stopped → uncertain `stopped`; normal and alarm (the device's own alarm) → no change.
 */
export const DEVICE_STATES = ['normal', 'alarm', 'warmup', 'fault', 'calibration', 'maintenance', 'stopped'] as const;
export const DeviceStateSchema = z.enum(DEVICE_STATES);
export type DeviceState = z.infer<typeof DeviceStateSchema>;

export const StatusRegisterSchema = z.strictObject({
  id: IdSchema,
  name: LocalizedTextSchema.optional(),
  table: ModbusTableSchema,
  address: z.number().int().min(0).max(65535),
  /** Applied to the register before matching `codes` (e.g. 0x00FF for a code in the low byte). */
  mask: z.number().int().min(1).max(0xffff).optional(),
  /** Enumeration: the (masked) register value → state. */
  codes: z.array(z.strictObject({ value: z.number().int().min(0).max(0xffff), state: DeviceStateSchema, label: LocalizedTextSchema.optional() })).default([]),
  /** Flag bits: each set bit → state (the worst set bit wins). */
  bits: z.array(z.strictObject({ bit: z.number().int().min(0).max(15), state: DeviceStateSchema, label: LocalizedTextSchema.optional() })).default([]),
  /** Quality of the covered points when the code is not listed in `codes`. */
  unknownCode: z.enum(['uncertain', 'bad']).default('uncertain'),
  /** Point ids whose quality this register qualifies. */
  appliesTo: z.array(IdSchema).min(1),
});
export type StatusRegister = z.infer<typeof StatusRegisterSchema>;

const profileCommon = {
  /** Lets a JSON profile name its schema for editors (`"$schema": ".../profile.schema.json"`); ignored. */
  $schema: z.string().optional(),
  /** Profile id: lower-case words joined by `-` (e.g. `generic-catalytic-lel`). */
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be lower-case words joined by -').max(64),
  name: LocalizedTextSchema,
  vendor: z.string().max(100).optional(),
  model: z.string().max(100).optional(),
  sector: SectorSchema,
  description: z.string().max(1000).optional(),
};

export const ModbusProfileSchema = z.strictObject({
  ...profileCommon,
  protocol: z.literal('modbus'),
  points: z.array(ModbusPointSchema).min(1),
  status: z.array(StatusRegisterSchema).default([]),
  /**
   * What the device tolerates in one request. Some devices answer "illegal data address" when a
   * merged read bridges registers they do not implement: `maxGap: 0` stops the planner bridging.
   * The planner takes the smaller of these and the driver's own options.
   */
  readHints: z
    .strictObject({
      maxRegisters: z.number().int().min(1).max(125).optional(),
      maxBits: z.number().int().min(1).max(2000).optional(),
      maxGap: z.number().int().min(0).max(2000).optional(),
    })
    .optional(),
});
export type ModbusProfile = z.infer<typeof ModbusProfileSchema>;

export const OpcuaProfileSchema = z.strictObject({
  ...profileCommon,
  protocol: z.literal('opcua'),
  points: z.array(OpcuaPointSchema).min(1),
});
export type OpcuaProfile = z.infer<typeof OpcuaProfileSchema>;

export const DeviceProfileSchema = z
  .discriminatedUnion('protocol', [ModbusProfileSchema, OpcuaProfileSchema])
  .superRefine((profile, ctx) => {
    for (const p of checkProfileSemantics(profile)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
  });
export type DeviceProfile = z.infer<typeof DeviceProfileSchema>;
/** What a profile file or `defineProfile({...})` may omit (defaults are filled on parse). */
export type DeviceProfileInput = z.input<typeof DeviceProfileSchema>;
export type ModbusPointInput = z.input<typeof ModbusPointSchema>;
export type OpcuaPointInput = z.input<typeof OpcuaPointSchema>;
export type StatusRegisterInput = z.input<typeof StatusRegisterSchema>;

/** Identity: gives a profile written in TypeScript the schema's input type checking. */
export function defineProfile<const P extends DeviceProfileInput>(profile: P): P {
  return profile;
}
