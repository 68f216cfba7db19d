import { SafeLoopError } from '@safeloop/contract';
import { z } from 'zod';
import { actorOf, principalOf } from '../http/context.ts';
import { policy } from '../http/policy.ts';
import type { Alarm, AuditEntry, Feedback } from '../alarms/types.ts';
import type { AlarmFilter } from '../alarms/alarm-queries.ts';
import { MAX_ATTACHMENTS, MAX_ATTACHMENT_BYTES } from '../alarms/attachments.ts';
import { alarmsToCsv } from './csv.ts';
import { alarmsToXlsx } from './xlsx.ts';
import { dutyView, type DutyView } from '../alarms/duty-view.ts';
import { regionContains } from '../tenancy/region-code.ts';
import type { Scope } from '../tenancy/scope.ts';
import type { SitePolicy } from '../alarms/policy.ts';
import { AlarmIdParams, AlarmListQuery, CommentBody, FeedbackBody, HandoverBody, NoteBody, ReviewBody, ShelveBody, UrgeBody } from './schemas.ts';
import type { HttpServerDeps, ZApp } from './types.ts';

const READ = { policy: policy.action('read') };

/** A region the caller's place lies in or that lies in it (as the statistics check it). */
function regionOverlaps(scope: Scope, regionCode: string): boolean {
  if (scope.kind === 'all') return true;
  if (scope.kind !== 'region') return false;
  return regionContains(scope.regionCode, regionCode) || regionContains(regionCode, scope.regionCode);
}

function filterOf(q: z.infer<typeof AlarmListQuery>): AlarmFilter {
  const f: AlarmFilter = { state: q.state, page: q.page, pageSize: q.pageSize };
  if (q.siteId !== undefined) f.siteId = q.siteId;
  if (q.enterpriseId !== undefined) f.enterpriseId = q.enterpriseId;
  if (q.regionCode !== undefined) f.regionCode = q.regionCode;
  if (q.level !== undefined) f.level = q.level;
  if (q.colour !== undefined) f.colour = q.colour;
  if (q.groupId !== undefined) f.groupId = q.groupId;
  if (q.from !== undefined) f.from = q.from;
  if (q.to !== undefined) f.to = q.to;
  return f;
}

type AlarmView = Omit<Alarm, 'conditionKey' | 'rank' | 'version'> & { version: number };

/** The API view: the alarm without internal columns. */
export function alarmView(a: Alarm): AlarmView {
  const { conditionKey: _k, rank: _r, ...rest } = a;
  return rest;
}

/** The view plus overdue, due times and who acts next, by the deadlines of each alarm's site type. */
function dutyViews(deps: HttpServerDeps): (alarms: readonly Alarm[]) => Promise<(AlarmView & DutyView)[]> {
  return async (alarms) => {
    const now = deps.clock?.now() ?? Date.now();
    const bySite = new Map<string, Promise<SitePolicy>>();
    return Promise.all(
      alarms.map(async (a) => {
        let p = bySite.get(a.siteId);
        if (!p) bySite.set(a.siteId, (p = deps.alarms.timerRunner.policyFor(a)));
        return { ...alarmView(a), ...dutyView(a, await p, now) };
      }),
    );
  };
}

/**
 * The display names and roles of the people the alarm's record mentions (actors, notified recipients,
 * handover targets, feedback authors), so the page speaks of 值班员 王 rather than `operator`.
 */
async function peopleOf(deps: HttpServerDeps, audit: readonly AuditEntry[], feedback: readonly Feedback[], shelvedBy: string | null): Promise<Record<string, { name: string; role: string }>> {
  const usernames = new Set<string>();
  const ids = new Set<string>();
  for (const e of audit) {
    usernames.add(e.actorName);
    const r = e.details.recipients;
    if (Array.isArray(r)) for (const u of r) if (typeof u === 'string') usernames.add(u);
    const to = (e.details.changed as { assigneeId?: { to?: unknown } } | undefined)?.assigneeId?.to;
    if (typeof to === 'string') ids.add(to);
  }
  for (const f of feedback) usernames.add(f.submittedBy);
  if (shelvedBy) usernames.add(shelvedBy);
  const out: Record<string, { name: string; role: string }> = {};
  for (const u of usernames) {
    const row = await deps.registry.users.rowByUsername(u);
    if (row) out[u] = { name: row.name, role: row.role };
  }
  for (const id of ids) {
    const user = await deps.registry.users.getById(id);
    if (user) out[id] = { name: user.name, role: user.role };
  }
  return out;
}

