/**
 * Alibaba Cloud RPC-style request signing (signature version 1.0, HMAC-SHA1), as the provider
 * documents it: sort every parameter except Signature by name, percent-encode names and values per
 * RFC 3986 (unreserved A-Z a-z 0-9 - _ . ~ kept, space as %20, never '+'), join as name=value&…,
 * then StringToSign = METHOD & percentEncode("/") & percentEncode(canonicalQuery), and
 * Signature = Base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign)). Checked against the published
 * DescribeRegions example (aliyun-signature.test.ts).
 */
import { createHmac, randomUUID } from 'node:crypto';

/** RFC 3986 percent-encoding: encodeURIComponent leaves ! ' ( ) * alone, the provider does not. */
export function percentEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function canonicalQuery(params: Readonly<Record<string, string>>): string {
  return Object.keys(params)
    .filter((k) => k !== 'Signature')
    .sort()
    .map((k) => `${percentEncode(k)}=${percentEncode(params[k] ?? '')}`)
    .join('&');
}

export function stringToSign(method: 'GET' | 'POST', params: Readonly<Record<string, string>>): string {
  return `${method}&${percentEncode('/')}&${percentEncode(canonicalQuery(params))}`;
}

export function signRpc(method: 'GET' | 'POST', params: Readonly<Record<string, string>>, accessKeySecret: string): string {
  return createHmac('sha1', `${accessKeySecret}&`).update(stringToSign(method, params), 'utf8').digest('base64');
}

/** ISO 8601 UTC without milliseconds, as the provider expects: 2026-11-28T02:00:00Z. */
export function rpcTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The common parameters plus the action's own, signed; returns the form body to POST. */
export function signedRpcBody(opts: {
  action: string;
  version: string;
  accessKeyId: string;
  accessKeySecret: string;
  params: Readonly<Record<string, string>>;
  now: number;
  regionId?: string;
  nonce?: string;
}): string {
  const all: Record<string, string> = {
    ...opts.params,
    AccessKeyId: opts.accessKeyId,
    Action: opts.action,
    Format: 'JSON',
    RegionId: opts.regionId ?? 'cn-hangzhou',
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: opts.nonce ?? randomUUID(),
    SignatureVersion: '1.0',
    Timestamp: rpcTimestamp(opts.now),
    Version: opts.version,
  };
  const signature = signRpc('POST', all, opts.accessKeySecret);
  return `${canonicalQuery(all)}&Signature=${percentEncode(signature)}`;
}
