/**
 * A gateway that says it is not keeping up (status health degraded or failing: delivery behind
 * production, polls behind, a failing journal) raises one system alarm with its own words; back to ok,
 * the alarm clears. Only transitions between the previous status and this one produce an operation.
 */
import type { StatusMessage } from '@safeloop/contract';
import type { OutboxOp } from '../store/alarm-outbox.ts';
import { bilingualTitle } from '../alarms/title.ts';

export function healthConditionKey(gatewayId: string): string {
  return `health:${gatewayId}`;
}

function previousHealth(statusJson: string | null): StatusMessage['health'] {
  if (!statusJson) return undefined;
  try {
    const v = (JSON.parse(statusJson) as { health?: unknown }).health;
    return v === 'ok' || v === 'degraded' || v === 'failing' ? v : undefined;
  } catch {
    return undefined;
  }
}

const unwell = (h: StatusMessage['health']): boolean => h === 'degraded' || h === 'failing';

export function gatewayHealthOps(gatewayId: string, siteId: string, previousStatus: string | null, msg: StatusMessage): OutboxOp[] {
  if (msg.health === undefined) return [];
  const before = previousHealth(previousStatus);
  if (unwell(msg.health) && (!unwell(before) || before !== msg.health)) {
    const [zh, en] = msg.health === 'failing' ? ['网关故障', 'Gateway failing'] : ['网关运行降级', 'Gateway degraded'];
    const detail = msg.healthDetail ? ` — ${msg.healthDetail}` : '';
    return [
      {
        op: 'raise',
        input: {
          conditionKey: healthConditionKey(gatewayId),
          siteId,
          origin: 'cloud',
          ruleId: 'gateway-health',
          kind: 'system',
          title: bilingualTitle(`${zh}：${gatewayId}${detail}`.slice(0, 150), `${en}: ${gatewayId}${detail}`.slice(0, 150)),
          inputs: { gatewayId, health: msg.health, detail: msg.healthDetail ?? null, devices: msg.devices ?? null, backlog: msg.backlog ?? null },
          at: msg.time,
        },
      },
    ];
  }
  if (!unwell(msg.health) && unwell(before)) {
    return [{ op: 'clear', input: { conditionKey: healthConditionKey(gatewayId), at: msg.time, reason: 'the gateway reports health ok again' } }];
  }
  return [];
}
