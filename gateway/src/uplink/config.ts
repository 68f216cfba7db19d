import { z } from 'zod';

const TlsFilesSchema = z.object({
  ca: z.string().min(1),
  cert: z.string().min(1),
  key: z.string().min(1),
});

export const MqttUplinkSchema = z.object({
  transport: z.literal('mqtt'),
  url: z.string().regex(/^(mqtt|mqtts|tcp|ssl|tls):\/\//, 'must be mqtt:// or mqtts://'),
  protocolVersion: z.union([z.literal(4), z.literal(5)]).default(5),
  /** Client certificates; required for mqtts:// (no anonymous uplinks in production). */
  tls: TlsFilesSchema.optional(),
  keepaliveSec: z.number().int().min(5).max(1200).default(30),
  /** Development only: allow a plain mqtt:// link (the demo's embedded broker on localhost). */
  allowInsecure: z.boolean().default(false),
});

export const AwsIotUplinkSchema = z.object({
  transport: z.literal('aws-iot'),
  endpoint: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(8883),
  tls: TlsFilesSchema,
  keepaliveSec: z.number().int().min(5).max(1200).default(30),
});

export const UplinkConfigSchema = z
  .discriminatedUnion('transport', [MqttUplinkSchema, AwsIotUplinkSchema])
  .superRefine((u, ctx) => {
    if (u.transport === 'mqtt' && !u.tls && !u.allowInsecure) {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'client certificates are required (set allowInsecure: true only for a local demo broker)' });
    }
  });
export type UplinkConfig = z.infer<typeof UplinkConfigSchema>;
