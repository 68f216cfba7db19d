/**
 * What every outbound provider client returns. A provider never throws for a refusal: the outcome
 * says whether the provider accepted the request (with its message id), refused it for throttling
 * (retry later, with a longer wait), refused it for good (bad number, bad template: retrying cannot
 * help) or failed in a way worth retrying (timeout, 5xx, connection refused). The delivery records
 * store exactly this.
 */

export type SendOutcome =
  | { ok: true; messageId?: string }
  | { ok: false; kind: 'throttled' | 'permanent' | 'retryable'; error: string };

/** What a message says about an alarm: the values a provider template fills in. */
export interface AlarmMessage {
  /** 一级报警 / 二级报警 / 红色预警 … */
  level: string;
  /** Enterprise and site name. */
  place: string;
  /** The point path, or '-' for alarms without one. */
  point: string;
  /** Value with unit, or '-'. */
  value: string;
  /** Dashboard link to the alarm (empty when no public URL is configured). */
  link: string;
  /** 新报警 / 报警升级 … */
  reason: string;
  /** The whole message as one line of text (work-chat robots, in-app). */
  text: string;
}

export interface SmsProvider {
  readonly name: string;
  sendSms(phone: string, msg: AlarmMessage, signal: AbortSignal): Promise<SendOutcome>;
}

export interface VoiceProvider {
  readonly name: string;
  call(phone: string, msg: AlarmMessage, signal: AbortSignal): Promise<SendOutcome>;
}

export interface ChatRobotPost {
  msg: AlarmMessage;
  /** Phone numbers to @-mention in the group. */
  mentionMobiles: string[];
  /** Work-chat user ids to @-mention. */
  mentionUserIds: string[];
}

export interface ChatRobot {
  readonly name: string;
  readonly kind: 'wecom' | 'dingtalk';
  post(p: ChatRobotPost, signal: AbortSignal): Promise<SendOutcome>;
}

/** Network-level failure of a fetch → a retryable outcome with a readable reason. */
export function networkFailure(err: unknown): SendOutcome {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return { ok: false, kind: 'retryable', error: 'timed out' };
  const why = e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
  return { ok: false, kind: 'retryable', error: `request failed: ${why}` };
}

/** Read a JSON reply body; a non-JSON body becomes undefined (the caller names the HTTP status). */
export async function jsonBody(res: Response): Promise<Record<string, unknown> | undefined> {
  const text = await res.text();
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
