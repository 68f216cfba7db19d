import type { Migration } from '../db/index.ts';

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
];
