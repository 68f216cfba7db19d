/**
 * The AlarmNotifier: finds the people for each escalation target (the enterprise operator step pages
 * whoever is on the site's current shift), then pushes over every channel — in-app (LiveHub),
 * webhooks (outbox), SMS, work-chat group robots, and for 二级/红 alarms a voice call scheduled for
 * when the SMS has gone unacknowledged for the configured time. Every SMS / call / robot post is a
 * delivery record (delivery-store.ts). Channels are isolated: a failure is recorded, never thrown,
 * and never stops the others. The outcome says whether anybody was reached on a confirming channel,
 * which decides `pushed` versus `push_failed`.
 */
import { errorMessage, withTimeout, type Clock, type Logger } from '@safeloop/contract';
import { ulid } from 'ulid';
import type { User, UserStore } from '../auth/users.ts';
import type { Target } from '../alarms/policy.ts';
import type { AlarmSummary } from '../alarms/summary.ts';
import type { Registry } from '../tenancy/registry.ts';
import { regionContains } from '../tenancy/region-code.ts';
import { alarmMessage } from './alarm-message.ts';
import type { SirenCommander } from './channels.ts';
import type { DeliveryEngine } from './delivery-engine.ts';
import type { DeliveryStore, NewDelivery } from './delivery-store.ts';
import type { DutyRoster } from './duty-roster.ts';
import type { InboxStore } from './inbox.ts';
import type { LiveHub } from './live-hub.ts';
import type { DeliveryPolicy } from './notify-config.ts';
import type { AlarmMessage, ChatRobot } from './providers/types.ts';
import type { AlarmNotification, AlarmNotifier, NotifyOutcome } from './types.ts';
import type { WebhookOutbox } from './webhooks.ts';

/** Where a robot's group sits and which targets it stands for. */
export interface RobotPlacement {
  robot: ChatRobot;
  enterpriseId?: string | undefined;
  regionCode?: string | undefined;
  siteIds?: readonly string[] | undefined;
  targets: readonly Target[];
}

export interface NotificationDispatcherDeps {
  registry: Registry;
  liveHub: LiveHub;
  logger: Logger;
  clock: Clock;
  webhooks?: WebhookOutbox | undefined;
  siren?: SirenCommander | undefined;
  /** Delivery records and the provider clients behind them (absent: in-app and webhooks only). */
  deliveries?: { store: DeliveryStore; engine: DeliveryEngine; policy: DeliveryPolicy; hasSms: boolean; hasVoice: boolean; robots: readonly RobotPlacement[] } | undefined;
  roster?: DutyRoster | undefined;
  /** Every in-app notification stored per recipient with a read mark (absent: live push only). */
  inbox?: InboxStore | undefined;
  /** Dashboard base URL for links in messages. */
  publicUrl?: string | undefined;
  /** Bound on the webhook enqueue and siren command calls. */
  channelTimeoutMs?: number | undefined;
}


function robotHolds(r: RobotPlacement, a: AlarmSummary): boolean {
  if (r.siteIds) return r.siteIds.includes(a.siteId);
  if (r.enterpriseId) return r.enterpriseId === a.enterpriseId;
  if (r.regionCode) return regionContains(r.regionCode, a.regionCode);
  return false;
}

/** A deadline on a notification channel call. */
const deadline = <T>(p: Promise<T>, ms: number, what: string): Promise<T> => withTimeout(p, ms, () => new Error(`${what} timed out after ${ms} ms`));

/** 二级报警 or a 红 warning: the SMS is followed by a voice call if nobody acknowledges. */
export function needsVoiceFollowUp(a: Pick<AlarmSummary, 'level' | 'severity' | 'colour'>): boolean {
  return a.level === 'GAS_2' || a.severity === 'red' || a.colour === 'red';
}

export class NotificationDispatcher implements AlarmNotifier {
  private readonly users: UserStore;
  private readonly log: Logger;

  constructor(private readonly deps: NotificationDispatcherDeps) {
    this.users = deps.registry.users;
    this.log = deps.logger.child({ module: 'cloud:notify' });
  }

  alarmChanged(alarm: AlarmSummary): void {
    try {
      this.deps.liveHub.publishAlarm(alarm);
    } catch (err) {
      this.log.error({ err: errorMessage(err), alarmId: alarm.id }, 'live push failed');
    }
  }

