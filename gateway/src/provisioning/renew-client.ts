/**
 * Certificate renewal without a visit: a new key pair is generated here, its CSR sent to the cloud's renewal
 * endpoint over mutual TLS authenticated by the current certificate, and the new key and certificate replace
 * the old ones (the old pair is kept as *.previous until the next renewal). Restart the uplink afterwards.
 */
import { chmodSync, copyFileSync, existsSync, readFileSync } from 'node:fs';
import https from 'node:https';
import { SafeLoopError, errorMessage } from '@safeloop/contract';
import { describeCertificate, generateKeyAndCsr, identityPaths, writeAtomic } from './identity-files.ts';

export interface RenewOptions {
  /** The renewal endpoint, e.g. https://cloud.example:8443/renew */
  url: string;
  /** Folder holding gateway.key, gateway.crt, ca.crt. */
  dir: string;
  timeoutMs?: number;
}

export async function renewCertificate(opts: RenewOptions): Promise<{ notAfter: number; serial: string; previousSerial: string }> {
  const paths = identityPaths(opts.dir);
  for (const f of [paths.key, paths.cert, paths.ca]) {
    if (!existsSync(f)) throw new SafeLoopError('GW_ERR_IDENTITY_MISSING', `${f} is missing: claim the gateway first (safeloop provision claim)`);
  }
  const current = { key: readFileSync(paths.key), cert: readFileSync(paths.cert), ca: readFileSync(paths.ca) };
  const previous = describeCertificate(current.cert.toString('utf8'));
  const { keyPem, csrPem } = await generateKeyAndCsr(previous.commonName);
  const url = new URL(opts.url);
  const body = JSON.stringify({ csrPem });
  const { status, json } = await new Promise<{ status: number; json: unknown }>((resolve, reject) => {
    const req = https.request(
      { method: 'POST', hostname: url.hostname, port: url.port, path: url.pathname, key: current.key, cert: current.cert, ca: current.ca, headers: { 'content-type': 'application/json' }, timeout: opts.timeoutMs ?? 20_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown });
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  }).catch((err: unknown) => {
    throw new SafeLoopError('GW_ERR_CLOUD_UNREACHABLE', `renewal at ${opts.url} failed: ${errorMessage(err)}`, { cause: err });
  });
  if (status !== 200) {
    const message = (json as { error?: { message?: string } }).error?.message ?? `HTTP ${status}`;
    throw new SafeLoopError('GW_ERR_RENEW_REFUSED', `the cloud refused the renewal: ${message}`, { details: { status } });
  }
  const r = json as { certificatePem: string; caPem: string; notAfter: number; serial: string };
  const issued = describeCertificate(r.certificatePem);
  if (issued.commonName !== previous.commonName) throw new SafeLoopError('GW_ERR_RENEW_REFUSED', `renewed certificate names ${issued.commonName}, expected ${previous.commonName}`);
  copyFileSync(paths.key, `${paths.key}.previous`);
  chmodSync(`${paths.key}.previous`, 0o600);
  copyFileSync(paths.cert, `${paths.cert}.previous`);
  writeAtomic(paths.key, keyPem, 0o600);
  writeAtomic(paths.cert, r.certificatePem, 0o644);
  writeAtomic(paths.ca, r.caPem, 0o644);
  return { notAfter: issued.notAfter, serial: issued.serial, previousSerial: previous.serial };
}
