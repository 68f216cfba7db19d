/**
 * The cloud's certificate authority for gateway identities. Key and certificate are generated on first
 * start under the cloud data directory (key file mode 0600) and reused afterwards. It signs gateway CSRs
 * into client certificates whose CN is the gateway id (whatever the CSR's subject said), issues server
 * and service certificates (broker, renewal endpoint, cloud ingest) and writes the CRL the broker reads.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SafeLoopError, errorMessage, ID_PATTERN } from '@safeloop/contract';
import { EC_ALG, subtle, x509 } from './x509.ts';

const DAY_MS = 86_400_000;

export interface IssuedCertificate {
  certificatePem: string;
  /** Hex, lower case, as Mosquitto and openssl print it (without leading zeros stripped). */
  serial: string;
  /** SHA-256 of the DER, hex lower case. */
  fingerprint: string;
  notBefore: number;
  notAfter: number;
}

export interface CaOptions {
  /** Folder for ca.key, ca.crt and crl.pem (created 0700). */
  dir: string;
  now?: () => number;
  /** Subject of a new CA. */
  commonName?: string;
  caValidityDays?: number;
}

function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0] ?? 0) & 0x7f; // positive
  if (b[0] === 0) b[0] = 1; // no leading zero byte, so the hex form is canonical
  return b.toString('hex');
}

export function fingerprintOf(cert: x509.X509Certificate): string {
  return createHash('sha256').update(Buffer.from(cert.rawData)).digest('hex');
}

