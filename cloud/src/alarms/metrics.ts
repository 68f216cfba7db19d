import { Counter, type Registry } from 'prom-client';

export interface AlarmMetrics {
  raised: Counter;
  transitions: Counter<'action'>;
  escalations: Counter<'level'>;
  returned: Counter;
  retargeted: Counter;
}

function counter<L extends string>(registry: Registry | undefined, name: string, help: string, labelNames: L[]): Counter<L> {
  const existing = registry?.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter<L>({ name, help, labelNames, registers: registry ? [registry] : [] });
}

/** The alarm counters, registered once per prom-client Registry (shared by the service and the HTTP server). */
export function alarmMetrics(registry?: Registry): AlarmMetrics {
  return {
    raised: counter(registry, 'safeloop_alarms_raised_total', 'Alarms opened (new occurrences)', []),
    transitions: counter(registry, 'safeloop_alarm_transitions_total', 'Alarm lifecycle actions applied', ['action']),
    escalations: counter(registry, 'safeloop_alarm_escalations_total', 'Escalation steps fired', ['level']),
    returned: counter(registry, 'safeloop_alarms_returned_total', 'Returns to alarm that made an acknowledged alarm unacknowledged again', []),
    retargeted: counter(registry, 'safeloop_alarm_escalations_retargeted_total', 'Escalation steps not climbed because that level already acted on the alarm', []),
  };
}
