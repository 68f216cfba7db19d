/** Default limits from the profile, replaced per point by a device instance's overrides. */
import { AlarmLimitSchema, SafeLoopError, type AlarmLevel, type AlarmLimit } from '@safeloop/contract';
import type { DeviceProfile, PointDef } from './schema.ts';

/** Point lookup per profile object, built once (profiles are frozen; a 1,000-point profile made this quadratic). */
const pointIndex = new WeakMap<DeviceProfile, ReadonlyMap<string, PointDef>>();

export function findPoint(profile: DeviceProfile, pointId: string): PointDef {
  let index = pointIndex.get(profile);
  if (!index) {
    index = new Map((profile.points as readonly PointDef[]).map((p) => [p.id, p]));
    pointIndex.set(profile, index);
  }
  const point = index.get(pointId);
  if (point === undefined) {
    throw new SafeLoopError('PROFILE_POINT_NOT_FOUND', `profile ${profile.id} has no point "${pointId}"`, {
      details: { profile: profile.id, pointId, points: profile.points.map((p) => p.id) },
    });
  }
  return point;
}

/**
 * The limits that apply to a point: the instance's overrides for that point id when present (they
 * replace the profile's defaults for that point entirely, as the gateway config documents), else the
 * profile's. Overrides are validated, so a bad override fails loudly here rather than never alarming.
 */
export function effectiveLimits(profile: DeviceProfile, pointId: string, overrides?: Record<string, readonly AlarmLimit[]>): AlarmLimit[] {
  const point = findPoint(profile, pointId);
  // own keys only: `constructor` is a legal point id, and a plain lookup would find Object's
  const override = overrides !== undefined && Object.hasOwn(overrides, pointId) ? overrides[pointId] : undefined;
  if (override === undefined) return point.limits.map((l) => ({ ...l }));
  return override.map((l, i) => {
    const parsed = AlarmLimitSchema.safeParse(l);
    if (!parsed.success) {
      throw new SafeLoopError('PROFILE_LIMIT_INVALID', `limit override ${pointId}.${i} of profile ${profile.id}: ${parsed.error.issues.map((x) => x.message).join('; ')}`, {
        details: { profile: profile.id, pointId, index: i },
      });
    }
    return parsed.data;
  });
}

/**
 * Levels whose threshold the value has reached right now: high when value ≥ limit, low when
 * value ≤ limit (GB/T 50493 set-points are "at or above"). No deadband or delay: that state belongs
 * to the rules engine; this is the instantaneous view for test-reads and golden tests.
 */
export function exceededLevels(value: number, limits: readonly AlarmLimit[]): AlarmLevel[] {
  return limits.filter((l) => (l.direction === 'high' ? value >= l.value : value <= l.value)).map((l) => l.level);
}
