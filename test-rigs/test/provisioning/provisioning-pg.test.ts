/**
 * The provisioning tables and queries on PostgreSQL (the production store): claim (one use, even when two
 * claims race), renewal, revocation with the CRL, validity inventory, desired config versions and audit.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { SafeLoopError, silentLogger, systemClock } from '@safeloop/contract';
import { PgDb, createPgSchema, dropPgSchema } from '@safeloop/cloud/db/index';
import { Registry } from '@safeloop/cloud/tenancy/index';
import { CertificateAuthority, ProvisioningService, RemoteConfigService } from '@safeloop/cloud/provisioning/index';
import { generateKeyAndCsr } from '@safeloop/gateway/provisioning';
import { checkGatewayConfig } from '@safeloop/gateway/config-check';

const PG = process.env.SAFELOOP_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `prov_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
const dir = mkdtempSync(join(tmpdir(), 'safeloop-prov-pg-'));
let db: PgDb;
let registry: Registry;
let service: ProvisioningService;
let remote: RemoteConfigService;

before(async () => {
  await createPgSchema(PG, schema);
  db = new PgDb({ connectionString: PG, schema, max: 4 });
  registry = new Registry({ db, hashPassword: (p) => Promise.resolve(`plain:${p}`) });
  await registry.migrate();
  await registry.upsertRegion({ code: '620000', name: 'Gansu' });
  await registry.upsertEnterprise({ id: 'ent-a', name: 'A', regionCode: '620000' });
  await registry.upsertSite({ id: 'dam1', enterpriseId: 'ent-a', name: 'Dam', type: 'tailings', lat: 36, lon: 103 });
  const ca = await CertificateAuthority.openOrCreate({ dir: join(dir, 'ca') });
  service = new ProvisioningService({ db, registry, ca, clock: systemClock, logger: silentLogger, brokerUrl: 'mqtts://localhost:8883' });
  await service.migrate();
  remote = new RemoteConfigService({ db, registry, clock: systemClock, logger: silentLogger, validate: checkGatewayConfig });
});
after(async () => {
  await db?.close();
  await dropPgSchema(PG, schema);
  rmSync(dir, { recursive: true, force: true });
});

void describe('provisioning on PostgreSQL', () => {
  void it('two racing claims with one code: exactly one wins', async () => {
    const { code } = await service.createClaimCode('dam1', { kind: 'all' }, 'tech', 30);
    const [a, b] = await Promise.all([generateKeyAndCsr(), generateKeyAndCsr()]);
    const results = await Promise.allSettled([
      service.claim({ code, gatewayId: 'gw-pg-1', csrPem: a.csrPem }),
      service.claim({ code, gatewayId: 'gw-pg-2', csrPem: b.csrPem }),
    ]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    assert.equal(ok.length, 1);
    const refused = results.find((r) => r.status === 'rejected');
    assert.ok(refused && refused.reason instanceof SafeLoopError && refused.reason.code === 'CLOUD_ERR_CLAIM_USED');
  });

  void it('revocation writes a CRL openssl accepts and that lists the serial; inventory skips revoked', async () => {
    const { code } = await service.createClaimCode('dam1', { kind: 'all' }, 'tech', 30);
    const { csrPem } = await generateKeyAndCsr();
    await service.claim({ code, gatewayId: 'gw-pg-3', csrPem });
    const certs = await service.listCertificates('gw-pg-3', { kind: 'all' });
    const { crlFile } = await service.revokeGateway('gw-pg-3', { kind: 'all' }, 'admin', 'test');
    const text = execFileSync('openssl', ['crl', '-in', crlFile, '-noout', '-text'], { encoding: 'utf8' });
    assert.match(text.toUpperCase(), new RegExp(certs[0]!.serial.toUpperCase()));
    assert.ok(readFileSync(crlFile, 'utf8').startsWith('-----BEGIN X509 CRL-----'));
    assert.equal((await service.validUntilByGateway()).has('gw-pg-3'), false);
  });

  void it('claim codes listed by status without the code; an unused one expires early, a used one cannot; out of scope is not found', async () => {
    await registry.upsertSite({ id: 'dam2', enterpriseId: 'ent-a', name: 'Dam 2', type: 'tailings', lat: 36, lon: 103 });
    const used = await service.createClaimCode('dam2', { kind: 'all' }, 'tech', 30);
    const spare = await service.createClaimCode('dam2', { kind: 'all' }, 'tech', 30);
    const { csrPem } = await generateKeyAndCsr();
    await service.claim({ code: used.code, gatewayId: 'gw-pg-9', csrPem });
    const list = await service.codes.list('dam2', { kind: 'all' });
    assert.deepEqual(list.map((c) => c.status).sort(), ['open', 'used']);
    assert.equal(list.find((c) => c.status === 'used')?.usedByGateway, 'gw-pg-9');
    assert.ok(!JSON.stringify(list).includes(spare.code) && !JSON.stringify(list).includes(used.code), 'the codes themselves are never listed');
    const open = list.find((c) => c.status === 'open');
    assert.ok(open);
    assert.equal((await service.codes.expire('dam2', open.id, { kind: 'all' })).status, 'expired');
    await assert.rejects(service.claim({ code: spare.code, gatewayId: 'gw-pg-10', csrPem }), (e: unknown) => e instanceof SafeLoopError && e.code === 'CLOUD_ERR_CLAIM_EXPIRED');
    const usedId = list.find((c) => c.status === 'used')?.id ?? '';
    await assert.rejects(service.codes.expire('dam2', usedId, { kind: 'all' }), /already used/);
    await assert.rejects(service.codes.expire('dam2', 'not-hex', { kind: 'all' }), /16 hex characters/);
    await assert.rejects(service.codes.list('dam2', { kind: 'region', regionCode: '360102' }), /site dam2 not found/);
  });

  void it('desired config: versions and audit', async () => {
    const base = { gateway: { id: 'gw-pg-1', siteId: 'dam1' }, uplink: { transport: 'mqtt', url: 'mqtts://localhost:8883', tls: { ca: 'a', cert: 'b', key: 'c' } } };
    const gwId = (await registry.getGatewayDetail('gw-pg-1')) ? 'gw-pg-1' : 'gw-pg-2';
    const cfg = { ...base, gateway: { id: gwId, siteId: 'dam1' } };
    const by = { username: 'tech', ip: '10.0.0.9', scope: { kind: 'all' } as const };
    assert.equal((await remote.put(gwId, cfg, by)).version, 1);
    assert.equal((await remote.put(gwId, { ...cfg, devices: [] }, by)).version, 2);
    const audit = await remote.audit(gwId, { kind: 'all' });
    assert.deepEqual(audit.map((a) => [a.version, a.by, a.ip]), [[1, 'tech', '10.0.0.9'], [2, 'tech', '10.0.0.9']]);
    assert.deepEqual(audit[1]?.diff, [{ path: 'devices', after: [] }]);
  });
});
