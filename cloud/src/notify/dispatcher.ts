/**
 * The AlarmNotifier: finds recipients by role and place for each escalation target, then pushes over
 * every channel — in-app (LiveHub), webhooks (outbox), SMS/voice, siren commands. Each channel is
 * isolated: a failure is logged and reported, never thrown, and never stops the others.
 */
import { errorMessage, type Logger } from '@safeloop/contract';
import type { User, UserStore } from '../auth/users.ts';
import type { Target } from '../alarms/policy.ts';
import type { AlarmSummary } from '../alarms/summary.ts';
import type { Registry } from '../tenancy/registry.ts';
import type { SirenCommander, SmsVoiceProvider } from './channels.ts';
import type { LiveHub } from './live-hub.ts';
import type { AlarmNotification, AlarmNotifier, NotifyOutcome } from './types.ts';
import type { WebhookOutbox } from './webhooks.ts';

export interface NotificationDispatcherDeps {
  registry: Registry;
  liveHub: LiveHub;
  logger: Logger;
  webhooks?: WebhookOutbox;
  sms?: SmsVoiceProvider;
  siren?: SirenCommander;
  /** Per-channel call bound. */
  channelTimeoutMs?: number;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_r, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
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
  async recipients(alarm: AlarmSummary, target: Target): Promise<User[]> {
    const ent = alarm.enterpriseId;
    switch (target) {
      case 'operator':
        return this.users.recipients({ role: 'enterprise_operator', enterpriseId: ent });
      case 'technical':
      case 'principal': {
        const exact = await this.users.recipients({ role: 'enterprise_manager', enterpriseId: ent, duty: target });
        return exact.length > 0 ? exact : this.users.recipients({ role: 'enterprise_manager', enterpriseId: ent });
      }
      case 'county':
        return alarm.regionCode.length === 6 ? this.users.recipients({ role: 'county_monitor', regionCode: alarm.regionCode }) : [];
      case 'city':
        return alarm.regionCode.length >= 4 ? this.users.recipients({ role: 'city_monitor', regionCode: alarm.regionCode.slice(0, 4) }) : [];
      case 'province':
        return alarm.regionCode.length >= 2 ? this.users.recipients({ role: 'province_monitor', regionCode: alarm.regionCode.slice(0, 2) }) : [];
    }
  }

  async notify(n: AlarmNotification): Promise<NotifyOutcome> {
    const failures: NotifyOutcome['failures'] = [];
    const people = new Map<string, User>();
    for (const target of n.targets) {
      try {
        for (const u of await this.recipients(n.alarm, target)) people.set(u.id, u);
      } catch (err) {
        failures.push({ channel: `recipients:${target}`, error: errorMessage(err) });
      }
    }
    const users = [...people.values()];
    const text = this.text(n);
    const message = { reason: n.reason, level: n.level, targets: n.targets, alarm: n.alarm, text, ...(n.groupSize !== undefined ? { groupSize: n.groupSize } : {}) };
    const timeout = this.deps.channelTimeoutMs ?? 10_000;

    const channels: Promise<void>[] = [];
    channels.push(
      (async () => {
        this.deps.liveHub.publishNotification(users.map((u) => u.id), message);
      })().catch((err: unknown) => {
        failures.push({ channel: 'in-app', error: errorMessage(err) });
      }),
    );
    const webhooks = this.deps.webhooks;
    if (webhooks) {
      channels.push(
        withTimeout(webhooks.enqueue(`alarm.${n.reason}`, n.alarm, message), timeout, 'webhook enqueue').then(
          () => undefined,
          (err: unknown) => {
            failures.push({ channel: 'webhook', error: errorMessage(err) });
          },
        ),
      );
    }
    const sms = this.deps.sms;
    if (sms) {
      const kind = n.alarm.severity === 'red' || n.level >= 3 ? 'voice' : 'sms';
      for (const u of users) {
        if (!u.phone) continue;
        channels.push(
          withTimeout(sms.send({ to: u.phone, kind, text }), timeout, 'sms').catch((err: unknown) => {
            failures.push({ channel: `sms:${u.username}`, error: errorMessage(err) });
          }),
        );
      }
    }
    await Promise.all(channels);
    if (failures.length > 0) this.log.warn({ alarmId: n.alarm.id, failures }, 'some notification channels failed');
    return { recipients: users.map((u) => u.username), failures };
  }

  async siren(alarm: AlarmSummary, action: 'silence' | 'reset'): Promise<void> {
    const siren = this.deps.siren;
    if (!siren) return;
    try {
      const gateways = await this.deps.registry.gatewaysForSite(alarm.siteId);
      await Promise.all(
        gateways.map((gatewayId) =>
          withTimeout(siren.sendSiren({ gatewayId, action, alarmId: alarm.id, ...(alarm.point ? { point: alarm.point } : {}) }), this.deps.channelTimeoutMs ?? 10_000, 'siren').catch(
            (err: unknown) => this.log.warn({ err: errorMessage(err), gatewayId, alarmId: alarm.id }, 'siren command failed'),
          ),
        ),
      );
    } catch (err) {
      this.log.warn({ err: errorMessage(err), alarmId: alarm.id }, 'siren command failed');
    }
  }

  private text(n: AlarmNotification): string {
    const a = n.alarm;
    const what = n.reason === 'flood' ? `报警泛滥：站点 ${a.siteId} 10 分钟内 ${n.groupSize ?? '多'} 条报警` : a.title;
    const label: Record<AlarmNotification['reason'], string> = {
      raised: '新报警',
      escalated: `报警升级(第${n.level}级)`,
      reannunciated: '报警重新提示',
      realarm: '报警仍未消除',
      flood: '报警泛滥',
      returned: '报警复现(需重新确认)',
      reminder: '报警待处置提醒',
    };
    return `[SafeLoop ${label[n.reason]}] ${what} 站点:${a.siteId}${a.point ? ` 测点:${a.point}` : ''}${a.value !== null ? ` 值:${String(a.value)}${a.unit ?? ''}` : ''}`;
  }
}
