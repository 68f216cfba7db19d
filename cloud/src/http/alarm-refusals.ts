/**
 * The alarm's own audit trail records every attempt on it, refused ones included (README-api §6).
 * Role checks now run in the route policy, before the alarm service is reached, so a refused
 * lifecycle action on an alarm the caller can see (an operator trying to review) is appended to
 * that alarm's trail here, as the service itself did before. An alarm outside the caller's scope
 * gets nothing in its trail (its existence stays hidden); the security log has the attempt.
 */
import type { FastifyRequest } from 'fastify';
import type { AlarmService } from '../alarms/alarm-service.ts';
import { appendAudit } from '../alarms/alarm-rows.ts';
import type { SqlDb } from '../db/index.ts';
import type { Principal } from '../auth/auth-service.ts';

const ACTION_ROUTE = /^\/api\/alarms\/:id\/([a-z-]+)$/;

export async function auditRefusedAlarmAction(
  deps: { db: SqlDb; alarms: AlarmService; now: () => number },
  req: FastifyRequest,
  p: Principal,
  code: string,
): Promise<void> {
  const action = ACTION_ROUTE.exec(req.routeOptions.url ?? '')?.[1];
  const id = (req.params as { id?: unknown } | undefined)?.id;
  if (req.method !== 'POST' || code !== 'CLOUD_ERR_FORBIDDEN' || !action || typeof id !== 'string') return;
  const alarm = await deps.alarms.queries.get(id, p.scope);
  if (!alarm) return;
  await appendAudit(deps.db, {
    alarmId: alarm.id,
    at: deps.now(),
    actor: { userId: p.user.id, username: p.user.username, role: p.user.role, ip: req.ip, scope: p.scope },
    action,
    outcome: 'rejected',
    fromState: alarm.state,
    toState: null,
    details: { code, message: `role ${p.user.role} may not ${action} alarms` },
  });
}
