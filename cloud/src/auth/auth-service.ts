/**
 * Login and request authentication. Session tokens are HMAC-SHA256-signed (`v1.<payload>.<sig>`,
 * payload = base64url JSON {sub, iat, exp}); API tokens for integrations (`slt_…`) are random and
 * stored only as their SHA-256. A principal carries the caller's Scope, derived from role and place.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { SafeLoopError, type Clock } from '@safeloop/contract';
import { ulid } from 'ulid';
import type { SqlDb } from '../db/index.ts';
import type { Scope } from '../tenancy/scope.ts';
import { DUMMY_HASH_PROMISE, verifyPassword } from './passwords.ts';
import type { Role } from './roles.ts';
import { userFromRow, type User, type UserRow, type UserStore } from './users.ts';

export interface Principal {
  user: User;
  scope: Scope;
  via: 'session' | 'api-token';
}

export function scopeForUser(u: Pick<User, 'role' | 'regionCode' | 'enterpriseId'>): Scope {
  const r: Role = u.role;
  if (r === 'admin') return { kind: 'all' };
  if (r === 'enterprise_operator' || r === 'enterprise_manager') {
    return u.enterpriseId ? { kind: 'enterprise', enterpriseId: u.enterpriseId } : { kind: 'enterprise', enterpriseId: '\u0000none' };
  }
  if (u.regionCode) return { kind: 'region', regionCode: u.regionCode };
  if (u.enterpriseId) return { kind: 'enterprise', enterpriseId: u.enterpriseId };
  return { kind: 'enterprise', enterpriseId: '\u0000none' }; // nowhere
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

export interface AuthServiceDeps {
  db: SqlDb;
  users: UserStore;
  clock: Clock;
  /** HMAC key for session tokens (≥ 32 bytes). */
  secret: string | Buffer;
  tokenTtlMs?: number;
}

export class AuthService {
  private readonly failures = new Map<string, { count: number; until: number }>();

