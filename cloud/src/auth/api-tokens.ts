/**
 * Long-lived credentials other than passwords, both stored only as SHA-256 of the random secret:
 * - API tokens (`slt_…`) for integrations: an expiry is mandatory (at most a year), the owner lists
 *   and revokes them through the API, and every request looks the token up in the database, so a
 *   revocation stops it at once on every worker.
 * - Live-stream tickets (`stt_…`): EventSource cannot send an Authorization header, and a session
 *   token in the URL ends up in proxy logs and browser history. A ticket lives 60 s and is consumed
 *   by one conditional UPDATE, so it opens exactly one stream, on whichever worker gets it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { SafeLoopError, type Clock } from '@safeloop/contract';
import { ulid } from 'ulid';
import type { SqlDb } from '../db/index.ts';

export const MAX_API_TOKEN_TTL_MS = 365 * 86_400_000;
export const STREAM_TICKET_TTL_MS = 60_000;

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export interface ApiTokenInfo {
  id: string;
  name: string;
  createdAt: number;
  expiresAt: number;
  revoked: boolean;
}

interface TokenRow {
  id: string;
  user_id: string;
  name: string;
  created_at: number | string;
  expires_at: number | string | null;
  revoked: number;
}

export class CredentialStore {
  constructor(private readonly deps: { db: SqlDb; clock: Clock }) {}

  async createApiToken(userId: string, name: string, ttlMs: number): Promise<{ id: string; token: string; expiresAt: number }> {
    if (!Number.isFinite(ttlMs) || ttlMs <= 0 || ttlMs > MAX_API_TOKEN_TTL_MS) {
      throw new SafeLoopError('CLOUD_ERR_VALIDATION', 'an API token needs an expiry between 1 day and 365 days');
    }
    const token = `slt_${randomBytes(24).toString('base64url')}`;
    const id = ulid();
    const now = this.deps.clock.now();
    const expiresAt = now + ttlMs;
    await this.deps.db.exec('INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_at, revoked) VALUES ($1, $2, $3, $4, $5, $6, 0)', [
      id,
      userId,
      name,
      sha256(token),
      now,
      expiresAt,
    ]);
    return { id, token, expiresAt };
  }

  async listApiTokens(userId: string): Promise<ApiTokenInfo[]> {
    const rows = await this.deps.db.query<TokenRow>('SELECT id, user_id, name, created_at, expires_at, revoked FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id', [userId]);
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: Number(r.created_at), expiresAt: Number(r.expires_at ?? 0), revoked: Number(r.revoked) === 1 }));
  }

  /** The owner of a token (for scope checks), or undefined. */
  async tokenOwner(id: string): Promise<string | undefined> {
    const rows = await this.deps.db.query<{ user_id: string }>('SELECT user_id FROM api_tokens WHERE id = $1', [id]);
    return rows[0]?.user_id;
  }

  async revokeApiToken(id: string): Promise<boolean> {
    return (await this.deps.db.exec('UPDATE api_tokens SET revoked = 1 WHERE id = $1 AND revoked = 0', [id])) > 0;
  }

  /** The token's id and user id when it is valid now. */
  async lookupApiToken(token: string): Promise<{ id: string; userId: string } | undefined> {
    const rows = await this.deps.db.query<TokenRow>('SELECT id, user_id, name, created_at, expires_at, revoked FROM api_tokens WHERE token_hash = $1', [sha256(token)]);
    const r = rows[0];
    if (!r || Number(r.revoked) === 1 || r.expires_at === null || Number(r.expires_at) <= this.deps.clock.now()) return undefined;
    return { id: r.id, userId: r.user_id };
  }

  async issueStreamTicket(userId: string): Promise<{ ticket: string; expiresAt: number }> {
    const now = this.deps.clock.now();
    await this.deps.db.exec('DELETE FROM stream_tickets WHERE expires_at < $1', [now - STREAM_TICKET_TTL_MS]);
    const ticket = `stt_${randomBytes(24).toString('base64url')}`;
    const expiresAt = now + STREAM_TICKET_TTL_MS;
    await this.deps.db.exec('INSERT INTO stream_tickets (ticket_hash, user_id, expires_at, used) VALUES ($1, $2, $3, 0)', [sha256(ticket), userId, expiresAt]);
    return { ticket, expiresAt };
  }

  /** Consume a ticket: the user id, once; undefined when unknown, used or expired. */
  async redeemStreamTicket(ticket: string): Promise<string | undefined> {
    const hash = sha256(ticket);
    const changed = await this.deps.db.exec('UPDATE stream_tickets SET used = 1 WHERE ticket_hash = $1 AND used = 0 AND expires_at > $2', [hash, this.deps.clock.now()]);
    if (changed === 0) return undefined;
    const rows = await this.deps.db.query<{ user_id: string }>('SELECT user_id FROM stream_tickets WHERE ticket_hash = $1', [hash]);
    return rows[0]?.user_id;
  }
}
