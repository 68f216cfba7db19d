/** Users: who they are, their role and their place in the tree (region or enterprise). */
import { SafeLoopError } from '@safeloop/contract';
import { ulid } from 'ulid';
import { migrate, type SqlDb } from '../db/index.ts';
import { canonicalRegionCode } from '../tenancy/region-code.ts';
import { scopeCondition, type Scope } from '../tenancy/scope.ts';
import { AUTH_MIGRATIONS } from './migrations.ts';
import { hashPassword } from './passwords.ts';
import type { Duty, Role } from './roles.ts';

export interface User {
  id: string;
  username: string;
  name: string;
  role: Role;
  regionCode?: string;
  enterpriseId?: string;
  duty?: Duty;
  phone?: string;
  disabled: boolean;
}

export interface UserRow {
  id: string;
  username: string;
  name: string;
  role: string;
  region_code: string | null;
  enterprise_id: string | null;
  duty: string | null;
  phone: string | null;
  password_hash: string;
  disabled: number;
}

export function userFromRow(r: UserRow): User {
  return {
    id: r.id,
    username: r.username,
    name: r.name,
    role: r.role as Role,
    ...(r.region_code !== null ? { regionCode: r.region_code } : {}),
    ...(r.enterprise_id !== null ? { enterpriseId: r.enterprise_id } : {}),
    ...(r.duty !== null ? { duty: r.duty as Duty } : {}),
    ...(r.phone !== null ? { phone: r.phone } : {}),
    disabled: r.disabled === 1,
  };
}

export interface NewUser {
  username: string;
  password: string;
  name: string;
  role: Role;
  regionCode?: string | undefined;
  enterpriseId?: string | undefined;
  duty?: Duty | undefined;
  phone?: string | undefined;
}

const ENTERPRISE_ROLES: readonly Role[] = ['enterprise_operator', 'enterprise_manager'];
const REGION_ROLES: Record<string, number> = { county_monitor: 6, city_monitor: 4, province_monitor: 2 };

/** A user's place must fit the role: enterprise roles need an enterprise, monitors a region of their level. */
export function checkUserPlace(u: Pick<NewUser, 'role' | 'regionCode' | 'enterpriseId' | 'username'>): void {
  if (ENTERPRISE_ROLES.includes(u.role) && !u.enterpriseId) {
    throw new SafeLoopError('CLOUD_ERR_VALIDATION', `user ${u.username}: role ${u.role} needs an enterpriseId`);
  }
  const len = REGION_ROLES[u.role];
  if (len !== undefined && (!u.regionCode || canonicalRegionCode(u.regionCode).length !== len)) {
    throw new SafeLoopError('CLOUD_ERR_VALIDATION', `user ${u.username}: role ${u.role} needs a ${len}-digit region code`);
  }
  if (u.role === 'field_technician' && !u.regionCode && !u.enterpriseId) {
    throw new SafeLoopError('CLOUD_ERR_VALIDATION', `user ${u.username}: a field technician needs a regionCode or enterpriseId`);
  }
}

export class UserStore {
  constructor(private readonly deps: { db: SqlDb; now?: () => number; hashPassword?: (password: string) => Promise<string> }) {}

  private now(): number {
    return this.deps.now ? this.deps.now() : Date.now();
  }

  async migrate(): Promise<void> {
    await migrate(this.deps.db, 'auth', AUTH_MIGRATIONS);
  }

  /** Create or update by username (the password is re-hashed). Returns the user id. */
  async upsert(u: NewUser): Promise<string> {
    checkUserPlace(u);
    const hash = await (this.deps.hashPassword ?? hashPassword)(u.password);
    const now = this.now();
    const regionCode = u.regionCode ? canonicalRegionCode(u.regionCode) : null;
    const existing = await this.deps.db.query<{ id: string }>('SELECT id FROM users WHERE username = $1', [u.username]);
    const id = existing[0]?.id ?? ulid();
    await this.deps.db.exec(
      `INSERT INTO users (id, username, name, role, region_code, enterprise_id, duty, phone, password_hash, disabled, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $10)
       ON CONFLICT (username) DO UPDATE SET name = $3, role = $4, region_code = $5, enterprise_id = $6, duty = $7,
         phone = $8, password_hash = $9, updated_at = $10`,
      [id, u.username, u.name, u.role, regionCode, u.enterpriseId ?? null, u.duty ?? null, u.phone ?? null, hash, now],
    );
    return id;
  }

  async create(u: NewUser): Promise<User> {
    const taken = await this.deps.db.query('SELECT 1 FROM users WHERE username = $1', [u.username]);
    if (taken.length > 0) throw new SafeLoopError('CLOUD_ERR_CONFLICT', `username ${u.username} is taken`);
    const id = await this.upsert(u);
    const user = await this.getById(id);
    if (!user) throw new SafeLoopError('CLOUD_ERR_INTERNAL', 'user vanished after insert');
    return user;
  }

  async rowByUsername(username: string): Promise<UserRow | undefined> {
    const rows = await this.deps.db.query<UserRow>('SELECT * FROM users WHERE username = $1', [username]);
    return rows[0];
  }

  async getById(id: string): Promise<User | undefined> {
    const rows = await this.deps.db.query<UserRow>('SELECT * FROM users WHERE id = $1', [id]);
    return rows[0] ? userFromRow(rows[0]) : undefined;
  }

  /**
   * Users visible in a scope: an enterprise sees its own people; a region sees its monitors and the
   * people of enterprises inside it.
   */
  async list(scope: Scope): Promise<User[]> {
    const cond = scopeCondition(scope, { enterpriseId: 'u.enterprise_id', regionCode: 'COALESCE(u.region_code, e.region_code)' }, 1);
    const rows = await this.deps.db.query<UserRow>(
      `SELECT u.* FROM users u LEFT JOIN enterprises e ON e.id = u.enterprise_id WHERE ${cond.sql} ORDER BY u.username`,
      cond.params,
    );
    return rows.map(userFromRow);
  }

  /** Users who receive notifications for a place: by role, enterprise, region (exact code) and duty. */
  async recipients(filter: { role: Role; enterpriseId?: string; regionCode?: string; duty?: Duty }): Promise<User[]> {
    const where = ['role = $1', 'disabled = 0'];
    const params: (string | null)[] = [filter.role];
    if (filter.enterpriseId !== undefined) {
      params.push(filter.enterpriseId);
      where.push(`enterprise_id = $${params.length}`);
    }
    if (filter.regionCode !== undefined) {
      params.push(filter.regionCode);
      where.push(`region_code = $${params.length}`);
    }
    if (filter.duty !== undefined) {
      params.push(filter.duty);
      where.push(`duty = $${params.length}`);
    }
    const rows = await this.deps.db.query<UserRow>(`SELECT * FROM users WHERE ${where.join(' AND ')} ORDER BY username`, params);
    return rows.map(userFromRow);
  }
}
