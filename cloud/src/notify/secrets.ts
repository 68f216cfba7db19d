/**
 * Provider credentials are never written in the YAML: the config names a file (mode 0600, mounted
 * from a secret store) or an environment variable, and this module reads it at start. A missing
 * file or variable stops the cloud with an error that names which credential and where it looked,
 * so a misconfigured pager is found at deploy time, not at 3 a.m.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { SafeLoopError } from '@safeloop/contract';
import { z } from 'zod';

export const SecretRefSchema = z.union(
  [
    z.object({ file: z.string().min(1) }).strict(),
    z.object({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name') }).strict(),
  ],
  { error: 'a credential must be { file: PATH } or { env: NAME }; secrets are never written in the config itself' },
);
export type SecretRef = z.infer<typeof SecretRefSchema>;

/** Read one credential; `what` names it in the error (e.g. "notify.sms.accessKeySecret"). */
export function readSecret(ref: SecretRef, what: string, baseDir = process.cwd()): string {
  if ('env' in ref) {
    const v = process.env[ref.env];
    if (v === undefined || v.trim() === '') {
      throw new SafeLoopError('CLOUD_ERR_CONFIG', `${what}: environment variable ${ref.env} is not set (or empty)`);
    }
    return v.trim();
  }
  const path = isAbsolute(ref.file) ? ref.file : resolve(baseDir, ref.file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SafeLoopError('CLOUD_ERR_CONFIG', `${what}: cannot read the secret file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  const v = text.trim();
  if (v === '') throw new SafeLoopError('CLOUD_ERR_CONFIG', `${what}: the secret file ${path} is empty`);
  return v;
}
