export { Journal } from './journal.ts';
export type { JournalDeps, JournalHealth, JournalStats, NewAlarmEvent, NewFaultEvent, NewSystemEvent, NewAlarmStreamEvent, PeekOptions } from './journal.ts';
export { entryJson, entryEvent } from './entry.ts';
export type { JournalEntry } from './entry.ts';
export { JournalConfigSchema, ReportConfigSchema } from './config.ts';
export type { JournalConfig, JournalConfigInput, ReportConfig, PointReportConfig } from './config.ts';
export { ReportByException } from './report-by-exception.ts';
export { MIGRATIONS, migrate } from './migrations.ts';
export { classifyDiskError } from './disk-errors.ts';
