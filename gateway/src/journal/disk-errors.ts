/**
 * Classify storage errors so a full or failing disk becomes a clear error code and a health state
 * instead of an unexplained crash (RELIABILITY.md B3).
 */
import { SafeLoopError, errorMessage } from '@safeloop/contract';

export type DiskErrorKind = 'full' | 'io' | 'readonly' | 'corrupt' | 'busy' | 'other';

const CODES: Record<DiskErrorKind, string> = {
  full: 'GW_ERR_JOURNAL_DISK_FULL',
  io: 'GW_ERR_JOURNAL_IO',
  readonly: 'GW_ERR_JOURNAL_READONLY',
  corrupt: 'GW_ERR_JOURNAL_CORRUPT',
  busy: 'GW_ERR_JOURNAL_BUSY',
  other: 'GW_ERR_JOURNAL_WRITE',
};

export function classifyDiskError(err: unknown): DiskErrorKind {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') return 'full';
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO') return 'io';
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS' || code === 'EACCES' || code === 'EPERM') return 'readonly';
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return 'corrupt';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'busy';
  return 'other';
}

export function journalWriteError(what: string, err: unknown): SafeLoopError {
  const kind = classifyDiskError(err);
  const hint =
    kind === 'full'
      ? 'the disk or the journal size limit is full'
      : kind === 'io'
        ? 'the storage reported an I/O error'
        : kind === 'readonly'
          ? 'the journal file is read-only'
          : kind === 'corrupt'
            ? 'the journal file is damaged'
            : kind === 'busy'
              ? 'another process holds the journal write lock'
              : 'the write failed';
  return new SafeLoopError(CODES[kind], `journal: cannot ${what}: ${hint} (${errorMessage(err)})`, {
    cause: err,
    details: { kind },
  });
}
