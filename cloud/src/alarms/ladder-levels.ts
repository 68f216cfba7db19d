/**
 * The escalation ladder levels a person stands for (0 operator … 5 province). When they act on an alarm
 * those levels are marked as having acted, and escalation never climbs back to them.
 */
import type { UserStore } from '../auth/users.ts';
import { TARGET_LEVEL } from './policy.ts';
import type { Actor } from './types.ts';

export async function ladderLevelsOf(actor: Actor, users: Pick<UserStore, 'getById'>): Promise<number[]> {
  switch (actor.role) {
    case 'enterprise_operator':
      return [TARGET_LEVEL.operator];
    case 'enterprise_manager': {
      const duty = (await users.getById(actor.userId).catch(() => undefined))?.duty;
      return duty ? [TARGET_LEVEL[duty]] : [TARGET_LEVEL.technical, TARGET_LEVEL.principal];
    }
    case 'county_monitor':
      return [TARGET_LEVEL.county];
    case 'city_monitor':
      return [TARGET_LEVEL.city];
    case 'province_monitor':
      return [TARGET_LEVEL.province];
    default:
      return [];
  }
}
