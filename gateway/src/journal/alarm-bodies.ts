/**
 * Alarm-stream events as the journal stores them: checked against the wire schema (with a placeholder
 * id and seq, which the journal assigns), without `historical`, at most 16 KiB of JSON each.
 */
import { AlarmEventSchema, FaultEventSchema, SafeLoopError, SystemEventSchema } from '@safeloop/contract';
import type { AlarmEvent, FaultEvent, SystemEvent } from '@safeloop/contract';

export type NewAlarmEvent = Omit<AlarmEvent, 'id' | 'seq'>;
export type NewSystemEvent = Omit<SystemEvent, 'id' | 'seq'>;
export type NewFaultEvent = Omit<FaultEvent, 'id' | 'seq'>;
/** An alarm-stream event before the journal gives it an id and a seq. */
export type NewAlarmStreamEvent = NewAlarmEvent | NewFaultEvent | NewSystemEvent;

const MAX_ALARM_BODY_BYTES = 16 * 1024;

/** The stored body of an alarm-stream event; throws GW_ERR_JOURNAL_INVALID_EVENT naming the event and the problem. */
export function alarmBody(e: NewAlarmStreamEvent, index: number): { gatewayTime: number; body: string } {
  const withKeys = { ...e, id: '00000000000000000000000000', seq: 1 };
  const parsed = e.type === 'alarm' ? AlarmEventSchema.safeParse(withKeys) : e.type === 'fault' ? FaultEventSchema.safeParse(withKeys) : SystemEventSchema.safeParse(withKeys);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SafeLoopError(
      'GW_ERR_JOURNAL_INVALID_EVENT',
      `journal: alarm-stream event ${index} is invalid: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`,
    );
  }
  const { id: _id, seq: _seq, ...rest } = parsed.data as Record<string, unknown>;
  delete rest['historical'];
  const body = JSON.stringify(rest);
  if (Buffer.byteLength(body) > MAX_ALARM_BODY_BYTES) {
    throw new SafeLoopError('GW_ERR_JOURNAL_INVALID_EVENT', `journal: alarm-stream event ${index} is larger than ${MAX_ALARM_BODY_BYTES} bytes`);
  }
  return { gatewayTime: parsed.data.gatewayTime, body };
}