  constructor(private readonly deps: AuthServiceDeps) {
    if (Buffer.byteLength(deps.secret) < 32) throw new SafeLoopError('CLOUD_ERR_CONFIG', 'auth secret must be at least 32 bytes');
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.deps.secret).update(payload).digest('base64url');
  }

  issueToken(user: User): { token: string; expiresAt: number } {
    const iat = this.deps.clock.now();
    const exp = iat + (this.deps.tokenTtlMs ?? 12 * 3_600_000);
    const payload = b64url(JSON.stringify({ sub: user.id, iat, exp, jti: randomBytes(12).toString('base64url') }));
    return { token: `v1.${payload}.${this.sign(payload)}`, expiresAt: exp };
  }

  /** Username + password → token. Same error and similar time for unknown user and wrong password; brief lock after 5 failures. */
  async login(username: string, password: string): Promise<{ token: string; expiresAt: number; user: User }> {
    const now = this.deps.clock.now();
    const f = this.failures.get(username);
    if (f && f.until > now) {
      throw new SafeLoopError('CLOUD_ERR_RATE_LIMITED', 'too many failed logins; try again in a minute');
    }
    const row = await this.deps.users.rowByUsername(username);
    const ok = row ? await verifyPassword(password, row.password_hash) : (await verifyPassword(password, await DUMMY_HASH_PROMISE), false);
    if (!row || !ok || row.disabled === 1) {
      const count = (f?.count ?? 0) + 1;
      if (this.failures.size > 10_000) this.failures.clear(); // bounded memory under a username-spraying attack
      this.failures.set(username, { count, until: count >= 5 ? now + 60_000 : 0 });
      throw new SafeLoopError('CLOUD_ERR_UNAUTHENTICATED', 'wrong username or password');
    }
    this.failures.delete(username);
    const user = userFromRow(row);
    return { ...this.issueToken(user), user };
  }

  /** Authorization header value → principal, or a 401 SafeLoopError. */
  async authenticate(authorization: string | undefined): Promise<Principal> {
    return (await this.verify(authorization)).principal;
  }

  /** Log out: the session token stops working (API tokens are revoked with revokeApiToken). */
  async logout(authorization: string | undefined): Promise<void> {
    const { jti, exp } = await this.verify(authorization);
    if (jti === undefined) return;
    const now = this.deps.clock.now();
    await this.deps.db.exec('DELETE FROM revoked_sessions WHERE expires_at < $1', [now]);
    await this.deps.db.exec('INSERT INTO revoked_sessions (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING', [jti, exp ?? now]);
  }

  private async verify(authorization: string | undefined): Promise<{ principal: Principal; jti?: string; exp?: number }> {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!m || !m[1]) throw new SafeLoopError('CLOUD_ERR_UNAUTHENTICATED', 'missing bearer token');
    const token = m[1];
    if (token.startsWith('slt_')) return { principal: await this.authenticateApiToken(token) };
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== 'v1') throw new SafeLoopError('CLOUD_ERR_UNAUTHENTICATED', 'malformed token');
    const [, payload, sig] = parts as [string, string, string];
    const expected = Buffer.from(this.sign(payload));
    const got = Buffer.from(sig);
    if (expected.length !== got.length || !timingSafeEqual(expected, got)) {
      throw new SafeLoopError('CLOUD_ERR_UNAUTHENTICATED', 'bad token signature');
    }
    let claims: { sub?: unknown; exp?: unknown; jti?: unknown };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown; exp?: unknown; jti?: unknown };
    } catch {
      throw new SafeLoopError('CLOUD_ERR_UNAUTHENTICATED', 'malformed token');
    }
    if (typeof claims.exp !== 'number' || claims.exp <= this.deps.clock.now()) throw new SafeLoopError('CLOUD_ERR_UNAUTHENTICATED', 'token expired');
    if (typeof claims.sub !== 'string' || typeof claims.jti !== 'string') throw new SafeLoopError('CLOUD_ERR_UNAUTHENTICATED', 'malformed token');
    const revoked = await this.deps.db.query('SELECT 1 FROM revoked_sessions WHERE jti = $1', [claims.jti]);
    if (revoked.length > 0) throw new SafeLoopError('CLOUD_ERR_UNAUTHENTICATED', 'logged out');
    const user = await this.deps.users.getById(claims.sub);
    if (!user || user.disabled) throw new SafeLoopError('CLOUD_ERR_UNAUTHENTICATED', 'user unknown or disabled');
    return { principal: { user, scope: scopeForUser(user), via: 'session' }, jti: claims.jti, exp: claims.exp };
  }

  /** A new API token for a user (shown once). */
  async createApiToken(userId: string, name: string, ttlMs?: number): Promise<{ id: string; token: string }> {
    const token = `slt_${randomBytes(24).toString('base64url')}`;
    const id = ulid();
    const now = this.deps.clock.now();
    await this.deps.db.exec('INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_at, revoked) VALUES ($1, $2, $3, $4, $5, $6, 0)', [
      id,
      userId,
      name,
      createHash('sha256').update(token).digest('hex'),
      now,
      ttlMs === undefined ? null : now + ttlMs,
    ]);
    return { id, token };
  }

  async revokeApiToken(id: string): Promise<void> {
    await this.deps.db.exec('UPDATE api_tokens SET revoked = 1 WHERE id = $1', [id]);
  }

  private async authenticateApiToken(token: string): Promise<Principal> {
    const hash = createHash('sha256').update(token).digest('hex');
    const rows = await this.deps.db.query<UserRow & { expires_at: number | null; revoked: number }>(
      `SELECT u.*, t.expires_at, t.revoked FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1`,
      [hash],
    );
    const r = rows[0];
    if (!r || r.revoked === 1 || (r.expires_at !== null && Number(r.expires_at) <= this.deps.clock.now()) || r.disabled === 1) {
      throw new SafeLoopError('CLOUD_ERR_UNAUTHENTICATED', 'API token unknown, expired or revoked');
    }
    const user = userFromRow(r);
    return { user, scope: scopeForUser(user), via: 'api-token' };
  }
}
