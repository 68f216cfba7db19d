/**
 * The `notify:` section of the cloud config: which SMS / voice provider, which work-chat robots,
 * which webhook subscribers, and the delivery policy (timeouts, retries with backoff, when an
 * unacknowledged 二级/红 alarm turns into a voice call). Every credential is a file or an
 * environment variable (secrets.ts); the schema refuses a literal secret.
 */
import { z } from 'zod';
import { IdSchema } from '@safeloop/contract';
import { SecretRefSchema } from './secrets.ts';

const RegionCode = z.string().regex(/^\d{2}(\d{2}(\d{2})?)?$/, 'must be a GB/T 2260 code of 2, 4 or 6 digits');
const TARGET_NAMES = ['operator', 'technical', 'principal', 'county', 'city', 'province'] as const;
export const WEBHOOK_EVENTS = ['alarm.raised', 'alarm.escalated', 'alarm.reannunciated', 'alarm.realarm', 'alarm.flood'] as const;

const AliyunCommon = {
  provider: z.literal('aliyun'),
  accessKeyId: SecretRefSchema,
  accessKeySecret: SecretRefSchema,
  regionId: z.string().default('cn-hangzhou'),
  /** Longest template variable value (characters); longer values are cut. */
  maxParamLength: z.number().int().min(8).max(500).default(35),
};

export const SmsConfigSchema = z.object({
  ...AliyunCommon,
  endpoint: z.string().url().default('https://dysmsapi.aliyuncs.com/'),
  /** 短信签名 as approved by the provider. */
  signName: z.string().min(1).max(64),
  /** Approved template using ${level} ${place} ${point} ${value} ${link}. */
  templateCode: z.string().min(1).max(64),
});

export const VoiceConfigSchema = z.object({
  ...AliyunCommon,
  endpoint: z.string().url().default('https://dyvmsapi.aliyuncs.com/'),
  /** Approved TTS template using ${level} ${place} ${point} ${value}. */
  ttsCode: z.string().min(1).max(64),
  /** 被叫显号 (dedicated mode); omit for the public number pool. */
  calledShowNumber: z.string().max(32).optional(),
  playTimes: z.number().int().min(1).max(3).default(2),
});

/** Where a robot's group sits: the alarms it hears about. Exactly one of the three. */
const RobotPlace = {
  enterpriseId: IdSchema.optional(),
  regionCode: RegionCode.optional(),
  siteIds: z.array(IdSchema).min(1).optional(),
  /** Which escalation targets the group stands for (default: the enterprise operator on duty). */
  targets: z.array(z.enum(TARGET_NAMES)).min(1).default(['operator']),
};

export const RobotConfigSchema = z
  .discriminatedUnion('kind', [
    z.object({
      kind: z.literal('wecom'),
      name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
      baseUrl: z.string().url().default('https://qyapi.weixin.qq.com'),
      /** The `key` of the robot's webhook URL. */
      key: SecretRefSchema,
      ...RobotPlace,
    }),
    z.object({
      kind: z.literal('dingtalk'),
      name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
      baseUrl: z.string().url().default('https://oapi.dingtalk.com'),
      /** The `access_token` of the robot's webhook URL. */
      accessToken: SecretRefSchema,
      /** 加签 secret (SEC…); strongly recommended. */
      secret: SecretRefSchema.optional(),
      ...RobotPlace,
    }),
  ])
  .refine((r) => [r.enterpriseId, r.regionCode, r.siteIds].filter((x) => x !== undefined).length === 1, {
    message: 'a robot needs exactly one of enterpriseId, regionCode or siteIds (the group it posts to)',
  });
export type RobotConfig = z.infer<typeof RobotConfigSchema>;

export const WebhookConfigSchema = z
  .object({
    /** Unique name: the subscription is upserted by it, so restarts and several workers keep one row. */
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (at most 64)'),
    url: z.string().url(),
    secret: SecretRefSchema,
    enterpriseId: IdSchema.optional(),
    regionCode: RegionCode.optional(),
    /** Events delivered (default: all). */
    events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).optional(),
  })
  .refine((w) => (w.enterpriseId === undefined) !== (w.regionCode === undefined), {
    message: 'a webhook subscription is scoped to one tenant: give exactly one of enterpriseId or regionCode',
  });
export type WebhookConfig = z.infer<typeof WebhookConfigSchema>;

export const DeliveryPolicySchema = z.object({
  /** Per provider request. */
  timeoutMs: z.number().int().min(100).max(60_000).default(10_000),
  /** Attempts per (recipient, channel), the first included. */
  maxAttempts: z.number().int().min(1).max(20).default(4),
  /** Wait before attempt 2, 3, … (the last value repeats). */
  backoffSec: z.array(z.number().min(0.1).max(86_400)).min(1).default([30, 120, 600]),
  /** Wait after a throttling reply (at least this, or the backoff if longer). */
  throttledBackoffSec: z.number().min(1).max(86_400).default(120),
  /** 二级 / 红 alarms: call by voice when the SMS is not acknowledged within this time. */
  voiceAfterSec: z.number().min(0).max(86_400).default(180),
});
export type DeliveryPolicy = z.infer<typeof DeliveryPolicySchema>;

export const NotifyConfigSchema = z.object({
  /** Dashboard address used for links in messages (https://safeloop.example.gov.cn). */
  publicUrl: z.string().url().optional(),
  sms: SmsConfigSchema.optional(),
  voice: VoiceConfigSchema.optional(),
  robots: z.array(RobotConfigSchema).default([]),
  webhooks: z.array(WebhookConfigSchema).default([]),
  delivery: DeliveryPolicySchema.default(DeliveryPolicySchema.parse({})),
}).superRefine((cfg, ctx) => {
  for (const key of ['robots', 'webhooks'] as const) {
    const seen = new Set<string>();
    cfg[key].forEach((x, i) => {
      if (seen.has(x.name)) ctx.addIssue({ code: 'custom', path: [key, i, 'name'], message: `duplicate name ${x.name}` });
      seen.add(x.name);
    });
  }
});
export type NotifyConfig = z.infer<typeof NotifyConfigSchema>;
