/**
 * Who is on duty now, per site: shifts (白班 08:00–20:00, 夜班 20:00–08:00 …) in the site's local
 * time with the usernames on each, and each person's work-chat ids for @-mentions. It comes from the
 * seed file's `duty:` section (applied idempotently at start) and lives in the database so every
 * worker answers the same. The enterprise-operator step of an alarm pages the people on the
 * current shift of the alarm's site; a site with no roster (or a gap between shifts) pages every
 * operator of the enterprise, and says so in the delivery records.
 */
import { IdSchema } from '@safeloop/contract';
import { ulid } from 'ulid';
import { z } from 'zod';
import type { SqlDb } from '../db/index.ts';

const HhMm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day HH:MM (00:00–23:59)');
const Username = z.string().regex(/^[a-z0-9_.-]{2,64}$/);

export const ShiftSeedSchema = z
  .object({
    name: z.string().min(1).max(50),
    from: HhMm,
    /** End (exclusive); earlier than `from` means the shift runs past midnight. */
    to: HhMm,
    /** ISO weekdays the shift starts on (1 = Monday … 7 = Sunday); default every day. */
    days: z.array(z.number().int().min(1).max(7)).min(1).optional(),
    members: z.array(Username).min(1),
  })
  .refine((s) => s.from !== s.to, { message: 'a shift needs from ≠ to', path: ['to'] });

export const RosterSeedSchema = z.object({
  siteId: IdSchema,
  /** Site local time offset from UTC in minutes (China: 480, no daylight saving). */
  utcOffsetMin: z.number().int().min(-720).max(840).default(480),
  shifts: z.array(ShiftSeedSchema).min(1),
});

export const ContactSeedSchema = z.object({
  username: Username,
  wecomUserId: z.string().min(1).max(64).optional(),
  dingtalkUserId: z.string().min(1).max(64).optional(),
});

export const DutySeedSchema = z.object({
  rosters: z.array(RosterSeedSchema).default([]),
  contacts: z.array(ContactSeedSchema).default([]),
});
export type DutySeed = z.infer<typeof DutySeedSchema>;

export interface Contact {
  wecomUserId?: string;
  dingtalkUserId?: string;
}

const toMin = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Is a shift on at `now`? Overnight shifts belong to the weekday they start on. */
export function shiftCovers(s: { startMin: number; endMin: number; days: string; utcOffsetMin: number }, now: number): boolean {
  const local = new Date(now + s.utcOffsetMin * 60_000);
  const minute = local.getUTCHours() * 60 + local.getUTCMinutes();
  const weekday = ((local.getUTCDay() + 6) % 7) + 1; // 1 = Monday
  const prevWeekday = ((weekday + 5) % 7) + 1;
  if (s.startMin < s.endMin) return minute >= s.startMin && minute < s.endMin && s.days.includes(String(weekday));
  if (minute >= s.startMin) return s.days.includes(String(weekday));
  return minute < s.endMin && s.days.includes(String(prevWeekday));
}

interface ShiftRow {
  name: string;
  start_min: number;
  end_min: number;
  days: string;
  utc_offset_min: number;
  members_json: string;
}

export class DutyRoster {
  constructor(private readonly db: SqlDb) {}

  /** Replace the rosters of the sites named in the seed and upsert the contacts (idempotent). */
  async applySeed(seed: DutySeed, now: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const r of seed.rosters) {
        await tx.exec('DELETE FROM duty_shifts WHERE site_id = $1', [r.siteId]);
        for (const s of r.shifts) {
          await tx.exec(
            'INSERT INTO duty_shifts (id, site_id, name, start_min, end_min, days, utc_offset_min, members_json, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
            [ulid(), r.siteId, s.name, toMin(s.from), toMin(s.to), (s.days ?? [1, 2, 3, 4, 5, 6, 7]).join(''), r.utcOffsetMin, JSON.stringify(s.members), now],
          );
        }
      }
      for (const c of seed.contacts) {
        await tx.exec(
          `INSERT INTO notify_contacts (username, wecom_user_id, dingtalk_user_id, updated_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (username) DO UPDATE SET wecom_user_id = $2, dingtalk_user_id = $3, updated_at = $4`,
          [c.username, c.wecomUserId ?? null, c.dingtalkUserId ?? null, now],
        );
      }
    });
  }

  /**
   * The usernames on duty at the site now, with the shift names; `hasRoster` false when the site
   * has no roster at all (the caller falls back to every operator).
   */
  async onDuty(siteId: string, now: number): Promise<{ hasRoster: boolean; usernames: string[]; shifts: string[] }> {
    const rows = await this.db.query<ShiftRow>('SELECT name, start_min, end_min, days, utc_offset_min, members_json FROM duty_shifts WHERE site_id = $1', [siteId]);
    const usernames = new Set<string>();
    const shifts: string[] = [];
    for (const r of rows) {
      const s = { startMin: Number(r.start_min), endMin: Number(r.end_min), days: r.days, utcOffsetMin: Number(r.utc_offset_min) };
      if (!shiftCovers(s, now)) continue;
      shifts.push(r.name);
      for (const u of JSON.parse(r.members_json) as string[]) usernames.add(u);
    }
    return { hasRoster: rows.length > 0, usernames: [...usernames], shifts };
  }

  async contacts(usernames: readonly string[]): Promise<Map<string, Contact>> {
    const out = new Map<string, Contact>();
    if (usernames.length === 0) return out;
    const params = usernames.map((_u, i) => `$${i + 1}`).join(', ');
    const rows = await this.db.query<{ username: string; wecom_user_id: string | null; dingtalk_user_id: string | null }>(
      `SELECT username, wecom_user_id, dingtalk_user_id FROM notify_contacts WHERE username IN (${params})`,
      [...usernames],
    );
    for (const r of rows) {
      out.set(r.username, { ...(r.wecom_user_id ? { wecomUserId: r.wecom_user_id } : {}), ...(r.dingtalk_user_id ? { dingtalkUserId: r.dingtalk_user_id } : {}) });
    }
    return out;
  }
}
