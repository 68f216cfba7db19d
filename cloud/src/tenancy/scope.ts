/**
 * The caller's place in the tenancy tree. Every repository query that reads or changes tenant data
 * takes a Scope and adds its filter in SQL, so a controller cannot forget it.
 */
import type { SqlParam } from '../db/index.ts';
import { regionContains } from './region-code.ts';

export type Scope =
  | { kind: 'all' }
  | { kind: 'region'; regionCode: string }
  | { kind: 'enterprise'; enterpriseId: string };

export const ALL_SCOPE: Scope = { kind: 'all' };

/** A SQL condition restricting rows to the scope, its parameters numbered from `firstParam`. */
export function scopeCondition(
  scope: Scope,
  columns: { enterpriseId: string; regionCode: string },
  firstParam: number,
): { sql: string; params: SqlParam[] } {
  switch (scope.kind) {
    case 'all':
      return { sql: '1 = 1', params: [] };
    case 'region':
      return { sql: `${columns.regionCode} LIKE $${firstParam}`, params: [`${scope.regionCode}%`] };
    case 'enterprise':
      return { sql: `${columns.enterpriseId} = $${firstParam}`, params: [scope.enterpriseId] };
  }
}

export function scopeAllows(scope: Scope, owner: { enterpriseId: string; regionCode: string }): boolean {
  switch (scope.kind) {
    case 'all':
      return true;
    case 'region':
      return regionContains(scope.regionCode, owner.regionCode);
    case 'enterprise':
      return scope.enterpriseId === owner.enterpriseId;
  }
}