export function registerAlarmRoutes(app: ZApp, deps: HttpServerDeps): void {
  const q = deps.alarms.queries;
  const withDuty = dutyViews(deps);
  const one = async (a: Alarm): Promise<AlarmView & DutyView> => (await withDuty([a]))[0] as AlarmView & DutyView;

  app.get('/api/alarms', { schema: { tags: ['alarms'], querystring: AlarmListQuery }, config: READ }, async (req) => {
    const r = await q.list(principalOf(req).scope, filterOf(req.query));
    return { items: await withDuty(r.items), total: r.total, page: r.page, pageSize: r.pageSize };
  });

  /**
   * The alarms of an export (at most 10,000) with the latest feedback of each. A filter naming a site or an
   * enterprise outside the caller's place is refused (404), not answered with an empty file: a workbook is
   * compressed, and a refusal is the answer nobody has to inspect.
   */
  const exportRows = async (req: { query: z.infer<typeof AlarmListQuery> } & Parameters<typeof principalOf>[0]): Promise<{ alarm: Alarm; feedback: Feedback | undefined }[]> => {
    const scope = principalOf(req).scope;
    const f = req.query;
    if (f.siteId !== undefined && !(await deps.registry.getSite(f.siteId, scope))) throw new SafeLoopError('CLOUD_ERR_NOT_FOUND', `site ${f.siteId} not found`);
    if (f.enterpriseId !== undefined && !(await deps.registry.getEnterprise(f.enterpriseId, scope))) throw new SafeLoopError('CLOUD_ERR_NOT_FOUND', `enterprise ${f.enterpriseId} not found`);
    if (f.regionCode !== undefined && !regionOverlaps(scope, f.regionCode)) throw new SafeLoopError('CLOUD_ERR_FORBIDDEN', `region ${f.regionCode} is outside your area`);
    const alarms = await q.listAll(scope, filterOf(f), 10_000);
    const rows = [];
    for (const a of alarms) {
      const fb = await q.feedback(a.id);
      rows.push({ alarm: a, feedback: fb[fb.length - 1] });
    }
    return rows;
  };
  const exportSchema = { schema: { tags: ['alarms'], querystring: AlarmListQuery }, config: READ };

  app.get('/api/alarms/export.csv', exportSchema, async (req, reply) =>
    reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="safeloop-alarms.csv"').send(alarmsToCsv(await exportRows(req))),
  );

  app.get('/api/alarms/export.xlsx', exportSchema, async (req, reply) =>
    reply
      .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .header('content-disposition', 'attachment; filename="safeloop-alarms.xlsx"')
      .send(await alarmsToXlsx(await exportRows(req))),
  );

  app.get('/api/alarm-groups', { schema: { tags: ['alarms'], querystring: z.object({ siteId: z.string().max(64).optional(), open: z.enum(['true', 'false']).optional() }) }, config: READ }, async (req) =>
    q.groups(principalOf(req).scope, {
      ...(req.query.siteId !== undefined ? { siteId: req.query.siteId } : {}),
      ...(req.query.open !== undefined ? { open: req.query.open === 'true' } : {}),
    }),
  );

  app.get('/api/alarms/:id', { schema: { tags: ['alarms'], params: AlarmIdParams }, config: READ }, async (req) => {
    const a = await q.require(req.params.id, principalOf(req).scope);
    const [audit, feedback] = await Promise.all([q.audit(a.id), q.feedback(a.id)]);
    const site = await deps.registry.getSite(a.siteId).catch(() => undefined);
    return { ...(await one(a)), siteName: site?.name ?? null, enterpriseName: site?.enterpriseName ?? null, audit, feedback, people: await peopleOf(deps, audit, feedback, a.shelvedBy) };
  });

  /** People of the alarm's enterprise who can take it over (for the handover form). */
  app.get('/api/alarms/:id/assignees', { schema: { tags: ['alarms'], params: AlarmIdParams }, config: READ }, async (req) => {
    const a = await q.require(req.params.id, principalOf(req).scope);
    const users = await deps.registry.users.list({ kind: 'enterprise', enterpriseId: a.enterpriseId });
    return users
      .filter((u) => !u.disabled && (u.role === 'enterprise_operator' || u.role === 'enterprise_manager'))
      .map((u) => ({ id: u.id, username: u.username, name: u.name, role: u.role, ...(u.duty ? { duty: u.duty } : {}) }));
  });

  app.get('/api/alarms/:id/attachments/:attachmentId', { schema: { tags: ['alarms'], params: z.object({ id: z.string().max(64), attachmentId: z.string().max(64) }) }, config: READ }, async (req, reply) => {
    const f = await q.attachment(req.params.id, req.params.attachmentId, principalOf(req).scope);
    if (!f) throw new SafeLoopError('CLOUD_ERR_NOT_FOUND', `attachment ${req.params.attachmentId} not found`);
    return reply
      .type(f.mime)
      .header('content-disposition', `attachment; filename="${encodeURIComponent(f.name)}"`)
      .header('x-content-type-options', 'nosniff')
      .send(f.data);
  });

  const svc = deps.alarms;
  const act = { tags: ['alarms'], params: AlarmIdParams };
  app.post('/api/alarms/:id/acknowledge', { schema: { ...act, body: NoteBody }, config: { policy: policy.action('acknowledge') } }, async (req) => one(await svc.acknowledge(req.params.id, actorOf(req), req.body)));
  app.post('/api/alarms/:id/handover', { schema: { ...act, body: HandoverBody }, config: { policy: policy.action('handover') } }, async (req) => one(await svc.handover(req.params.id, actorOf(req), req.body)));
  app.post('/api/alarms/:id/start-handling', { schema: { ...act, body: NoteBody }, config: { policy: policy.action('start-handling') } }, async (req) => one(await svc.startHandling(req.params.id, actorOf(req), req.body)));
  app.post(
    '/api/alarms/:id/feedback',
    { schema: { ...act, body: FeedbackBody }, config: { policy: policy.action('feedback') }, bodyLimit: Math.ceil((MAX_ATTACHMENTS * MAX_ATTACHMENT_BYTES * 4) / 3) + 64 * 1024 },
    async (req) => one(await svc.submitFeedback(req.params.id, actorOf(req), req.body)),
  );
  app.post('/api/alarms/:id/review', { schema: { ...act, body: ReviewBody }, config: { policy: policy.action('review') } }, async (req) => one(await svc.review(req.params.id, actorOf(req), req.body)));
  app.post('/api/alarms/:id/close', { schema: { ...act, body: NoteBody }, config: { policy: policy.action('close') } }, async (req) => one(await svc.close(req.params.id, actorOf(req), req.body)));
  app.post('/api/alarms/:id/shelve', { schema: { ...act, body: ShelveBody }, config: { policy: policy.action('shelve') } }, async (req) => one(await svc.shelve(req.params.id, actorOf(req), req.body)));
  app.post('/api/alarms/:id/suppress', { schema: { ...act, body: ShelveBody }, config: { policy: policy.action('suppress') } }, async (req) => one(await svc.suppress(req.params.id, actorOf(req), req.body)));
  app.post('/api/alarms/:id/reset', { schema: { ...act, body: NoteBody }, config: { policy: policy.action('reset') } }, async (req) => one(await svc.reset(req.params.id, actorOf(req), req.body)));
  app.post('/api/alarms/:id/urge', { schema: { ...act, body: UrgeBody }, config: { policy: policy.action('urge') } }, async (req) => one(await svc.urge(req.params.id, actorOf(req), req.body)));
  app.post('/api/alarms/:id/comment', { schema: { ...act, body: CommentBody }, config: { policy: policy.action('comment') } }, async (req) => one(await svc.comment(req.params.id, actorOf(req), req.body)));
  app.post('/api/alarms/:id/unshelve', { schema: { ...act, body: NoteBody }, config: { policy: policy.action('unshelve') } }, async (req) => one(await svc.unshelve(req.params.id, actorOf(req))));
}
