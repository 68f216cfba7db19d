/**
 * `safeloop provision claim`: generate the key pair here, send only the CSR with the claim code, and write
 * the certificate and CA the cloud returns. Refusals (unknown, used, expired code) and an unreachable
 * cloud come back as SafeLoopErrors with a message a technician can act on.
 *
 * The CA certificate that arrives here is what the gateway will trust from then on, so it must not
 * come from whoever sits on the network: the claim goes over https (the cloud's server certificate
 * checked by the system trust store), or the technician pins the CA's SHA-256 fingerprint, read off
 * the claim-code answer in the cloud, and an answer with any other CA is refused before anything is
 * written. Plain http with no fingerprint is refused.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { SafeLoopError, errorMessage } from '@safeloop/contract';
import { ensureIdentityDir, generateKeyAndCsr, identityPaths, writeAtomic, type IdentityPaths } from './identity-files.ts';

export interface ClaimOptions {
  cloudUrl: string;
  code: string;
  gatewayId?: string | undefined;
  /** Folder for gateway.key, gateway.crt, ca.crt. */
  outDir: string;
  /** Request timeout (default 20 s). */
  timeoutMs?: number;
  /** SHA-256 fingerprint of the cloud's CA certificate (hex, colons optional); required over plain http. */
  caFingerprint?: string | undefined;
}

/** SHA-256 of a PEM certificate's DER bytes, upper-case hex with colons (as `openssl x509 -fingerprint -sha256` prints it). */
export function caFingerprintOf(pem: string): string {
  const der = new X509Certificate(pem).raw;
  return createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)?.join(':') ?? '';
}

const normaliseFingerprint = (f: string): string => f.replace(/[^0-9a-fA-F]/g, '').toUpperCase();

/** Refuse a cloud URL that would let anyone on the path hand the gateway a CA. */
export function checkClaimTransport(cloudUrl: string, caFingerprint: string | undefined): void {
  let url: URL;
  try {
    url = new URL(cloudUrl);
  } catch {
    throw new SafeLoopError('GW_ERR_CLAIM_URL', `--cloud ${cloudUrl} is not a URL (e.g. https://cloud.example.org)`);
  }
  if (caFingerprint !== undefined && normaliseFingerprint(caFingerprint).length !== 64) {
    throw new SafeLoopError('GW_ERR_CLAIM_URL', 'the CA fingerprint must be a SHA-256 (64 hex digits, colons allowed)');
  }
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && caFingerprint !== undefined) return;
  throw new SafeLoopError(
    'GW_ERR_CLAIM_INSECURE',
    `refusing to claim over ${url.protocol.replace(':', '')}: the CA certificate would arrive unauthenticated. Use https://, or pin the cloud CA with --ca-fingerprint (shown with the claim code)`,
  );
}

export interface ClaimOutcome {
  gatewayId: string;
  siteId: string;
  brokerUrl: string;
  renewUrl?: string;
  notAfter: number;
  paths: IdentityPaths;
  /** The uplink section to paste into the gateway config. */
  uplinkYaml: string;
}

interface ClaimResponse {
  gatewayId: string;
  siteId: string;
  certificatePem: string;
  caPem: string;
  broker: { url: string };
  renewUrl?: string;
  notAfter: number;
}

export function uplinkYaml(o: { gatewayId: string; siteId: string; brokerUrl: string; paths: IdentityPaths; renewUrl?: string | undefined }): string {
  return [
    'gateway:',
    `  id: ${o.gatewayId}`,
    `  siteId: ${o.siteId}`,
    'uplink:',
    '  transport: mqtt',
    `  url: ${o.brokerUrl}`,
    '  tls:',
    `    ca: ${o.paths.ca}`,
    `    cert: ${o.paths.cert}`,
    `    key: ${o.paths.key}`,
    ...(o.renewUrl ? [`# certificate renewal: safeloop provision renew --url ${o.renewUrl} --dir ${o.paths.dir}`] : []),
    '',
  ].join('\n');
}

async function post(url: string, body: unknown, timeoutMs: number): Promise<{ status: number; json: unknown }> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const cause = err instanceof Error && err.cause ? `: ${errorMessage(err.cause)}` : '';
    throw new SafeLoopError('GW_ERR_CLOUD_UNREACHABLE', `cannot reach the cloud at ${url} (${errorMessage(err)}${cause}); check the URL and the network`, { cause: err });
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch {
    json = { error: { code: 'NOT_JSON', message: text.slice(0, 200) } };
  }
  return { status: res.status, json };
}

const REFUSALS: Record<number, string> = {
  404: 'GW_ERR_CLAIM_UNKNOWN',
  409: 'GW_ERR_CLAIM_USED',
  410: 'GW_ERR_CLAIM_EXPIRED',
  429: 'GW_ERR_CLAIM_RATE_LIMITED',
};

export async function claimGateway(opts: ClaimOptions): Promise<ClaimOutcome> {
  checkClaimTransport(opts.cloudUrl, opts.caFingerprint);
  const paths = identityPaths(opts.outDir);
  ensureIdentityDir(opts.outDir);
  const { keyPem, csrPem } = await generateKeyAndCsr(opts.gatewayId);
  const url = new URL('/api/provision/claim', opts.cloudUrl).toString();
  const { status, json } = await post(url, { code: opts.code, csrPem, ...(opts.gatewayId ? { gatewayId: opts.gatewayId } : {}) }, opts.timeoutMs ?? 20_000);
  if (status !== 200) {
    const message = (json as { error?: { message?: string } }).error?.message ?? `HTTP ${status}`;
    throw new SafeLoopError(REFUSALS[status] ?? 'GW_ERR_CLAIM_REFUSED', `the cloud refused the claim: ${message}`, { details: { status } });
  }
  const r = json as ClaimResponse;
  if (opts.caFingerprint !== undefined) {
    let got = '';
    try {
      got = caFingerprintOf(r.caPem);
    } catch {
      got = '(not a certificate)';
    }
    if (normaliseFingerprint(got) !== normaliseFingerprint(opts.caFingerprint)) {
      throw new SafeLoopError('GW_ERR_CLAIM_CA_MISMATCH', `the cloud answered with a CA whose fingerprint is ${got}, not the pinned ${opts.caFingerprint}; nothing was written — check the URL and the network path`);
    }
  }
  // Key first (0600), then the certificate that goes with it: a crash in between leaves no mismatched pair in use.
  writeAtomic(paths.key, keyPem, 0o600);
  writeAtomic(paths.cert, r.certificatePem, 0o644);
  writeAtomic(paths.ca, r.caPem, 0o644);
  return {
    gatewayId: r.gatewayId,
    siteId: r.siteId,
    brokerUrl: r.broker.url,
    ...(r.renewUrl ? { renewUrl: r.renewUrl } : {}),
    notAfter: r.notAfter,
    paths,
    uplinkYaml: uplinkYaml({ gatewayId: r.gatewayId, siteId: r.siteId, brokerUrl: r.broker.url, paths, renewUrl: r.renewUrl }),
  };
}
