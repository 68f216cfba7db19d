/**
 * Work-chat group robots: 企业微信 群机器人 and 钉钉 自定义机器人. Both take a JSON POST to a webhook
 * whose URL carries the robot's credential (企业微信 `key`, 钉钉 `access_token`), so the credential is
 * read from a file or the environment, never the config. 钉钉 robots with 加签 also need
 * `timestamp` (epoch ms) and `sign` = urlEncode(Base64(HMAC-SHA256(secret, timestamp + "\n" + secret)))
 * in the query. Messages are plain text with @-mentions of the people on duty (by phone number or
 * work-chat user id), because only text messages carry mentions on both. A reply `errcode` of 0 is
 * acceptance by the group; rate limits (企业微信 45009, 钉钉 130101 / 90030) mean "later".
 */
import { createHmac } from 'node:crypto';
import type { Clock } from '@safeloop/contract';
import { jsonBody, networkFailure, type ChatRobot, type ChatRobotPost, type SendOutcome } from './types.ts';

/** Cut a UTF-8 string to at most `maxBytes` bytes without splitting a character. */
export function cutUtf8(s: string, maxBytes: number): string {
  if (Buffer.byteLength(s) <= maxBytes) return s;
  let out = '';
  let used = 0;
  for (const ch of s) {
    const n = Buffer.byteLength(ch);
    if (used + n > maxBytes - 3) break;
    out += ch;
    used += n;
  }
  return `${out}…`;
}

function robotOutcome(status: number, body: Record<string, unknown> | undefined, throttled: readonly number[], permanent: readonly number[]): SendOutcome {
  const code = typeof body?.errcode === 'number' ? body.errcode : undefined;
  if (status >= 200 && status < 300 && code === 0) return { ok: true };
  const error = code !== undefined ? `errcode ${code}: ${typeof body?.errmsg === 'string' ? body.errmsg : ''}`.slice(0, 300) : `HTTP ${status} without an errcode`;
  if (code !== undefined && throttled.includes(code)) return { ok: false, kind: 'throttled', error };
  if (code !== undefined && permanent.includes(code)) return { ok: false, kind: 'permanent', error };
  return { ok: false, kind: 'retryable', error };
}

async function postJson(url: string, payload: unknown, timeoutMs: number, signal: AbortSignal, classify: (status: number, body: Record<string, unknown> | undefined) => SendOutcome): Promise<SendOutcome> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(payload),
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    });
    return classify(res.status, await jsonBody(res));
  } catch (err) {
    return networkFailure(err);
  }
}

function robotText(p: ChatRobotPost): string {
  const m = p.msg;
  return [`【SafeLoop ${m.reason}】${m.level}`, `地点：${m.place}`, `测点：${m.point}`, `数值：${m.value}`, ...(m.link ? [`详情：${m.link}`] : [])].join('\n');
}

export interface WecomRobotOptions {
  name: string;
  /** Default https://qyapi.weixin.qq.com. */
  baseUrl: string;
  key: string;
  timeoutMs: number;
}

/** 企业微信 群机器人: POST {baseUrl}/cgi-bin/webhook/send?key=KEY, text ≤ 2048 bytes. */
export class WecomRobot implements ChatRobot {
  readonly kind = 'wecom' as const;
  readonly name: string;
  constructor(private readonly o: WecomRobotOptions) {
    this.name = o.name;
  }

  post(p: ChatRobotPost, signal: AbortSignal): Promise<SendOutcome> {
    const url = `${this.o.baseUrl.replace(/\/+$/, '')}/cgi-bin/webhook/send?key=${encodeURIComponent(this.o.key)}`;
    const text = {
      content: cutUtf8(robotText(p), 2048),
      ...(p.mentionUserIds.length > 0 ? { mentioned_list: p.mentionUserIds } : {}),
      ...(p.mentionMobiles.length > 0 ? { mentioned_mobile_list: p.mentionMobiles } : {}),
    };
    // 45009: api freq out of limit (20 messages a minute per robot); 93000: webhook URL invalid or robot removed.
    return postJson(url, { msgtype: 'text', text }, this.o.timeoutMs, signal, (s, b) => robotOutcome(s, b, [45009], [93000, 93004, 40008]));
  }
}

/** 钉钉 加签: the value of the `sign` query parameter (already URL-encoded). */
export function dingtalkSign(secret: string, timestamp: number): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}\n${secret}`, 'utf8').digest('base64');
  return encodeURIComponent(mac);
}

export interface DingtalkRobotOptions {
  name: string;
  /** Default https://oapi.dingtalk.com. */
  baseUrl: string;
  accessToken: string;
  /** The robot's 加签 secret (SEC…); omitted for robots secured by keyword or IP only. */
  secret?: string | undefined;
  timeoutMs: number;
  clock: Clock;
}

/** 钉钉 自定义机器人: POST {baseUrl}/robot/send?access_token=T[&timestamp=MS&sign=S]. */
export class DingtalkRobot implements ChatRobot {
  readonly kind = 'dingtalk' as const;
  readonly name: string;
  constructor(private readonly o: DingtalkRobotOptions) {
    this.name = o.name;
  }

  post(p: ChatRobotPost, signal: AbortSignal): Promise<SendOutcome> {
    let url = `${this.o.baseUrl.replace(/\/+$/, '')}/robot/send?access_token=${encodeURIComponent(this.o.accessToken)}`;
    if (this.o.secret) {
      const ts = this.o.clock.now();
      url += `&timestamp=${ts}&sign=${dingtalkSign(this.o.secret, ts)}`;
    }
    const mentions = [...p.mentionMobiles.map((m) => `@${m}`), ...p.mentionUserIds.map((u) => `@${u}`)].join(' ');
    const payload = {
      msgtype: 'text',
      text: { content: cutUtf8(`${robotText(p)}${mentions ? `\n${mentions}` : ''}`, 18_000) },
      at: { atMobiles: p.mentionMobiles, atUserIds: p.mentionUserIds, isAtAll: false },
    };
    // 130101: sending too fast (20 a minute); 90030: webhook over limit; 310000: keyword / sign / IP check failed.
    return postJson(url, payload, this.o.timeoutMs, signal, (s, b) => robotOutcome(s, b, [130101, 90030], [310000, 300001, 400101]));
  }
}