  /** Who a target means for this alarm's place. Managers without a duty stand in for a missing duty holder. */
  async recipients(alarm: AlarmSummary, target: Target): Promise<{ users: User[]; note?: string }> {
    const ent = alarm.enterpriseId;
    switch (target) {
      case 'operator': {
        const all = await this.users.recipients({ role: 'enterprise_operator', enterpriseId: ent });
        if (!this.deps.roster) return { users: all };
        const duty = await this.deps.roster.onDuty(alarm.siteId, this.deps.clock.now());
        if (!duty.hasRoster) return { users: all, note: 'no duty roster for the site: every operator paged' };
        const onShift = all.filter((u) => duty.usernames.includes(u.username));
        if (onShift.length === 0) return { users: all, note: 'nobody of the roster on shift now: every operator paged' };
        return { users: onShift, note: `on duty: ${duty.shifts.join(', ')}` };
      }
      case 'technical':
      case 'principal': {
        const exact = await this.users.recipients({ role: 'enterprise_manager', enterpriseId: ent, duty: target });
        return { users: exact.length > 0 ? exact : await this.users.recipients({ role: 'enterprise_manager', enterpriseId: ent }) };
      }
      case 'county':
        return { users: alarm.regionCode.length === 6 ? await this.users.recipients({ role: 'county_monitor', regionCode: alarm.regionCode }) : [] };
      case 'city':
        return { users: alarm.regionCode.length >= 4 ? await this.users.recipients({ role: 'city_monitor', regionCode: alarm.regionCode.slice(0, 4) }) : [] };
      case 'province':
        return { users: alarm.regionCode.length >= 2 ? await this.users.recipients({ role: 'province_monitor', regionCode: alarm.regionCode.slice(0, 2) }) : [] };
    }
  }

  private async message(n: AlarmNotification): Promise<AlarmMessage> {
    const site = await this.deps.registry.getSite(n.alarm.siteId).catch(() => undefined);
    return alarmMessage(n.alarm, n, { enterpriseName: site?.enterpriseName, siteName: site?.name }, this.deps.publicUrl);
  }

  async notify(n: AlarmNotification): Promise<NotifyOutcome> {
    const failures: NotifyOutcome['failures'] = [];
    const people = new Map<string, User>();
    const byTarget = new Map<Target, User[]>();
    const notes: string[] = [];
    for (const target of n.targets) {
      try {
        const r = await this.recipients(n.alarm, target);
        byTarget.set(target, r.users);
        if (r.note) notes.push(r.note);
        for (const u of r.users) people.set(u.id, u);
      } catch (err) {
        failures.push({ channel: `recipients:${target}`, error: errorMessage(err) });
      }
    }
    const users = [...people.values()];
    const msg = await this.message(n);
    const notificationId = ulid();
    const extra = { ...(n.from ? { from: n.from } : {}), ...(n.note !== undefined ? { note: n.note } : {}), ...(n.dueAt !== undefined ? { dueAt: n.dueAt } : {}) };
    const payload = { id: notificationId, at: this.deps.clock.now(), reason: n.reason, level: n.level, targets: n.targets, alarm: n.alarm, text: msg.text, ...extra, ...(n.groupSize !== undefined ? { groupSize: n.groupSize } : {}) };
    const timeout = this.deps.channelTimeoutMs ?? 10_000;

    const channels: Promise<unknown>[] = [];
    // The inbox first: the live push below reaches only whoever is online now.
    if (this.deps.inbox) {
      try {
        await this.deps.inbox.add(
          users.map((u) => u.id),
          { id: notificationId, at: payload.at, reason: n.reason, level: n.level, targets: n.targets, alarm: n.alarm, text: msg.text, ...extra },
        );
      } catch (err) {
        failures.push({ channel: 'inbox', error: errorMessage(err) });
      }
    }
    try {
      this.deps.liveHub.publishNotification(users.map((u) => u.id), payload);
    } catch (err) {
      failures.push({ channel: 'in-app', error: errorMessage(err) });
    }
    const webhooks = this.deps.webhooks;
    if (webhooks) {
      channels.push(deadline(webhooks.enqueue(`alarm.${n.reason}`, n.alarm, payload), timeout, 'webhook enqueue').catch((err: unknown) => failures.push({ channel: 'webhook', error: errorMessage(err) })));
    }
    let reached = false;
    const d = this.deps.deliveries;
    if (d) {
      channels.push(
        this.deliver(n, msg, users, byTarget, notificationId).then(
          (r) => {
            reached = r.reached;
            failures.push(...r.failures);
          },
          (err: unknown) => failures.push({ channel: 'deliveries', error: errorMessage(err) }),
        ),
      );
    }
    await Promise.all(channels);
    if (failures.length > 0) this.log.warn({ alarmId: n.alarm.id, failures }, 'some notification channels failed');
    return { recipients: users.map((u) => u.username), failures, reached, ...(notes.length > 0 ? { notes } : {}) };
  }

