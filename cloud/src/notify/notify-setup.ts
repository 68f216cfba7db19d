/**
 * Builds the notification side from the `notify:` config: reads every credential (file or
 * environment), constructs the provider clients, the delivery store and engine, the duty roster,
 * and upserts the config's webhook subscriptions. One call from the composition root; tests call it
 * with endpoints pointing at local provider servers.
 */
import type { Clock, Logger } from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';
import { DeliveryEngine } from './delivery-engine.ts';
import { DeliveryStore } from './delivery-store.ts';
import type { NotificationDispatcherDeps, RobotPlacement } from './dispatcher.ts';
import { DutyRoster } from './duty-roster.ts';
import { InboxStore } from './inbox.ts';
import { migrateNotify } from './migrations.ts';
import type { NotifyConfig } from './notify-config.ts';
import { AliyunSms, AliyunVoice } from './providers/aliyun-comms.ts';
import { DingtalkRobot, WecomRobot } from './providers/chat-robots.ts';
import type { ChatRobot } from './providers/types.ts';
import { readSecret } from './secrets.ts';
import { WebhookOutbox } from './webhooks.ts';

export interface NotifyParts {
  store: DeliveryStore;
  engine: DeliveryEngine;
  roster: DutyRoster;
  webhooks: WebhookOutbox;
  /** For NotificationDispatcher's deps. */
  dispatcherDeps: Pick<NotificationDispatcherDeps, 'deliveries' | 'roster' | 'publicUrl' | 'webhooks' | 'inbox'>;
  inbox: InboxStore;
  /** Provider names configured, for the start-up log. */
  configured: string[];
}

export async function setupNotify(config: NotifyConfig, deps: { db: SqlDb; clock: Clock; logger: Logger; baseDir?: string; workerIntervalMs?: number }): Promise<NotifyParts> {
  const secret = (ref: Parameters<typeof readSecret>[0], what: string): string => readSecret(ref, `notify.${what}`, deps.baseDir);
  const policy = config.delivery;
  const sms = config.sms
    ? new AliyunSms({
        endpoint: config.sms.endpoint,
        credentials: { accessKeyId: secret(config.sms.accessKeyId, 'sms.accessKeyId'), accessKeySecret: secret(config.sms.accessKeySecret, 'sms.accessKeySecret') },
        signName: config.sms.signName,
        templateCode: config.sms.templateCode,
        regionId: config.sms.regionId,
        maxParamLength: config.sms.maxParamLength,
        timeoutMs: policy.timeoutMs,
        clock: deps.clock,
      })
    : undefined;
  const voice = config.voice
    ? new AliyunVoice({
        endpoint: config.voice.endpoint,
        credentials: { accessKeyId: secret(config.voice.accessKeyId, 'voice.accessKeyId'), accessKeySecret: secret(config.voice.accessKeySecret, 'voice.accessKeySecret') },
        ttsCode: config.voice.ttsCode,
        calledShowNumber: config.voice.calledShowNumber,
        playTimes: config.voice.playTimes,
        regionId: config.voice.regionId,
        maxParamLength: config.voice.maxParamLength,
        timeoutMs: policy.timeoutMs,
        clock: deps.clock,
      })
    : undefined;
  const placements: RobotPlacement[] = config.robots.map((r, i) => {
    const robot: ChatRobot =
      r.kind === 'wecom'
        ? new WecomRobot({ name: r.name, baseUrl: r.baseUrl, key: secret(r.key, `robots[${i}].key`), timeoutMs: policy.timeoutMs })
        : new DingtalkRobot({
            name: r.name,
            baseUrl: r.baseUrl,
            accessToken: secret(r.accessToken, `robots[${i}].accessToken`),
            secret: r.secret ? secret(r.secret, `robots[${i}].secret`) : undefined,
            timeoutMs: policy.timeoutMs,
            clock: deps.clock,
          });
    return { robot, enterpriseId: r.enterpriseId, regionCode: r.regionCode, siteIds: r.siteIds, targets: r.targets };
  });
  await migrateNotify(deps.db);
  const store = new DeliveryStore(deps.db);
  const engine = new DeliveryEngine({
    db: deps.db,
    store,
    providers: { sms, voice, robots: new Map(placements.map((p) => [p.robot.name, p.robot])) },
    policy,
    clock: deps.clock,
    logger: deps.logger,
    ...(deps.workerIntervalMs !== undefined ? { intervalMs: deps.workerIntervalMs } : {}),
  });
  const roster = new DutyRoster(deps.db);
  const inbox = new InboxStore(deps.db);
  const webhooks = new WebhookOutbox({ db: deps.db, clock: deps.clock, logger: deps.logger });
  await webhooks.syncConfigSubscriptions(config.webhooks.map((w, i) => ({ ...w, secret: secret(w.secret, `webhooks[${i}].secret`) })));
  return {
    store,
    engine,
    roster,
    webhooks,
    inbox,
    dispatcherDeps: {
      inbox,
      deliveries: { store, engine, policy, hasSms: sms !== undefined, hasVoice: voice !== undefined, robots: placements },
      roster,
      publicUrl: config.publicUrl,
      webhooks,
    },
    configured: [...(sms ? ['sms:aliyun'] : []), ...(voice ? ['voice:aliyun'] : []), ...placements.map((p) => `${p.robot.kind}:${p.robot.name}`)],
  };
}
