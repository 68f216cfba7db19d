/**
 * Login and request authentication. Session tokens are HMAC-SHA256-signed (`v1.<payload>.<sig>`,
 * payload = base64url JSON {sub, iat, exp, jti}); API tokens for integrations (`slt_…`) and
 * live-stream tickets (`stt_…`) are random and stored only as their SHA-256 (api-tokens.ts). Every
 * request re-reads the user, so disabling a user, changing a role or a password (which voids the
 * sessions issued before it) and revoking a token take effect at once on every worker. Failed
 * logins are throttled per account and source address in the database (login-throttle.ts).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { SafeLoopError, type Clock } from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';
import type { Scope } from '../tenancy/scope.ts';
import { CredentialStore, type ApiTokenInfo } from './api-tokens.ts';
import { LoginThrottle } from './login-throttle.ts';
import { DUMMY_HASH_PROMISE, hashPassword, verifyPassword } from './passwords.ts';
import { checkPasswordPolicy } from './password-policy.ts';
import type { Role } from './roles.ts';
import { userFromRow, type User, type UserStore } from './users.ts';

export interface Principal {
  user: User;
  scope: Scope;
  via: 'session' | 'api-token' | 'stream-ticket';
  /** The API token's id when via is 'api-token'. */
  tokenId?: string;
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
  readonly credentials: CredentialStore;
  private readonly throttle: LoginThrottle;

  constructor(private readonly deps: AuthServiceDeps) {
    if (Buffer.byteLength(deps.secret) < 32) throw new SafeLoopError('CLOUD_ERR_CONFIG', 'auth secret must be at least 32 bytes');
    this.credentials = new CredentialStore({ db: deps.db, clock: deps.clock });
    this.throttle = new LoginThrottle({ db: deps.db, clock: deps.clock });
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

  /**
   * Username + password → token. The same error and a similar time for an unknown user and a wrong
   * password; failures slow down this (account, source address) pair only.
   */
  async login(username: string, password: string, source = 'unknown'): Promise<{ token: string; expiresAt: number; user: User }> {
    await this.throttle.check(username, source);
    const row = await this.deps.users.rowByUsername(username);
    const ok = row ? await verifyPassword(password, row.password_hash) : (await verifyPassword(password, await DUMMY_HASH_PROMISE), false);
    if (!row || !ok || Number(row.disabled) === 1) {
      await this.throttle.failure(username, source);
      throw new SafeLoopError('CLOUD_ERR_UNAUTHENTICATED', 'wrong username or password');
    }
    await this.throttle.success(username, source);
    const user = userFromRow(row);
    return { ...this.issueToken(user), user };
  }

  /** Authorization header value → principal, or a 401 SafeLoopError. */
  async authenticate(authorization: string | undefined): Promise<Principal> {
    return (await this.verify(authorization)).principal;
  }

  /** Log out: a session token stops working; an API token used to log out is revoked. */
  async logout(authorization: string | undefined): Promise<void> {
    const { principal, jti, exp } = await this.verify(authorization);
    if (principal.tokenId !== undefined) {
      await this.credentials.revokeApiToken(principal.tokenId);
      return;
    }
    if (jti === undefined) throw new SafeLoopError('CLOUD_ERR_VALIDATION', 'nothing to log out');
    const now = this.deps.clock.now();
    await this.deps.db.exec('DELETE FROM revoked_sessions WHERE expires_at < $1', [now]);
    await this.deps.db.exec('INSERT INTO revoked_sessions (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING', [jti, exp ?? now]);
  }

  /** The user changes their own password (needs the current one); older sessions stop working. */
  async changePassword(userId: string, current: string, next: string): Promise<{ token: string; expiresAt: number }> {
    const user = await this.deps.users.getById(userId);
    const row = user ? await this.deps.users.rowByUsername(user.username) : undefined;
    if (!user || !row || !(await verifyPassword(current, row.password_hash))) throw new SafeLoopError('CLOUD_ERR_FORBIDDEN', 'the current password is wrong');
    if (current === next) throw new SafeLoopError('CLOUD_ERR_PASSWORD_POLICY', 'password refused: it is the current password');
    checkPasswordPolicy(next, user.username);
    await this.deps.users.setPasswordHash(userId, await hashPassword(next), false);
    const fresh = await this.deps.users.getById(userId);
    if (!fresh) throw new SafeLoopError('CLOUD_ERR_UNAUTHENTICATED', 'user unknown or disabled');
    return this.issueToken(fresh);
  }

  /** An administrator sets a temporary password; the user must change it at the next login. */
  async resetPassword(userId: string, temporary: string, username: string): Promise<void> {
    checkPasswordPolicy(temporary, username);
    await this.deps.users.setPasswordHash(userId, await hashPassword(temporary), true);
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
    let claims: { sub?: unknown; exp?: unknown; jti?: unknown; iat?: unknown };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown; exp?: unknown; jti?: unknown; iat?: unknown };
    } catch {
      throw new SafeLoopError('CLOUD_ERR_UNAUTHENTICATED', 'malformed token');
    }
    if (typeof claims.exp !== 'number' || claims.exp <= this.deps.clock.now()) throw new SafeLoopError('CLOUD_ERR_UNAUTHENTICATED', 'token expired');
    if (typeof claims.sub !== 'string' || typeof claims.jti !== 'string' || typeof claims.iat !== 'number') throw new SafeLoopError('CLOUD_ERR_UNAUTHENTICATED', 'malformed token');
    const revoked = await this.deps.db.query('SELECT 1 FROM revoked_sessions WHERE jti = $1', [claims.jti]);
    if (revoked.length > 0) throw new SafeLoopError('CLOUD_ERR_UNAUTHENTICATED', 'logged out');
    const user = await this.activeUser(claims.sub);
    if (claims.iat < user.sessionsValidAfter) throw new SafeLoopError('CLOUD_ERR_UNAUTHENTICATED', 'session ended: the password, role or place of this user changed');
    return { principal: { user, scope: scopeForUser(user), via: 'session' }, jti: claims.jti, exp: claims.exp };
  }

  private async activeUser(id: string): Promise<User> {
    const user = await this.deps.users.getById(id);
    if (!user || user.disabled) throw new SafeLoopError('CLOUD_ERR_UNAUTHENTICATED', 'user unknown or disabled');
    return user;
  }

  /** A new API token for a user (shown once); the expiry is mandatory. */
  createApiToken(userId: string, name: string, ttlMs: number): Promise<{ id: string; token: string; expiresAt: number }> {
    return this.credentials.createApiToken(userId, name, ttlMs);
  }

  listApiTokens(userId: string): Promise<ApiTokenInfo[]> {
    return this.credentials.listApiTokens(userId);
  }

  async revokeApiToken(id: string): Promise<void> {
    await this.credentials.revokeApiToken(id);
  }

  /** A single-use, 60-second ticket that opens one live stream. */
  issueStreamTicket(userId: string): Promise<{ ticket: string; expiresAt: number }> {
    return this.credentials.issueStreamTicket(userId);
  }

  async redeemStreamTicket(ticket: string): Promise<Principal> {
    const userId = await this.credentials.redeemStreamTicket(ticket);
    if (userId === undefined) throw new SafeLoopError('CLOUD_ERR_UNAUTHENTICATED', 'stream ticket unknown, used or expired');
    const user = await this.activeUser(userId);
    return { user, scope: scopeForUser(user), via: 'stream-ticket' };
  }

  private async authenticateApiToken(token: string): Promise<Principal> {
    const t = await this.credentials.lookupApiToken(token);
    if (!t) throw new SafeLoopError('CLOUD_ERR_UNAUTHENTICATED', 'API token unknown, expired or revoked');
    const user = await this.activeUser(t.userId);
    return { user, scope: scopeForUser(user), via: 'api-token', tokenId: t.id };
  }
}
