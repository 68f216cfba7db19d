import type { Migration } from '../db/index.ts';

/**
 * 3: forced password change and a per-user "sessions issued before this instant are void" mark;
 * every API token gets an expiry (tokens made before had none: one year from creation); login
 * failures per account and source address (lockout that survives restarts and is shared by
 * workers); single-use live-stream tickets; user-management audit and refused object accesses
 * (append-only), and security events for the administrator.
 */
const ACCOUNTS = `
  ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE users ADD COLUMN sessions_valid_after BIGINT NOT NULL DEFAULT 0;
  UPDATE api_tokens SET expires_at = created_at + 31536000000 WHERE expires_at IS NULL;
  CREATE TABLE login_failures (
    username TEXT NOT NULL, source TEXT NOT NULL, failures INTEGER NOT NULL, last_at BIGINT NOT NULL,
    locked_until BIGINT NOT NULL, PRIMARY KEY (username, source));
  CREATE INDEX login_failures_last ON login_failures (last_at);
  CREATE TABLE stream_tickets (
    ticket_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users (id), expires_at BIGINT NOT NULL, used INTEGER NOT NULL DEFAULT 0);
  CREATE TABLE user_audit (
    id TEXT PRIMARY KEY, at BIGINT NOT NULL, actor_id TEXT NOT NULL, actor_name TEXT NOT NULL, actor_role TEXT NOT NULL,
    source_ip TEXT, action TEXT NOT NULL, target_id TEXT, target_name TEXT, details TEXT NOT NULL);
  CREATE TABLE access_refusals (
    id TEXT PRIMARY KEY, at BIGINT NOT NULL, user_id TEXT NOT NULL, username TEXT NOT NULL, role TEXT NOT NULL,
    source_ip TEXT, method TEXT NOT NULL, route TEXT NOT NULL, object TEXT NOT NULL, status INTEGER NOT NULL, code TEXT NOT NULL);
  CREATE INDEX access_refusals_user_at ON access_refusals (user_id, at);
  CREATE TABLE security_events (
    id TEXT PRIMARY KEY, at BIGINT NOT NULL, kind TEXT NOT NULL, user_id TEXT, username TEXT, details TEXT NOT NULL);
  CREATE INDEX security_events_user_at ON security_events (user_id, at);
`;
const APPEND_ONLY_SQLITE = ['user_audit', 'access_refusals']
  .map((t) => `
  CREATE TRIGGER ${t}_no_update BEFORE UPDATE ON ${t} BEGIN SELECT RAISE(ABORT, '${t} is append-only'); END;
  CREATE TRIGGER ${t}_no_delete BEFORE DELETE ON ${t} BEGIN SELECT RAISE(ABORT, '${t} is append-only'); END;`)
  .join('');
const APPEND_ONLY_PG = `
  CREATE FUNCTION security_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$;
  CREATE TRIGGER user_audit_no_change BEFORE UPDATE OR DELETE ON user_audit FOR EACH ROW EXECUTE FUNCTION security_log_append_only();
  CREATE TRIGGER access_refusals_no_change BEFORE UPDATE OR DELETE ON access_refusals FOR EACH ROW EXECUTE FUNCTION security_log_append_only();
`;

const both = (sql: string): { sqlite: string; postgres: string } => ({ sqlite: sql, postgres: sql });

export const AUTH_MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'users-api-tokens',
    ...both(`
      CREATE TABLE users (
        id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, name TEXT NOT NULL, role TEXT NOT NULL,
        region_code TEXT, enterprise_id TEXT, duty TEXT, phone TEXT, password_hash TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);
      CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users (id), name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE, created_at BIGINT NOT NULL, expires_at BIGINT, revoked INTEGER NOT NULL DEFAULT 0);
    `),
  },
  {
    id: 2,
    name: 'revoked-sessions',
    ...both('CREATE TABLE revoked_sessions (jti TEXT PRIMARY KEY, expires_at BIGINT NOT NULL)'),
  },
  {
    id: 3,
    name: 'accounts-lockout-tickets',
    sqlite: ACCOUNTS + APPEND_ONLY_SQLITE,
    postgres: ACCOUNTS + APPEND_ONLY_PG,
  },
];
