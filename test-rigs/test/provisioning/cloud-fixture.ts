/**
 * A real cloud (CloudService: HTTP API, ingest worker, provisioning) and a private Mosquitto with mutual
 * TLS, CRL and the per-gateway ACL, both trusting the cloud's CA. The CA is made first in the cloud's data
 * folder, so the broker can be started before the cloud connects to it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, type Clock } from '@safeloop/contract';
import { CloudService } from '@safeloop/cloud/cloud-service';
import { checkGatewayConfig } from '@safeloop/gateway/config-check';
import { CloudConfigSchema } from '@safeloop/cloud/config';
import { CertificateAuthority } from '@safeloop/cloud/provisioning/index';
import { startSecureMosquitto, type SecureMosquitto } from '@safeloop/test-rigs';

export class OffsetClock implements Clock {
  offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  monotonic(): number {
    return performance.now() + this.offsetMs;
  }
}

const SEED = `
regions:
  - { code: '620000', name: 甘肃省 }
  - { code: '620100', name: 兰州市 }
  - { code: '620102', name: 城关区 }
enterprises:
  - { id: ent-a, name: Tailings Co, regionCode: '620102' }
  - { id: ent-b, name: Tank Farm Co, regionCode: '620102' }
sites:
  - { id: dam1, enterpriseId: ent-a, name: Dam 1, type: tailings, lat: 36.05, lon: 103.8 }
  - { id: tank9, enterpriseId: ent-b, name: Tank 9, type: hazchem, lat: 36.06, lon: 103.81 }
users:
  - { username: tech-a, password: safeloop, name: Technician A, role: field_technician, enterpriseId: ent-a }
  - { username: oper-a, password: safeloop, name: Operator A, role: enterprise_operator, enterpriseId: ent-a }
  - { username: admin, password: safeloop, name: Admin, role: admin }
`;

export interface CloudFixture {
  dir: string;
  clock: OffsetClock;
  cloud: CloudService;
  broker: SecureMosquitto;
  ca: CertificateAuthority;
  ingestTls: { ca: string; cert: string; key: string };
  login(username: string): Promise<(method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>>;
  stop(): Promise<void>;
}

export async function startCloudFixture(): Promise<CloudFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'safeloop-prov-'));
  const clock = new OffsetClock();
  const ca = await CertificateAuthority.openOrCreate({ dir: join(dir, 'data', 'ca') });
  await ca.writeCrl([]);
  const server = await ca.issueServerCertificate(['localhost', '127.0.0.1']);
  const ingest = await ca.issueServiceCertificate('cloud-ingest');
  const ingestTls = { ca: ca.caFile, cert: join(dir, 'ingest.crt'), key: join(dir, 'ingest.key') };
  writeFileSync(ingestTls.cert, ingest.certificatePem);
  writeFileSync(ingestTls.key, ingest.keyPem, { mode: 0o600 });
  writeFileSync(join(dir, 'seed.yaml'), SEED);
  let broker: SecureMosquitto | undefined;
  let cloud: CloudService | undefined;
  try {
    broker = await startSecureMosquitto({ caFile: ca.caFile, serverCertPem: server.certificatePem, serverKeyPem: server.keyPem, crlFile: ca.crlFile });
    const b = broker;
    const config = CloudConfigSchema.parse({
      http: { host: '127.0.0.1', port: 0 },
      store: { kind: 'sqlite', path: join(dir, 'data', 'cloud.db') },
      mqtt: { url: b.url, tls: ingestTls, clientId: 'cloud-ingest' },
      seed: join(dir, 'seed.yaml'),
      auth: { secretFile: join(dir, 'data', 'token-secret') },
      web: { enabled: false },
      workers: { ingest: true, escalation: false },
    });
    cloud = await CloudService.start(config, {
      logger: silentLogger,
      validateGatewayConfig: checkGatewayConfig,
      clock,
      provisioning: { brokerUrl: b.url, renew: { host: '127.0.0.1', port: 0, hostnames: ['localhost', '127.0.0.1'] }, onCrlChanged: () => b.reload() },
    });
  } catch (err) {
    await cloud?.stop();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const c = cloud;
  const br = broker;
  return {
    dir,
    clock,
    cloud: c,
    broker: br,
    ca,
    ingestTls,
    async login(username) {
      const r = await fetch(`${c.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'safeloop' }) });
      const { token } = (await r.json()) as { token: string };
      return async (method, path, body) => {
        const res = await fetch(`${c.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        return { status: res.status, body: (await res.json()) as any };
      };
    },
    async stop() {
      await c.stop();
      await br.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
