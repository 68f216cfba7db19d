/** The CLI's pino logger: JSON lines to stdout or to a file; level from --log-level or SAFELOOP_LOG. */
import pino from 'pino';
import type { Logger } from '@safeloop/contract';

export function createLogger(opts: { level?: string; file?: string; name?: string; sync?: boolean } = {}): Logger {
  const level = opts.level ?? process.env.SAFELOOP_LOG ?? 'info';
  const destination = opts.file ? pino.destination({ dest: opts.file, mkdir: true, sync: opts.sync ?? false }) : pino.destination(1);
  return pino({ level, base: opts.name ? { app: opts.name } : {} }, destination) as unknown as Logger;
}
