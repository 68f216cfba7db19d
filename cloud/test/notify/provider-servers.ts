/**
 * Local stand-ins for the providers, each checking a request exactly as the provider documents it,
 * with the signature recomputed here independently of the client code (own RFC 3986 encoder over
 * UTF-8 bytes, own HMACs): Alibaba Cloud RPC (SendSms / SingleCallByTts, HMAC-SHA1 over the
 * canonicalised query, timestamp freshness, nonce replay), 企业微信 群机器人 (key, text ≤ 2048 bytes,
 * mention lists) and 钉钉 自定义机器人 (access_token, timestamp within an hour, HMAC-SHA256 加签).
 * Each can be told to answer the next N requests with throttling, an error, or silence.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FaultMode = 'throttle' | 'error' | 'hang' | 'reject';

export interface Recorded {
  at: number;
  path: string;
  params: Record<string, string>;
  body: unknown;
}

export interface FakeProvider {
  url: string;
  /** Requests that passed every check and were accepted. */
  accepted: Recorded[];
  /** Requests refused by a check (bad signature, stale timestamp …) with the reason. */
  refused: { reason: string; path: string }[];
  /** Requests answered with an injected fault. */
  faulted: number;
  /** Answer the next `n` requests (Infinity: all) with `mode`. */
  fail(mode: FaultMode, n?: number): void;
  /** Called on every accepted request, before the reply (benchmarks time the first request). */
  onAccepted?: ((r: Recorded) => void) | undefined;
  close(): Promise<void>;
}

