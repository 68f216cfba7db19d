/**
 * The password policy for passwords set through the API (new users, resets, changes). Length does
 * most of the work (NIST SP 800-63B's advice: long, no composition theatre, refuse the obvious), so:
 * at least 10 characters, at least two kinds of character, not built on the username, not one of
 * the passwords every spraying list starts with, not one character repeated. The demo seed is not
 * held to it (its `safeloop` logins are for a laptop), which is why seeded users are created only
 * when absent and docs/security.md says to change them.
 */
import { SafeLoopError } from '@safeloop/contract';

export const MIN_PASSWORD_LENGTH = 10;

const COMMON = new Set([
  'password', 'password1', 'password12', 'password123', 'password1234', 'passw0rd', 'p@ssw0rd', 'p@ssword1',
  '1234567890', '12345678910', '0123456789', 'qwertyuiop', 'qwerty123', 'qwerty1234', 'abc1234567', 'abcd123456',
  'iloveyou1', 'admin12345', 'admin@123', 'admin123456', 'administrator', 'welcome123', 'changeme123', 'letmein123',
  'safeloop', 'safeloop123', 'safeloop2024', 'safeloop2025', 'safeloop2026', 'a123456789', 'aa123456789', 'woaini1314',
]);

/** Throws CLOUD_ERR_PASSWORD_POLICY naming the first rule the password breaks. */
export function checkPasswordPolicy(password: string, username: string): void {
  const fail = (why: string): never => {
    throw new SafeLoopError('CLOUD_ERR_PASSWORD_POLICY', `password refused: ${why}`);
  };
  const p = password.normalize('NFKC');
  if ([...p].length < MIN_PASSWORD_LENGTH) fail(`it must be at least ${MIN_PASSWORD_LENGTH} characters long`);
  if (/^(.)\1*$/u.test(p)) fail('it repeats one character');
  const kinds = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(p)).length;
  if (kinds < 2) fail('it needs at least two kinds of character (lower case, upper case, digits, others)');
  const lower = p.toLowerCase();
  if (username.length >= 3 && lower.includes(username.toLowerCase())) fail('it contains the username');
  if (COMMON.has(lower)) fail('it is on the lists password sprayers try first');
}
