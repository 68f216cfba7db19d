/** What the alarm service tells the notification side. Implementations never throw into the lifecycle. */
import type { Target } from '../alarms/policy.ts';
import type { AlarmSummary } from '../alarms/summary.ts';

/**
 * returned: an acknowledged alarm came back (return to alarm) and must be acknowledged again;
 * reminder: an escalation step whose level already acted on the alarm, re-targeted to whoever must act now;
 * urged: a monitor's 督办 (urge with a deadline and a note) to the enterprise; review_requested: feedback
 * on an alarm that needs the supervising level's review was submitted.
 */
export type NotificationReason = 'raised' | 'escalated' | 'reannunciated' | 'realarm' | 'flood' | 'returned' | 'reminder' | 'urged' | 'review_requested';

export interface AlarmNotification {
  reason: NotificationReason;
  alarm: AlarmSummary;
  /** Escalation level reached (0 = enterprise operator). */
  level: number;
  targets: readonly Target[];
  /** For floods: how many alarms the group holds so far. */
  groupSize?: number;
  /** A person who caused the notification (a 督办's monitor), with their note and deadline. */
  from?: { username: string; name: string | null; role: string };
  note?: string;
  dueAt?: number;
}

export interface NotifyOutcome {
  /** Usernames that were notified (in-app at least). */
  recipients: string[];
  /** Channel failures (recorded, never thrown). */
  failures: { channel: string; error: string }[];
  /**
   * True when at least one recipient was reached on a channel that confirms acceptance (SMS, voice,
   * work-chat robot); false → the alarm is `push_failed`. Absent (notifiers without delivery
   * records): decided by whether there were recipients.
   */
  reached?: boolean;
  /** How the recipients were chosen (duty roster, fallbacks). */
  notes?: string[];
}

export interface AlarmNotifier {
  /** Every change of an alarm: live push to dashboards in scope. Synchronous, never throws. */
  alarmChanged(alarm: AlarmSummary): void;
  /** Push to people by role and place over every channel. Resolves even when channels fail. */
  notify(n: AlarmNotification): Promise<NotifyOutcome>;
  /** Silence or reset the local siren at the alarm's site (via the gateway). Never throws. */
  siren(alarm: AlarmSummary, action: 'silence' | 'reset'): Promise<void>;
}

/** A notifier that does nothing and reaches nobody (tests of the lifecycle alone). */
export const nullNotifier: AlarmNotifier = {
  alarmChanged: () => undefined,
  notify: () => Promise.resolve({ recipients: [], failures: [], reached: false }),
  siren: () => Promise.resolve(),
};
