/**
 * The row of a new alarm occurrence: the columns derived from the raise (severity, sort rank, whether
 * closing needs a review, the first peak value, the occurrence number within its condition) and the
 * INSERT that opens it as raised and active.
 */
import { ulid } from 'ulid';
import type { SqlDb } from '../db/index.ts';
import type { Site } from '../tenancy/registry.ts';
import type { AlarmConditionInput } from './alarm-sink.ts';
import { rankOf, reviewRequired, severityOf } from './policy.ts';
import { worstValue } from './return-to-alarm.ts';

/**
 * Insert a new alarm for `input` in `tx` and return its id. Without a known site the enterprise and
 * region stay empty, so only administrators see it.
 */
export async function insertNewAlarm(tx: SqlDb, input: AlarmConditionInput, site: Site | undefined, now: number): Promise<string> {
  const severity = severityOf(input.level, input.colour);
  const id = ulid();
  const prior = await tx.query<{ n: number }>('SELECT COUNT(*) AS n FROM alarms WHERE condition_key = $1', [input.conditionKey]);
  await tx.exec(
    `INSERT INTO alarms (id, condition_key, occurrence, site_id, enterprise_id, region_code, point, origin, rule_id, kind, level, colour,
       severity, rank, review_required, title, value_json, limit_value, unit, inputs_json, state, condition,
       raised_at, created_at, updated_at, last_active_at, latched, peak_value)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, 'raised', 'active', $21, $22, $22, $21, $23, $24)`,
    [
      id,
      input.conditionKey,
      Number(prior[0]?.n ?? 0) + 1,
      input.siteId,
      site?.enterpriseId ?? '',
      site?.regionCode ?? '',
      input.point ?? null,
      input.origin,
      input.ruleId,
      input.kind,
      input.level ?? null,
      input.colour ?? null,
      severity,
      rankOf(input.level, input.colour),
      reviewRequired(severity) ? 1 : 0,
      input.title.slice(0, 500),
      input.value === undefined ? null : JSON.stringify(input.value),
      input.limit ?? null,
      input.unit ?? null,
      JSON.stringify(input.inputs),
      input.at,
      now,
      input.latched ? 1 : 0,
      worstValue({ level: input.level ?? null }, null, input.value),
    ],
  );
  return id;
}
