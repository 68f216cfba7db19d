export { registerCommissioningRoutes, ReportUploadBody, MAX_HTML_CHARS, MAX_MARKDOWN_CHARS, MAX_SUMMARY_CHARS } from './routes.ts';
export { CommissioningReportStore, type StoredReport, type StoredReportMeta } from './report-store.ts';
export { COMMISSIONING_MIGRATIONS } from './migrations.ts';