function writePrivate(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export class CertificateAuthority {
  private constructor(
    readonly dir: string,
    readonly certificate: x509.X509Certificate,
    private readonly privateKey: CryptoKey,
    private readonly now: () => number,
  ) {}

  /** Load the CA from `dir`, or create one there on first start. */
  static async openOrCreate(opts: CaOptions): Promise<CertificateAuthority> {
    const now = opts.now ?? Date.now;
    mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    const keyFile = join(opts.dir, 'ca.key');
    const certFile = join(opts.dir, 'ca.crt');
    if (existsSync(keyFile) && existsSync(certFile)) {
      try {
        const der = x509.PemConverter.decodeFirst(readFileSync(keyFile, 'utf8'));
        const key = await subtle.importKey('pkcs8', der, EC_ALG, false, ['sign']);
        return new CertificateAuthority(opts.dir, new x509.X509Certificate(readFileSync(certFile, 'utf8')), key, now);
      } catch (err) {
        throw new SafeLoopError('CLOUD_ERR_CA', `certificate authority in ${opts.dir} cannot be loaded: ${errorMessage(err)}`, { cause: err });
      }
    }
    const keys = (await subtle.generateKey(EC_ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
    const t = now();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial(),
      name: `CN=${opts.commonName ?? 'SafeLoop Gateway CA'}, O=SafeLoop`,
      notBefore: new Date(t - 60_000),
      notAfter: new Date(t + (opts.caValidityDays ?? 3650) * DAY_MS),
      keys,
      signingAlgorithm: EC_ALG,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const pkcs8 = await subtle.exportKey('pkcs8', keys.privateKey);
    writePrivate(keyFile, x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'));
    writeFileSync(certFile, cert.toString('pem') + '\n', { mode: 0o644 });
    return new CertificateAuthority(opts.dir, cert, keys.privateKey, now);
  }

  get caPem(): string {
    return `${this.certificate.toString('pem')}\n`;
  }

  get caFile(): string {
    return join(this.dir, 'ca.crt');
  }

  get crlFile(): string {
    return join(this.dir, 'crl.pem');
  }

  /**
   * Sign a gateway's CSR (PEM) into a client certificate with CN = gatewayId. The CSR's own signature
   * is checked (proof that the requester holds the private key) and its key must be EC P-256/P-384 or RSA ≥ 2048.
   */
  async signGatewayCsr(csrPem: string, gatewayId: string, validityDays: number): Promise<IssuedCertificate> {
    if (!ID_PATTERN.test(gatewayId)) throw new SafeLoopError('CLOUD_ERR_VALIDATION', `gateway id ${JSON.stringify(gatewayId)} is not a valid id`);
    let csr: x509.Pkcs10CertificateRequest;
    try {
      csr = new x509.Pkcs10CertificateRequest(csrPem);
    } catch (err) {
      throw new SafeLoopError('CLOUD_ERR_VALIDATION', `csrPem is not a PEM certificate signing request: ${errorMessage(err)}`, { cause: err });
    }
    if (!(await csr.verify())) throw new SafeLoopError('CLOUD_ERR_VALIDATION', 'csrPem: the request signature does not verify');
    const alg = csr.publicKey.algorithm as { name: string; namedCurve?: string; modulusLength?: number };
    const okKey =
      (alg.name === 'ECDSA' && (alg.namedCurve === 'P-256' || alg.namedCurve === 'P-384')) ||
      (alg.name.startsWith('RSA') && (alg.modulusLength ?? 0) >= 2048);
    if (!okKey) throw new SafeLoopError('CLOUD_ERR_VALIDATION', `csrPem: key ${alg.name} ${alg.namedCurve ?? alg.modulusLength ?? ''} not accepted (EC P-256/P-384 or RSA ≥ 2048)`);
    return this.issue({
      subject: `CN=${gatewayId}`,
      publicKey: csr.publicKey,
      validityDays,
      extendedKeyUsage: [x509.ExtendedKeyUsage.clientAuth],
    });
  }

  /** A server certificate (key made here) for the broker or the renewal endpoint. */
  async issueServerCertificate(hostnames: readonly string[], validityDays = 825): Promise<IssuedCertificate & { keyPem: string }> {
    const keys = (await subtle.generateKey(EC_ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
    const names = hostnames.map((h) => (/^[\d.]+$|:/.test(h) ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h }));
    const issued = await this.issue({
      subject: `CN=${hostnames[0] ?? 'localhost'}`,
      publicKey: keys.publicKey,
      validityDays,
      extendedKeyUsage: [x509.ExtendedKeyUsage.serverAuth],
      altNames: names,
    });
    return { ...issued, keyPem: x509.PemConverter.encode(await subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY') };
  }

  /** A client certificate for a cloud service identity (e.g. `cloud-ingest`), key made here. */
  async issueServiceCertificate(commonName: string, validityDays = 825): Promise<IssuedCertificate & { keyPem: string }> {
    const keys = (await subtle.generateKey(EC_ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
    const issued = await this.issue({ subject: `CN=${commonName}`, publicKey: keys.publicKey, validityDays, extendedKeyUsage: [x509.ExtendedKeyUsage.clientAuth] });
    return { ...issued, keyPem: x509.PemConverter.encode(await subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY') };
  }

  /** Write crl.pem listing the revoked serials (atomically; the broker reads it on start/reload). */
  async writeCrl(revoked: readonly { serial: string; revokedAt: number }[], nextUpdateDays = 30): Promise<string> {
    const t = this.now();
    const crl = await x509.X509CrlGenerator.create({
      issuer: this.certificate.subject,
      thisUpdate: new Date(t - 60_000),
      nextUpdate: new Date(t + nextUpdateDays * DAY_MS),
      entries: revoked.map((r) => ({ serialNumber: r.serial, revocationDate: new Date(r.revokedAt), reason: x509.X509CrlReason.keyCompromise })),
      signingKey: this.privateKey,
      signingAlgorithm: EC_ALG,
    });
    const tmp = `${this.crlFile}.tmp`;
    // openssl (and so Mosquitto) wants the 'X509 CRL' PEM label
    writeFileSync(tmp, `${x509.PemConverter.encode(crl.rawData, 'X509 CRL')}\n`, { mode: 0o644 });
    renameSync(tmp, this.crlFile);
    return this.crlFile;
  }

  private async issue(p: {
    subject: string;
    publicKey: x509.PublicKey | CryptoKey;
    validityDays: number;
    extendedKeyUsage: x509.ExtendedKeyUsage[];
    altNames?: { type: 'dns' | 'ip'; value: string }[];
  }): Promise<IssuedCertificate> {
    const t = this.now();
    const notBefore = t - 5 * 60_000; // tolerate a gateway clock a few minutes behind
    const notAfter = Math.min(t + p.validityDays * DAY_MS, this.certificate.notAfter.getTime());
    const publicKey = p.publicKey instanceof x509.PublicKey ? await p.publicKey.export() : p.publicKey;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: p.subject,
      issuer: this.certificate.subject,
      notBefore: new Date(notBefore),
      notAfter: new Date(notAfter),
      signingAlgorithm: EC_ALG,
      publicKey,
      signingKey: this.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension(p.extendedKeyUsage),
        await x509.AuthorityKeyIdentifierExtension.create(this.certificate),
        ...(p.altNames && p.altNames.length > 0 ? [new x509.SubjectAlternativeNameExtension(p.altNames)] : []),
      ],
    });
    return { certificatePem: `${cert.toString('pem')}\n`, serial: cert.serialNumber.toLowerCase(), fingerprint: fingerprintOf(cert), notBefore, notAfter };
  }
}
