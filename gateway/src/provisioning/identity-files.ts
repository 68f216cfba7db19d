/**
 * The gateway's identity on disk: a key pair generated here (the private key never leaves the box, mode
 * 0600), a CSR for the cloud, and the certificate + CA the cloud returns. Writes are atomic (temp + rename).
 */
import { chmodSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EC_ALG, subtle, x509 } from './x509.ts';

export interface IdentityPaths {
  dir: string;
  key: string;
  cert: string;
  ca: string;
}

export function identityPaths(dir: string): IdentityPaths {
  return { dir, key: join(dir, 'gateway.key'), cert: join(dir, 'gateway.crt'), ca: join(dir, 'ca.crt') };
}

/** A new EC P-256 key pair and a CSR signed with it (subject CN = the requested id, or a placeholder). */
export async function generateKeyAndCsr(commonName = 'safeloop-gateway'): Promise<{ keyPem: string; csrPem: string }> {
  const keys = (await subtle.generateKey(EC_ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=${commonName}`, keys, signingAlgorithm: EC_ALG });
  const keyPem = x509.PemConverter.encode(await subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
  return { keyPem: `${keyPem}\n`, csrPem: `${csr.toString('pem')}\n` };
}

export function writeAtomic(file: string, text: string, mode: number): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}

export function ensureIdentityDir(dir: string): void {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** notAfter (epoch ms) and CN of a PEM certificate. */
export function describeCertificate(pem: string): { commonName: string; notAfter: number; serial: string } {
  const cert = new x509.X509Certificate(pem);
  const cn = /CN=([^,]+)/.exec(cert.subject)?.[1] ?? '';
  return { commonName: cn, notAfter: cert.notAfter.getTime(), serial: cert.serialNumber.toLowerCase() };
}
