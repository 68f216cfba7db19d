/**
 * First start without any user: one administrator is created so the system can be configured. Its
 * password comes from a file the installer wrote (`auth.initialAdminPasswordFile`, checked against
 * the password policy), or is generated and written to the log once, with the instruction to change
 * it. It must change that password at first login either way. A later start finds users and does
 * nothing, so no restart ever touches a password.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from '@safeloop/contract';
import { hashPassword } from './passwords.ts';
import { checkPasswordPolicy } from './password-policy.ts';
import type { UserStore } from './users.ts';

export async function ensureInitialAdmin(users: UserStore, opts: { passwordFile?: string | undefined; logger: Logger }): Promise<'created' | 'exists'> {
  if ((await users.count()) > 0) return 'exists';
  const fromFile = opts.passwordFile !== undefined;
  const password = fromFile ? readFileSync(opts.passwordFile ?? '', 'utf8').trim() : `${randomBytes(12).toString('base64url')}-Aa1`;
  checkPasswordPolicy(password, 'admin');
  const { id, created } = await users.insertIfAbsent({ username: 'admin', password, name: 'Administrator', role: 'admin' });
  if (!created) return 'exists';
  await users.setPasswordHash(id, await hashPassword(password), true);
  if (fromFile) opts.logger.warn({ username: 'admin', passwordFile: opts.passwordFile }, 'first start: administrator created from the password file; change the password at first login');
  else opts.logger.warn({ username: 'admin', password }, 'first start: administrator created with this one-time password (shown once); change it at first login');
  return 'created';
}
