/**
 * Commissioning reports per site:
 * - POST /api/sites/:id/commissioning-reports — a field technician or an admin whose scope holds
 *   the site uploads the report of a visit (Markdown, HTML, JSON summary; each size-limited).
 * - GET  /api/sites/:id/commissioning-reports — newest first, without the bodies.
 * - GET  /api/sites/:id/commissioning-reports/:reportId — one report with its bodies.
 * - GET  /api/sites/:id/commissioning-reports/:reportId/html — the HTML itself, sandboxed by CSP
 *   (it was written by a laptop in the field: it must not run script in the dashboard's origin).
 * Anyone who may read the site may read its reports. The module's tables are created on first use
 * through migrate(db, 'commissioning', …).
 */
import { z } from 'zod';
import { IdSchema, SafeLoopError } from '@safeloop/contract';
import { migrate } from '../db/index.ts';
import { principalOf } from '../http/context.ts';
import { policy } from '../http/policy.ts';
import type { HttpServerDeps, ZApp } from '../api/types.ts';
import { COMMISSIONING_MIGRATIONS } from './migrations.ts';
import { CommissioningReportStore } from './report-store.ts';

export const MAX_MARKDOWN_CHARS = 256 * 1024;
export const MAX_HTML_CHARS = 512 * 1024;
export const MAX_SUMMARY_CHARS = 64 * 1024;

const UPLOAD_ROLES = new Set(['field_technician', 'admin']);

export const ReportUploadBody = z.object({
  technician: z.string().min(1).max(100),
  performedAt: z.number().int().min(946_684_800_000).max(4_102_444_800_000),
  gatewayId: IdSchema.optional(),
  summary: z
    .looseObject({ passed: z.boolean() })
    .refine((s) => JSON.stringify(s).length <= MAX_SUMMARY_CHARS, `summary must be at most ${MAX_SUMMARY_CHARS} characters of JSON`),
  markdown: z.string().min(1).max(MAX_MARKDOWN_CHARS),
  html: z.string().min(1).max(MAX_HTML_CHARS),
});

const SiteParams = z.object({ id: IdSchema });
const ReportParams = z.object({ id: IdSchema, reportId: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a report id') });
const ListQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) });

export function registerCommissioningRoutes(app: ZApp, deps: Pick<HttpServerDeps, 'db' | 'registry' | 'logger' | 'clock'>): void {
  const store = new CommissioningReportStore(deps.db);
  let ready: Promise<void> | undefined;
  const migrated = (): Promise<void> => {
    ready ??= migrate(deps.db, 'commissioning', COMMISSIONING_MIGRATIONS).catch((err: unknown) => {
      ready = undefined;
      throw err;
    });
    return ready;
  };
  const now = (): number => deps.clock?.now() ?? Date.now();

  const siteInScope = async (req: Parameters<typeof principalOf>[0], siteId: string): Promise<string> => {
    const site = await deps.registry.getSite(siteId, principalOf(req).scope);
    if (!site) throw new SafeLoopError('CLOUD_ERR_NOT_FOUND', `site ${siteId} not found`);
    return site.id;
  };

  app.post(
    '/api/sites/:id/commissioning-reports',
    { schema: { tags: ['commissioning'], params: SiteParams, body: ReportUploadBody }, config: { policy: policy.roles('field_technician', 'admin') } },
    async (req, reply) => {
      const p = principalOf(req);
      if (!UPLOAD_ROLES.has(p.user.role)) throw new SafeLoopError('CLOUD_ERR_FORBIDDEN', `role ${p.user.role} may not upload commissioning reports`);
      const siteId = await siteInScope(req, req.params.id);
      await migrated();
      const b = req.body;
      const uploadedAt = now();
      const id = await store.insert({
        siteId,
        gatewayId: b.gatewayId ?? null,
        technician: b.technician,
        performedAt: b.performedAt,
        uploadedBy: p.user.username,
        uploadedAt,
        passed: b.summary.passed,
        summary: b.summary,
        markdown: b.markdown,
        html: b.html,
      });
      deps.logger.info({ siteId, reportId: id, by: p.user.username, passed: b.summary.passed }, 'commissioning report stored');
      return reply.code(201).send({ id, siteId, uploadedAt });
    },
  );

  app.get('/api/sites/:id/commissioning-reports', { schema: { tags: ['commissioning'], params: SiteParams, querystring: ListQuery }, config: { policy: policy.action('read') } }, async (req) => {
    const siteId = await siteInScope(req, req.params.id);
    await migrated();
    return store.list(siteId, req.query.limit);
  });

  const one = async (req: Parameters<typeof principalOf>[0], params: z.infer<typeof ReportParams>): Promise<NonNullable<Awaited<ReturnType<CommissioningReportStore['get']>>>> => {
    const siteId = await siteInScope(req, params.id);
    await migrated();
    const r = await store.get(siteId, params.reportId);
    if (!r) throw new SafeLoopError('CLOUD_ERR_NOT_FOUND', `commissioning report ${params.reportId} not found for site ${siteId}`);
    return r;
  };

  app.get('/api/sites/:id/commissioning-reports/:reportId', { schema: { tags: ['commissioning'], params: ReportParams }, config: { policy: policy.action('read') } }, async (req) => one(req, req.params));

  app.get('/api/sites/:id/commissioning-reports/:reportId/html', { schema: { tags: ['commissioning'], params: ReportParams }, config: { policy: policy.action('read') } }, async (req, reply) => {
    const r = await one(req, req.params);
    return reply
      .header('content-security-policy', "sandbox; default-src 'none'; style-src 'unsafe-inline'")
      .type('text/html; charset=utf-8')
      .send(r.html);
  });
}
