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
  /** Set by an administrator's password reset: only /api/me, logout and the password change work until changed. */
  mustChangePassword: boolean;
  /** Session tokens issued before this instant (epoch ms) are void: password change, reset, disable, role change. */
  sessionsValidAfter: number;
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
  must_change_password: number;
  sessions_valid_after: number | string;
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
    disabled: Number(r.disabled) === 1,
    mustChangePassword: Number(r.must_change_password) === 1,
    sessionsValidAfter: Number(r.sessions_valid_after),
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

export interface UserPatch {
  name?: string | undefined;
  role?: Role | undefined;
  /** null clears the field. */
  regionCode?: string | null | undefined;
  enterpriseId?: string | null | undefined;
  duty?: Duty | null | undefined;
  phone?: string | null | undefined;
  disabled?: boolean | undefined;
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

  /**
   * Create the user unless the username exists; an existing user is left exactly as it is (the seed
   * is applied on every start and must never reset a password, a role or a disabled flag).
   * Returns the user id and whether it was created.
   */
  async insertIfAbsent(u: NewUser): Promise<{ id: string; created: boolean }> {
    const existing = await this.deps.db.query<{ id: string }>('SELECT id FROM users WHERE username = $1', [u.username]);
    if (existing[0]) return { id: existing[0].id, created: false };
    checkUserPlace(u);
    const hash = await (this.deps.hashPassword ?? hashPassword)(u.password);
    const now = this.now();
    const id = ulid();
    const inserted = await this.deps.db.exec(
      `INSERT INTO users (id, username, name, role, region_code, enterprise_id, duty, phone, password_hash, disabled, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $10) ON CONFLICT (username) DO NOTHING`,
      [id, u.username, u.name, u.role, u.regionCode ? canonicalRegionCode(u.regionCode) : null, u.enterpriseId ?? null, u.duty ?? null, u.phone ?? null, hash, now],
    );
    if (inserted === 0) return this.insertIfAbsent(u); // a concurrent start inserted it first
    return { id, created: true };
  }

  /** Change a user's profile, role, place or disabled flag; role, place and disable void the user's sessions. */
  async update(id: string, patch: UserPatch): Promise<User> {
    const before = await this.getById(id);
    if (!before) throw new SafeLoopError('CLOUD_ERR_NOT_FOUND', `user ${id} not found`);
    const next = {
      role: patch.role ?? before.role,
      regionCode: patch.regionCode === undefined ? before.regionCode : (patch.regionCode ?? undefined),
      enterpriseId: patch.enterpriseId === undefined ? before.enterpriseId : (patch.enterpriseId ?? undefined),
    };
    checkUserPlace({ ...next, username: before.username });
    const voids = patch.role !== undefined || patch.regionCode !== undefined || patch.enterpriseId !== undefined || patch.disabled === true;
    const now = this.now();
    await this.deps.db.exec(
      `UPDATE users SET name = $2, role = $3, region_code = $4, enterprise_id = $5, duty = $6, phone = $7, disabled = $8,
         sessions_valid_after = $9, updated_at = $10 WHERE id = $1`,
      [
        id,
        patch.name ?? before.name,
        next.role,
        next.regionCode ? canonicalRegionCode(next.regionCode) : null,
        next.enterpriseId ?? null,
        (patch.duty === undefined ? before.duty : patch.duty) ?? null,
        (patch.phone === undefined ? before.phone : patch.phone) ?? null,
        (patch.disabled ?? before.disabled) ? 1 : 0,
        voids ? now : before.sessionsValidAfter,
        now,
      ],
    );
    const after = await this.getById(id);
    if (!after) throw new SafeLoopError('CLOUD_ERR_NOT_FOUND', `user ${id} not found`);
    return after;
  }

  /** Store a new password hash; every session issued before now stops working. */
  async setPasswordHash(id: string, hash: string, mustChange: boolean): Promise<void> {
    const now = this.now();
    await this.deps.db.exec('UPDATE users SET password_hash = $2, must_change_password = $3, sessions_valid_after = $4, updated_at = $4 WHERE id = $1', [
      id,
      hash,
      mustChange ? 1 : 0,
      now,
    ]);
  }

  async count(): Promise<number> {
    const rows = await this.deps.db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM users');
    return Number(rows[0]?.n ?? 0);
  }

  /** Create or update by username (the password is re-hashed). Returns the user id. For tests and tools, never the seed. */
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
    const { id, created } = await this.insertIfAbsent(u);
    if (!created) throw new SafeLoopError('CLOUD_ERR_CONFLICT', `username ${u.username} is taken`);
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