/** RFC 3986 encoding over UTF-8 bytes, written independently of the client's. */
export function rfc3986(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function parseForm(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of raw.split('&')) {
    if (!pair) continue;
    const i = pair.indexOf('=');
    out[decodeURIComponent(pair.slice(0, i))] = decodeURIComponent(pair.slice(i + 1));
  }
  return out;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

async function serve(handler: (req: IncomingMessage, res: ServerResponse, body: string, fake: FakeProvider, mode: FaultMode | undefined) => void): Promise<FakeProvider> {
  let faultMode: FaultMode | undefined;
  let faultLeft = 0;
  const hanging = new Set<ServerResponse>();
  let server: Server | undefined;
  const fake = {
    url: '',
    accepted: [] as Recorded[],
    refused: [] as { reason: string; path: string }[],
    faulted: 0,
    onAccepted: undefined as ((r: Recorded) => void) | undefined,
    fail(mode: FaultMode, n = Infinity) {
      faultMode = mode;
      faultLeft = n;
    },
    take(): FaultMode | undefined {
      if (faultMode === undefined || faultLeft <= 0) return undefined;
      faultLeft--;
      this.faulted++;
      return faultMode;
    },
    async close() {
      for (const r of hanging) r.destroy();
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    },
  };
  server = createServer((req, res) => {
    readBody(req).then(
      (body) => {
        const mode = fake.take();
        if (mode === 'hang') {
          hanging.add(res);
          return;
        }
        if (mode === 'reject') {
          req.socket.destroy();
          return;
        }
        handler(req, res, body, fake, mode);
      },
      () => res.destroy(),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

const COMMON = ['AccessKeyId', 'Action', 'Format', 'SignatureMethod', 'SignatureNonce', 'SignatureVersion', 'Timestamp', 'Version', 'Signature'];
const REQUIRED: Record<string, string[]> = {
  SendSms: ['PhoneNumbers', 'SignName', 'TemplateCode', 'TemplateParam'],
  SingleCallByTts: ['CalledNumber', 'TtsCode'],
};

/** Alibaba Cloud RPC endpoint for SendSms and SingleCallByTts. */
export async function startFakeAliyun(o: { accessKeyId: string; accessKeySecret: string; now?: () => number }): Promise<FakeProvider> {
  const nonces = new Set<string>();
  return serve((req, res, body, fake, mode) => {
    const refuse = (status: number, code: string, reason: string): void => {
      fake.refused.push({ reason: `${code}: ${reason}`, path: req.url ?? '' });
      json(res, status, { RequestId: randomUUID(), Code: code, Message: reason });
    };
    if (req.method !== 'POST') return refuse(400, 'InvalidHttpMethod', 'POST expected');
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return refuse(400, 'InvalidContentType', 'form body expected');
    const p = parseForm(body);
    const action = p.Action ?? '';
    for (const k of [...COMMON, ...(REQUIRED[action] ?? [])]) if (!p[k]) return refuse(400, `MissingParameter.${k}`, `${k} is mandatory`);
    if (!REQUIRED[action]) return refuse(404, 'InvalidAction.NotFound', action);
    if (p.Format !== 'JSON' || p.SignatureMethod !== 'HMAC-SHA1' || p.SignatureVersion !== '1.0' || p.Version !== '2017-05-25') return refuse(400, 'InvalidParameter', 'common parameter values');
    if (p.AccessKeyId !== o.accessKeyId) return refuse(404, 'InvalidAccessKeyId.NotFound', 'unknown AccessKeyId');
    const ts = p.Timestamp ?? '';
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(ts)) return refuse(400, 'InvalidTimeStamp.Format', ts);
    if (Math.abs(Date.parse(ts) - (o.now ?? Date.now)()) > 15 * 60_000) return refuse(400, 'InvalidTimeStamp.Expired', ts);
    const canonical = Object.keys(p)
      .filter((k) => k !== 'Signature')
      .sort()
      .map((k) => `${rfc3986(k)}=${rfc3986(p[k] ?? '')}`)
      .join('&');
    const expected = createHmac('sha1', `${o.accessKeySecret}&`).update(`POST&${rfc3986('/')}&${rfc3986(canonical)}`).digest('base64');
    if (expected !== p.Signature) return refuse(400, 'SignatureDoesNotMatch', 'Specified signature is not matched with our calculation.');
    if (nonces.has(p.SignatureNonce ?? '')) return refuse(400, 'SignatureNonceUsed', 'nonce replayed');
    nonces.add(p.SignatureNonce ?? '');
    if (action === 'SendSms') {
      try {
        const vars = JSON.parse(p.TemplateParam ?? '') as Record<string, unknown>;
        for (const k of ['level', 'place', 'point', 'value', 'link']) if (typeof vars[k] !== 'string') return refuse(400, 'isv.TEMPLATE_MISSING_PARAMETERS', `template variable ${k}`);
      } catch {
        return refuse(400, 'isv.INVALID_JSON_PARAM', 'TemplateParam is not JSON');
      }
      if (!/^1\d{10}$/.test(p.PhoneNumbers ?? '')) return refuse(200, 'isv.MOBILE_NUMBER_ILLEGAL', 'invalid mobile number');
    }
    if (mode === 'throttle') return json(res, 200, { RequestId: randomUUID(), Code: 'isv.BUSINESS_LIMIT_CONTROL', Message: '触发分钟级流控Permits:1' });
    if (mode === 'error') return json(res, 503, { RequestId: randomUUID(), Code: 'ServiceUnavailable', Message: 'The request has failed due to a temporary failure of the server.' });
    const rec: Recorded = { at: performance.now(), path: req.url ?? '/', params: p, body: undefined };
    fake.accepted.push(rec);
    fake.onAccepted?.(rec);
    json(res, 200, action === 'SendSms' ? { RequestId: randomUUID(), Code: 'OK', Message: 'OK', BizId: `${fake.accepted.length}^0` } : { RequestId: randomUUID(), Code: 'OK', Message: 'OK', CallId: `${fake.accepted.length}^100` });
  });
}

/** 企业微信 群机器人 webhook. */
export async function startFakeWecom(o: { key: string }): Promise<FakeProvider> {
  return serve((req, res, body, fake, mode) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const refuse = (errcode: number, reason: string): void => {
      fake.refused.push({ reason: `${errcode}: ${reason}`, path: url.pathname });
      json(res, 200, { errcode, errmsg: reason });
    };
    if (req.method !== 'POST' || url.pathname !== '/cgi-bin/webhook/send') return refuse(404, 'not found');
    if (url.searchParams.get('key') !== o.key) return refuse(93000, 'invalid webhook url');
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return refuse(40008, 'invalid message type');
    let msg: { msgtype?: string; text?: { content?: string; mentioned_list?: unknown; mentioned_mobile_list?: unknown } };
    try {
      msg = JSON.parse(body) as typeof msg;
    } catch {
      return refuse(40035, 'invalid json');
    }
    if (msg.msgtype !== 'text' || typeof msg.text?.content !== 'string' || msg.text.content === '') return refuse(40008, 'invalid message type');
    if (Buffer.byteLength(msg.text.content) > 2048) return refuse(40058, 'content exceed max length');
    for (const l of [msg.text.mentioned_list, msg.text.mentioned_mobile_list]) {
      if (l !== undefined && !(Array.isArray(l) && l.every((x) => typeof x === 'string'))) return refuse(40058, 'invalid mention list');
    }
    if (mode === 'throttle') return json(res, 200, { errcode: 45009, errmsg: 'api freq out of limit' });
    if (mode === 'error') return json(res, 502, { errcode: -1, errmsg: 'system busy' });
    const rec: Recorded = { at: performance.now(), path: url.pathname, params: Object.fromEntries(url.searchParams), body: msg };
    fake.accepted.push(rec);
    fake.onAccepted?.(rec);
    json(res, 200, { errcode: 0, errmsg: 'ok' });
  });
}

/** 钉钉 自定义机器人 webhook with 加签. */
export async function startFakeDingtalk(o: { accessToken: string; secret: string; now?: () => number }): Promise<FakeProvider> {
  return serve((req, res, body, fake, mode) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const refuse = (errcode: number, reason: string): void => {
      fake.refused.push({ reason: `${errcode}: ${reason}`, path: url.pathname });
      json(res, 200, { errcode, errmsg: reason });
    };
    if (req.method !== 'POST' || url.pathname !== '/robot/send') return refuse(404, 'not found');
    // Raw query: a URL-encoded signature must not lose '+' to form decoding.
    const raw = Object.fromEntries((url.search.slice(1) || '').split('&').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    if (decodeURIComponent(raw.access_token ?? '') !== o.accessToken) return refuse(300001, 'token is not exist');
    const ts = Number(raw.timestamp);
    if (!Number.isFinite(ts) || Math.abs(ts - (o.now ?? Date.now)()) > 3_600_000) return refuse(310000, 'sign not match, more: timestamp expired');
    const expected = createHmac('sha256', o.secret).update(`${ts}\n${o.secret}`).digest('base64');
    if (decodeURIComponent(raw.sign ?? '') !== expected) return refuse(310000, 'sign not match');
    let msg: { msgtype?: string; text?: { content?: string }; at?: { atMobiles?: unknown; atUserIds?: unknown } };
    try {
      msg = JSON.parse(body) as typeof msg;
    } catch {
      return refuse(40035, 'invalid json');
    }
    if (msg.msgtype !== 'text' || typeof msg.text?.content !== 'string') return refuse(40035, 'missing text content');
    if (mode === 'throttle') return json(res, 200, { errcode: 130101, errmsg: 'send too fast, exceed 20 times per minute' });
    if (mode === 'error') return json(res, 500, { errcode: -1, errmsg: 'system busy' });
    const rec: Recorded = { at: performance.now(), path: url.pathname, params: raw, body: msg };
    fake.accepted.push(rec);
    fake.onAccepted?.(rec);
    json(res, 200, { errcode: 0, errmsg: 'ok' });
  });
}
