/**
 * Alibaba Cloud 短信服务 (SendSms, dysmsapi 2017-05-25) and 语音服务 (SingleCallByTts, dyvmsapi
 * 2017-05-25) as signed RPC calls over HTTPS POST (form body, so phone numbers stay out of URLs
 * and proxy logs). Messages are pre-approved templates: the SMS template and the TTS template must
 * use the variables ${level} ${place} ${point} ${value} (and ${link} for SMS). The reply's `Code` is
 * "OK" with a BizId / CallId on acceptance; flow-control codes (isv.BUSINESS_LIMIT_CONTROL,
 * Throttling*) mean "later"; a bad number, template or credential means retrying cannot help.
 * Acceptance is not handset delivery: delivery receipts (SmsReport / QuerySendDetails) are not read.
 */
import type { Clock } from '@safeloop/contract';
import { signedRpcBody } from './aliyun-signature.ts';
import { jsonBody, networkFailure, type AlarmMessage, type SendOutcome, type SmsProvider, type VoiceProvider } from './types.ts';

export interface AliyunCredentials {
  accessKeyId: string;
  accessKeySecret: string;
}

/** Template variables are capped by the provider; longer values are cut (with an ellipsis). */
export function templateValue(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}

const PERMANENT = /MOBILE_NUMBER_ILLEGAL|_ILLEGAL|TEMPLATE|SIGN_NAME|SignatureDoesNotMatch|InvalidAccessKeyId|Forbidden|MissingParameter|InvalidParameter|InvalidVersion|InvalidAction|isv\.BLACK_KEY|DENY_IP|OUT_OF_SERVICE/i;
const THROTTLED = /LIMIT_CONTROL|Throttling|DAY_LIMIT|FLOW_LIMIT/i;

/** Classify a provider reply (exported for the test server's own checks of the mapping). */
export function aliyunOutcome(status: number, body: Record<string, unknown> | undefined, idField: 'BizId' | 'CallId'): SendOutcome {
  const code = typeof body?.Code === 'string' ? body.Code : undefined;
  const message = typeof body?.Message === 'string' ? body.Message : '';
  if (code === 'OK' && status >= 200 && status < 300) {
    const id = body?.[idField];
    return typeof id === 'string' && id !== '' ? { ok: true, messageId: id } : { ok: true };
  }
  const error = code ? `${code}: ${message}`.slice(0, 300) : `HTTP ${status} without a provider code`;
  if (code && THROTTLED.test(code)) return { ok: false, kind: 'throttled', error };
  if (code && PERMANENT.test(code)) return { ok: false, kind: 'permanent', error };
  return { ok: false, kind: 'retryable', error };
}

interface RpcCallOptions {
  endpoint: string;
  action: string;
  credentials: AliyunCredentials;
  params: Record<string, string>;
  clock: Clock;
  regionId?: string | undefined;
  timeoutMs: number;
  signal: AbortSignal;
}

async function callRpc(o: RpcCallOptions, idField: 'BizId' | 'CallId'): Promise<SendOutcome> {
  const body = signedRpcBody({
    action: o.action,
    version: '2017-05-25',
    accessKeyId: o.credentials.accessKeyId,
    accessKeySecret: o.credentials.accessKeySecret,
    params: o.params,
    now: o.clock.now(),
    ...(o.regionId ? { regionId: o.regionId } : {}),
  });
  try {
    const res = await fetch(o.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', accept: 'application/json' },
      body,
      signal: AbortSignal.any([o.signal, AbortSignal.timeout(o.timeoutMs)]),
    });
    return aliyunOutcome(res.status, await jsonBody(res), idField);
  } catch (err) {
    return networkFailure(err);
  }
}

export interface AliyunSmsOptions {
  name?: string;
  /** Default https://dysmsapi.aliyuncs.com/ (tests point it at a local server). */
  endpoint: string;
  credentials: AliyunCredentials;
  signName: string;
  templateCode: string;
  regionId?: string | undefined;
  maxParamLength: number;
  timeoutMs: number;
  clock: Clock;
}

export class AliyunSms implements SmsProvider {
  readonly name: string;
  constructor(private readonly o: AliyunSmsOptions) {
    this.name = o.name ?? 'aliyun-sms';
  }

  sendSms(phone: string, msg: AlarmMessage, signal: AbortSignal): Promise<SendOutcome> {
    const max = this.o.maxParamLength;
    const vars = { level: msg.level, place: msg.place, point: msg.point, value: msg.value, link: msg.link };
    const templateParam = JSON.stringify(Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, templateValue(v, max)])));
    return callRpc(
      {
        endpoint: this.o.endpoint,
        action: 'SendSms',
        credentials: this.o.credentials,
        params: { PhoneNumbers: phone, SignName: this.o.signName, TemplateCode: this.o.templateCode, TemplateParam: templateParam },
        clock: this.o.clock,
        regionId: this.o.regionId,
        timeoutMs: this.o.timeoutMs,
        signal,
      },
      'BizId',
    );
  }
}

export interface AliyunVoiceOptions {
  name?: string;
  /** Default https://dyvmsapi.aliyuncs.com/. */
  endpoint: string;
  credentials: AliyunCredentials;
  ttsCode: string;
  /** 被叫显号; omitted for the shared number pool (公共模式). */
  calledShowNumber?: string | undefined;
  playTimes: number;
  regionId?: string | undefined;
  maxParamLength: number;
  timeoutMs: number;
  clock: Clock;
}

export class AliyunVoice implements VoiceProvider {
  readonly name: string;
  constructor(private readonly o: AliyunVoiceOptions) {
    this.name = o.name ?? 'aliyun-voice';
  }

  call(phone: string, msg: AlarmMessage, signal: AbortSignal): Promise<SendOutcome> {
    const max = this.o.maxParamLength;
    const vars = { level: msg.level, place: msg.place, point: msg.point, value: msg.value };
    const ttsParam = JSON.stringify(Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, templateValue(v, max)])));
    return callRpc(
      {
        endpoint: this.o.endpoint,
        action: 'SingleCallByTts',
        credentials: this.o.credentials,
        params: {
          CalledNumber: phone,
          TtsCode: this.o.ttsCode,
          TtsParam: ttsParam,
          PlayTimes: String(this.o.playTimes),
          ...(this.o.calledShowNumber ? { CalledShowNumber: this.o.calledShowNumber } : {}),
        },
        clock: this.o.clock,
        regionId: this.o.regionId,
        timeoutMs: this.o.timeoutMs,
        signal,
      },
      'CallId',
    );
  }
}
