/**
 * GET /api/alarms/:id/deliveries — who was paged how and when for one alarm: every delivery
 * attempt (channel, provider, recipient, attempt number, status, provider message id, error, time).
 * Scoped like the alarm itself (404 outside the caller's place); phone numbers are masked.
 */
import { policy } from '../http/policy.ts';
import { z } from 'zod';
import { principalOf } from '../http/context.ts';
import type { HttpServerDeps, ZApp } from '../api/types.ts';
import type { DeliveryRow } from './delivery-store.ts';

/** 13800000001 → 138****0001; anything that is not a phone number is shown as is (robot names). */
export function maskPhone(s: string): string {
  return /^\+?\d{7,}$/.test(s) ? `${s.slice(0, s.length - 8)}****${s.slice(-4)}` : s;
}

export function deliveryView(d: DeliveryRow): Record<string, unknown> {
  return {
    id: d.id,
    notificationId: d.notificationId,
    reason: d.reason,
    channel: d.channel,
    provider: d.provider,
    recipient: d.recipientName,
    address: maskPhone(d.address),
    attempt: d.attempt,
    status: d.status,
    providerMessageId: d.providerMessageId,
    error: d.error,
    createdAt: d.createdAt,
    dueAt: d.status === 'scheduled' ? d.dueAt : null,
    sentAt: d.sentAt,
    ...(d.payload.people ? { people: d.payload.people } : {}),
  };
}

export function registerDeliveryRoutes(app: ZApp, deps: HttpServerDeps): void {
  const store = deps.deliveries;
  app.get('/api/alarms/:id/deliveries', { schema: { tags: ['alarms'], params: z.object({ id: z.string().min(1).max(64) }) }, config: { policy: policy.action('read') } }, async (req) => {
    const a = await deps.alarms.queries.require(req.params.id, principalOf(req).scope);
    const rows = store ? await store.forAlarm(a.id) : [];
    return { alarmId: a.id, state: a.state, deliveries: rows.map(deliveryView) };
  });
}
