/**
 * Provisioning figures: CSR verify + sign by the cloud CA, a whole claim (code lookup, sign, registry
 * upsert, certificate row) on SQLite, and a CRL rewrite with many revoked serials.
 *   node --import tsx cloud/bench/provisioning.bench.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, systemClock } from '@safeloop/contract';
import { SqliteDb } from '../src/db/index.ts';
import { Registry } from '../src/tenancy/index.ts';
import { CertificateAuthority, ProvisioningService } from '../src/provisioning/index.ts';
import { generateKeyAndCsr } from '@safeloop/gateway/provisioning';

const dir = mkdtempSync(join(tmpdir(), 'safeloop-prov-bench-'));
try {
  const ca = await CertificateAuthority.openOrCreate({ dir: join(dir, 'ca') });
  const csrs = await Promise.all(Array.from({ length: 200 }, () => generateKeyAndCsr()));
  let t = performance.now();
  for (const [i, c] of csrs.entries()) await ca.signGatewayCsr(c.csrPem, `gw-${i}`, 397);
  const signMs = (performance.now() - t) / csrs.length;
  console.log(`CSR verify + sign (EC P-256): ${signMs.toFixed(2)} ms each, ${(1000 / signMs).toFixed(0)}/s`);

  const db = new SqliteDb(join(dir, 'cloud.db'));
  const registry = new Registry({ db });
  await registry.migrate();
  await registry.upsertRegion({ code: '620000', name: 'Gansu' });
  await registry.upsertEnterprise({ id: 'e', name: 'E', regionCode: '620000' });
  await registry.upsertSite({ id: 's', enterpriseId: 'e', name: 'S', type: 'tailings', lat: 36, lon: 103 });
  const service = new ProvisioningService({ db, registry, ca, clock: systemClock, logger: silentLogger, brokerUrl: 'mqtts://x:8883' });
  await service.migrate();
  const codes = [];
  for (let i = 0; i < csrs.length; i++) codes.push((await service.createClaimCode('s', { kind: 'all' }, 'bench', 60)).code);
  t = performance.now();
  for (const [i, c] of csrs.entries()) await service.claim({ code: codes[i]!, gatewayId: `gw-${i}`, csrPem: c.csrPem });
  const claimMs = (performance.now() - t) / csrs.length;
  console.log(`claim on SQLite (lookup, sign, registry, certificate row): ${claimMs.toFixed(2)} ms each, ${(1000 / claimMs).toFixed(0)}/s`);

  for (const n of [100, 1000]) {
    const revoked = Array.from({ length: n }, (_, i) => ({ serial: (0x10000000 + i).toString(16), revokedAt: Date.now() }));
    t = performance.now();
    await ca.writeCrl(revoked);
    console.log(`CRL with ${revoked.length} revoked serials: ${(performance.now() - t).toFixed(0)} ms`);
  }
  await db.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
