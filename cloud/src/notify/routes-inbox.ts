/**
 * The caller's own notification inbox:
 *   GET  /api/inbox?unread=true&limit=50&before=<ms>  newest first, with the unread count
 *   POST /api/inbox/read  { ids?: [...] }              mark read (all of the caller's when ids is absent)
 * A person sees only notifications addressed to them, and of those only alarms still in their place
 * (a user moved to another county no longer sees the old county's alarms).
 */
import { z } from 'zod';
import { principalOf } from '../http/context.ts';
import { policy } from '../http/policy.ts';
import { scopeAllows } from '../tenancy/scope.ts';
import type { HttpServerDeps, ZApp } from '../api/types.ts';

const InboxQuery = z.object({
  unread: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  before: z.coerce.number().int().nonnegative().optional(),
});
const ReadBody = z.object({ ids: z.array(z.string().min(1).max(64)).max(500).optional() }).default({});

export function registerInboxRoutes(app: ZApp, deps: HttpServerDeps): void {
  const inbox = deps.inbox;
  const me = { policy: policy.anyUser() };
  app.get('/api/inbox', { schema: { tags: ['notifications'], querystring: InboxQuery }, config: me }, async (req) => {
    const p = principalOf(req);
    if (!inbox) return { items: [], unread: 0 };
    const r = await inbox.list(p.user.id, {
      unreadOnly: req.query.unread === 'true',
      ...(req.query.limit !== undefined ? { limit: req.query.limit } : {}),
      ...(req.query.before !== undefined ? { before: req.query.before } : {}),
    });
    return { items: r.items.filter((i) => scopeAllows(p.scope, i.alarm)), unread: r.unread };
  });
  app.post('/api/inbox/read', { schema: { tags: ['notifications'], body: ReadBody }, config: me }, async (req) => {
    const p = principalOf(req);
    const changed = inbox ? await inbox.markRead(p.user.id, deps.clock?.now() ?? Date.now(), req.body.ids) : 0;
    return { marked: changed, unread: inbox ? await inbox.unreadCount(p.user.id) : 0 };
  });
}
