/** Roles and what each may do. One table, read by the API and the alarm service. */
export const ROLES = [
  'enterprise_operator',
  'enterprise_manager',
  'county_monitor',
  'city_monitor',
  'province_monitor',
  'field_technician',
  'admin',
] as const;
export type Role = (typeof ROLES)[number];

/** An enterprise manager's duty on a 重大危险源 (包保责任制): 技术负责人 or 主要负责人. */
export const DUTIES = ['technical', 'principal'] as const;
export type Duty = (typeof DUTIES)[number];

export const ACTIONS = [
  'read',
  'acknowledge',
  'handover',
  'start-handling',
  'feedback',
  'review',
  'close',
  'shelve',
  'unshelve',
  'suppress',
  'reset',
  'urge',
  'comment',
  'manage-users',
  'manage-rules',
  'manage-registry',
] as const;
export type Action = (typeof ACTIONS)[number];

const ENTERPRISE_HANDLING: readonly Action[] = ['read', 'acknowledge', 'handover', 'start-handling', 'feedback', 'close', 'comment'];
/** Monitors review, close, 督办 (urge the enterprise with a deadline) and comment. */
const MONITOR: readonly Action[] = ['read', 'review', 'close', 'urge', 'comment'];

export const ROLE_ACTIONS: Record<Role, readonly Action[]> = {
  enterprise_operator: ENTERPRISE_HANDLING,
  enterprise_manager: [...ENTERPRISE_HANDLING, 'shelve', 'unshelve', 'suppress', 'reset', 'manage-users'],
  county_monitor: MONITOR,
  city_monitor: MONITOR,
  province_monitor: MONITOR,
  field_technician: ['read', 'manage-registry'],
  admin: ACTIONS,
};

export function roleMay(role: Role, action: Action): boolean {
  return ROLE_ACTIONS[role].includes(action);
}

/** Roles that count as "the supervising level" for reviews of red/orange warnings. */
export const SUPERVISING_ROLES: readonly Role[] = ['county_monitor', 'city_monitor', 'province_monitor', 'admin'];
