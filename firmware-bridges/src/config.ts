/**
 * Bridge instances in the gateway config (HJ 212 listener, NMEA GNSS reader, line-protocol parser).
 * Owned by firmware-bridges; the gateway config composes BridgeConfigSchema.
 */
import { z } from 'zod';
import { IdSchema } from '@safeloop/contract';

export const Hj212BridgeSchema = z.object({
  kind: z.literal('hj212'),
  id: IdSchema,
  site: IdSchema.optional(),
  listen: z.object({ host: z.string().default('0.0.0.0'), port: z.number().int().min(0).max(65535) }),
  loggers: z.array(z.unknown()).default([]),
});

export const NmeaBridgeSchema = z.object({
  kind: z.literal('nmea'),
  id: IdSchema,
  site: IdSchema.optional(),
});

export const LineBridgeSchema = z.object({
  kind: z.literal('line'),
  id: IdSchema,
  site: IdSchema.optional(),
});

export const BridgeConfigSchema = z.discriminatedUnion('kind', [Hj212BridgeSchema, NmeaBridgeSchema, LineBridgeSchema]);
export type BridgeConfig = z.infer<typeof BridgeConfigSchema>;
