/** Request schemas shared by the routes (the OpenAPI document is generated from these). */
import { AlarmLevelSchema, IdSchema, PointPathSchema, WarningColourSchema } from '@safeloop/contract';
import { z } from 'zod';
import { DISPOSITIONS } from '../alarms/types.ts';
import { AttachmentInputSchema } from '../alarms/attachments.ts';
import { MAX_PAGE_SIZE } from '../alarms/alarm-queries.ts';
import { ROLES, DUTIES } from '../auth/roles.ts';

export const IdParams = z.object({ id: IdSchema });
export const AlarmIdParams = z.object({ id: z.string().min(1).max(64) });
const epochMs = z.coerce.number().int().min(0).max(4_102_444_800_000);
const regionCode = z.string().regex(/^\d{2}(\d{2}(\d{2})?)?$/, 'a GB/T 2260 code of 2, 4 or 6 digits');

export const AlarmListQuery = z.object({
  state: z.enum(['open', 'closed', 'all']).default('open'),
  siteId: IdSchema.optional(),
  enterpriseId: IdSchema.optional(),
  regionCode: regionCode.optional(),
  level: AlarmLevelSchema.optional(),
  colour: WarningColourSchema.optional(),
  groupId: z.string().max(64).optional(),
  from: epochMs.optional(),
  to: epochMs.optional(),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  /** Larger values are capped at MAX_PAGE_SIZE. */
  pageSize: z.coerce.number().int().min(1).default(50).transform((n) => Math.min(n, MAX_PAGE_SIZE)),
});

export const NoteBody = z.object({ note: z.string().max(2000).optional() }).default({});
export const HandoverBody = z.object({ toUserId: z.string().min(1).max(64), note: z.string().max(2000).optional() });
export const FeedbackBody = z.object({
  cause: z.string().min(1).max(4000),
  measures: z.string().min(1).max(4000),
  result: z.string().min(1).max(4000),
  disposition: z.enum(DISPOSITIONS),
  attachments: z.array(AttachmentInputSchema).max(5).optional(),
});
export const ReviewBody = z.object({ approved: z.boolean(), comment: z.string().min(1).max(4000) });
export const UrgeBody = z.object({ note: z.string().trim().min(1).max(2000), deadlineMin: z.number().int().min(1).max(7 * 24 * 60) });
export const CommentBody = z.object({ note: z.string().trim().min(1).max(2000) });
export const ShelveBody = z.object({ reason: z.string().min(1).max(1000), minutes: z.number().positive().max(60 * 24 * 30) });

export const HistoryQuery = z.object({
  point: PointPathSchema,
  from: epochMs,
  to: epochMs,
  resolution: z.enum(['raw', '1m']).default('1m'),
});

export const StatsQuerySchema = z.object({
  regionCode: regionCode.optional(),
  enterpriseId: IdSchema.optional(),
  from: epochMs.optional(),
  to: epochMs.optional(),
});

export const SitesQuery = z.object({ enterpriseId: IdSchema.optional(), regionCode: regionCode.optional() });

export const LoginBody = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(200) });
export const NewUserBody = z.object({
  username: z.string().regex(/^[a-z0-9_.-]{2,64}$/),
  password: z.string().min(1).max(200),
  name: z.string().min(1).max(100),
  role: z.enum(ROLES),
  regionCode: regionCode.optional(),
  enterpriseId: IdSchema.optional(),
  duty: z.enum(DUTIES).optional(),
  phone: z.string().max(32).optional(),
});
export const UserPatchBody = z
  .object({
    name: z.string().min(1).max(100).optional(),
    role: z.enum(ROLES).optional(),
    regionCode: regionCode.nullable().optional(),
    enterpriseId: IdSchema.nullable().optional(),
    duty: z.enum(DUTIES).nullable().optional(),
    phone: z.string().max(32).nullable().optional(),
    disabled: z.boolean().optional(),
  })
  .strict();
export const PasswordResetBody = z.object({ password: z.string().min(1).max(200) });
export const PasswordChangeBody = z.object({ currentPassword: z.string().min(1).max(200), newPassword: z.string().min(1).max(200) });
/** API tokens always expire: 1 to 365 days. */
export const ApiTokenBody = z.object({ name: z.string().min(1).max(100), ttlDays: z.number().int().min(1).max(365) });
