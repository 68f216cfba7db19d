/**
 * One-time, expiring claim codes. Only the SHA-256 of a code is stored; the code itself is shown once
 * to the person who created it. 12 Crockford base-32 characters (60 bits), written XXXX-XXXX-XXXX.
 */
import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function newClaimCode(): string {
  const bytes = randomBytes(12);
  let s = '';
  for (const b of bytes) s += ALPHABET[b % 32];
  return `${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8, 12)}`;
}

/** Upper-case, without separators or spaces; I/L read as 1 and O as 0 (Crockford). */
export function normaliseClaimCode(code: string): string {
  return code
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/[IL]/g, '1')
    .replace(/O/g, '0');
}

export function hashClaimCode(code: string): string {
  return createHash('sha256').update(`safeloop-claim:${normaliseClaimCode(code)}`).digest('hex');
}