  /** Record and send SMS, robot posts (and schedule the voice follow-up); true when anybody was reached. */
  private async deliver(n: AlarmNotification, msg: AlarmMessage, users: User[], byTarget: ReadonlyMap<Target, User[]>, notificationId: string): Promise<{ reached: boolean; failures: NotifyOutcome['failures'] }> {
    const d = this.deps.deliveries;
    if (!d) return { reached: false, failures: [] };
    const now = this.deps.clock.now();
    const base = { alarmId: n.alarm.id, notificationId, reason: n.reason, attempt: 1, confirming: true } as const;
    const now_: NewDelivery[] = [];
    const later: NewDelivery[] = [];
    const phoned = users.filter((u) => u.phone);
    const firstCall = !d.hasSms && d.hasVoice; // no SMS provider: the call is the first channel
    for (const u of phoned) {
      const who = { recipientId: u.id, recipientName: u.username, address: u.phone ?? '', payload: { msg } };
      if (d.hasSms) now_.push({ ...base, ...who, channel: 'sms', provider: 'sms' });
      if (firstCall) now_.push({ ...base, ...who, channel: 'voice', provider: 'voice' });
      else if (d.hasVoice && needsVoiceFollowUp(n.alarm)) later.push({ ...base, ...who, channel: 'voice', provider: 'voice' });
    }
    const contacts = this.deps.roster ? await this.deps.roster.contacts(users.map((u) => u.username)) : new Map();
    for (const r of d.robots) {
      if (!robotHolds(r, n.alarm)) continue;
      const covered = r.targets.filter((t) => n.targets.includes(t));
      if (covered.length === 0) continue;
      const members = [...new Map(covered.flatMap((t) => byTarget.get(t) ?? []).map((u) => [u.id, u])).values()];
      const ids = members.map((u) => (r.robot.kind === 'wecom' ? contacts.get(u.username)?.wecomUserId : contacts.get(u.username)?.dingtalkUserId)).filter((x): x is string => !!x);
      now_.push({
        ...base,
        channel: r.robot.kind,
        provider: r.robot.kind,
        recipientId: null,
        recipientName: `群:${r.robot.name}`,
        address: r.robot.name,
        payload: { msg, mentionMobiles: members.map((u) => u.phone).filter((x): x is string => !!x), mentionUserIds: ids, people: members.map((u) => u.username) },
      });
    }
    for (const row of later) await d.store.insert(row, now, { dueAt: now + d.policy.voiceAfterSec * 1000 });
    const claimed = await Promise.all(now_.map((row) => d.store.insert(row, now, { claimedUntil: now + d.engine.leaseMs })));
    const outcomes = await Promise.all(claimed.map(async (row) => ({ row, outcome: await d.engine.attempt(row, false) })));
    const failures = outcomes.filter((o) => !o.outcome.ok).map((o) => ({ channel: `${o.row.channel}:${o.row.recipientName}`, error: o.outcome.ok ? '' : o.outcome.error }));
    if (now_.length === 0) failures.push({ channel: 'deliveries', error: `nobody to page: ${users.length} recipient(s), ${phoned.length} with a phone, no robot for the place` });
    return { reached: outcomes.some((o) => o.outcome.ok && o.row.confirming), failures };
  }

  async siren(alarm: AlarmSummary, action: 'silence' | 'reset'): Promise<void> {
    const siren = this.deps.siren;
    if (!siren) return;
    try {
      const gateways = await this.deps.registry.gatewaysForSite(alarm.siteId);
      await Promise.all(
        gateways.map((gatewayId) =>
          deadline(siren.sendSiren({ gatewayId, action, alarmId: alarm.id, ...(alarm.point ? { point: alarm.point } : {}) }), this.deps.channelTimeoutMs ?? 10_000, 'siren').catch(
            (err: unknown) => this.log.warn({ err: errorMessage(err), gatewayId, alarmId: alarm.id }, 'siren command failed'),
          ),
        ),
      );
    } catch (err) {
      this.log.warn({ err: errorMessage(err), alarmId: alarm.id }, 'siren command failed');
    }
  }
}
