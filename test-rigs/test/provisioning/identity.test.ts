/**
 * Gateway identity end to end against a real cloud and a real Mosquitto (mutual TLS, CRL, per-gateway ACL):
 * claim codes (scope, one use, expiry), CSR → certificate with the key kept on the gateway, ACL isolation
 * (MQTT 5 reason codes), revocation cutting a gateway off, renewal over mTLS, the expiry alarm, and a
 * claimed gateway's real Uplink delivering readings that the cloud's real IngestWorker stores.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { SafeLoopError, silentLogger, topics } from '@safeloop/contract';
import { caFingerprintOf, claimGateway, describeCertificate, renewCertificate, type ClaimOutcome } from '@safeloop/gateway/provisioning';
import { Journal, JournalConfigSchema } from '@safeloop/gateway/journal';
import { Uplink, UplinkConfigSchema } from '@safeloop/gateway/uplink';
import { CertificateAuthority, CertificateExpiryWatch, ProvisioningService } from '@safeloop/cloud/provisioning/index';
import { startCloudFixture, type CloudFixture } from './cloud-fixture.ts';

let fx: CloudFixture;
before(async () => {
  fx = await startCloudFixture();
});
after(async () => {
  await fx?.stop();
});

async function newCode(site = 'dam1', user = 'tech-a'): Promise<string> {
  const api = await fx.login(user);
  const r = await api('POST', `/api/sites/${site}/claim-codes`, { ttlMinutes: 30 });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.code as string;
}

async function rejects(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof SafeLoopError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
}

function connect(files: { key: string; cert: string; ca: string }, clientId: string): Promise<mqtt.MqttClient> {
  const client = mqtt.connect(fx.broker.url, {
    protocolVersion: 5,
    clientId,
    reconnectPeriod: 0,
    connectTimeout: 4000,
    key: readFileSync(files.key),
    cert: readFileSync(files.cert),
    ca: readFileSync(files.ca),
  });
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
    client.once('close', () => reject(new Error('closed before CONNACK')));
  });
}

const gw: Record<string, ClaimOutcome> = {};

void describe('gateway identity and registration', () => {
  void it('claim codes: only for a site in the caller scope, by a role that may register gateways', async () => {
    const tech = await fx.login('tech-a');
    assert.equal((await tech('POST', '/api/sites/tank9/claim-codes', {})).status, 404, 'other enterprise site is invisible');
    const oper = await fx.login('oper-a');
    assert.equal((await oper('POST', '/api/sites/dam1/claim-codes', {})).status, 403);
    const r = await tech('POST', '/api/sites/dam1/claim-codes', {});
    assert.equal(r.status, 201);
    assert.match(r.body.code, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    assert.ok(r.body.expiresAt > Date.now());
    const rows = await fx.cloud.db.query<{ code_hash: string }>('SELECT code_hash FROM provisioning_claim_codes');
    assert.ok(rows.every((x) => x.code_hash !== r.body.code && /^[0-9a-f]{64}$/.test(x.code_hash)), 'stored hashed');
  });

  void it('claim: key made on the gateway (0600), certificate CN = gateway id, gateway bound to the site', async () => {
    const code = await newCode();
    const out = join(fx.dir, 'gwA');
    const r = await claimGateway({ cloudUrl: fx.cloud.url, caFingerprint: caFingerprintOf(fx.ca.caPem), code, gatewayId: 'gwA', outDir: out });
    gw.gwA = r;
    assert.equal(r.gatewayId, 'gwA');
    assert.equal(r.siteId, 'dam1');
    assert.equal(statSync(r.paths.key).mode & 0o777, 0o600);
    assert.equal(describeCertificate(readFileSync(r.paths.cert, 'utf8')).commonName, 'gwA');
    assert.match(r.uplinkYaml, /url: mqtts:\/\/localhost:\d+/);
    assert.match(r.uplinkYaml, /key: .*gateway\.key/);
    const g = await fx.cloud.registry.getGatewayDetail('gwA');
    assert.deepEqual(g?.siteIds, ['dam1']);
    assert.equal(g?.enterpriseId, 'ent-a');
    assert.ok(g?.certFingerprint && g.certExpiresAt && g.certExpiresAt > Date.now() + 300 * 86_400_000);
    // the private key never left: the cloud stored no key material, only the certificate facts
    const certs = await fx.cloud.db.query<Record<string, unknown>>('SELECT * FROM gateway_certificates WHERE gateway_id = $1', ['gwA']);
    assert.equal(certs.length, 1);
    assert.ok(!JSON.stringify(certs).includes('PRIVATE KEY'));
    gw.gwB = await claimGateway({ cloudUrl: fx.cloud.url, caFingerprint: caFingerprintOf(fx.ca.caPem), code: await newCode(), gatewayId: 'gwB', outDir: join(fx.dir, 'gwB') });
  });

  void it('a CSR that is not one (or whose signature fails) is refused with 400 and does not burn the code', async () => {
    const code = await newCode();
    const post = async (body: unknown) => {
      const r = await fetch(`${fx.cloud.url}/api/provision/claim`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: r.status, body: (await r.json()) as { error?: { message: string } } };
    };
    const garbage = await post({ code, gatewayId: 'gwX', csrPem: `-----BEGIN CERTIFICATE REQUEST-----\n${'A'.repeat(200)}\n-----END CERTIFICATE REQUEST-----` });
    assert.equal(garbage.status, 400);
    assert.match(garbage.body.error?.message ?? '', /csrPem/);
    const badId = await post({ code, gatewayId: 'gw/../x', csrPem: 'x'.repeat(120) });
    assert.equal(badId.status, 400);
    const r = await claimGateway({ cloudUrl: fx.cloud.url, caFingerprint: caFingerprintOf(fx.ca.caPem), code, gatewayId: 'gwX', outDir: join(fx.dir, 'gwX') });
    assert.equal(r.gatewayId, 'gwX', 'the code still works after the refused attempts');
  });

  void it('a used, an expired and an unknown code are refused with clear messages; an unreachable cloud too', async () => {
    const code = await newCode();
    await claimGateway({ cloudUrl: fx.cloud.url, caFingerprint: caFingerprintOf(fx.ca.caPem), code, gatewayId: 'gwC', outDir: join(fx.dir, 'gwC') });
    await rejects(claimGateway({ cloudUrl: fx.cloud.url, caFingerprint: caFingerprintOf(fx.ca.caPem), code, gatewayId: 'gwD', outDir: join(fx.dir, 'gwD') }), 'GW_ERR_CLAIM_USED', /already used .*gwC.*new code/);
    const old = await newCode();
    fx.clock.offsetMs = 31 * 60_000;
    try {
      await rejects(claimGateway({ cloudUrl: fx.cloud.url, caFingerprint: caFingerprintOf(fx.ca.caPem), code: old, outDir: join(fx.dir, 'gwE') }), 'GW_ERR_CLAIM_EXPIRED', /expired .*new code/);
    } finally {
      fx.clock.offsetMs = 0;
    }
    await rejects(claimGateway({ cloudUrl: fx.cloud.url, caFingerprint: caFingerprintOf(fx.ca.caPem), code: 'AAAA-BBBB-CCCC', outDir: join(fx.dir, 'gwF') }), 'GW_ERR_CLAIM_UNKNOWN', /not recognised/);
    await rejects(claimGateway({ cloudUrl: 'http://127.0.0.1:9', caFingerprint: caFingerprintOf(fx.ca.caPem), code: 'AAAA-BBBB-CCCC', outDir: join(fx.dir, 'gwG'), timeoutMs: 3000 }), 'GW_ERR_CLOUD_UNREACHABLE', /cannot reach the cloud/);
    assert.equal(await fx.cloud.registry.getGatewayDetail('gwD'), undefined);
  });

  void it('over plain http the CA must be pinned: no fingerprint is refused before anything is sent, a wrong one before anything is written', async () => {
    const code = await newCode();
    await rejects(claimGateway({ cloudUrl: fx.cloud.url, code, gatewayId: 'gwP', outDir: join(fx.dir, 'gwP') }), 'GW_ERR_CLAIM_INSECURE', /unauthenticated.*https.*--ca-fingerprint/);
    await rejects(claimGateway({ cloudUrl: 'ftp://cloud.example.org', code, outDir: join(fx.dir, 'gwP') }), 'GW_ERR_CLAIM_INSECURE', /refusing to claim over ftp/);
    const wrong = 'AB:'.repeat(31) + 'AB';
    await rejects(claimGateway({ cloudUrl: fx.cloud.url, caFingerprint: wrong, code, gatewayId: 'gwP', outDir: join(fx.dir, 'gwP') }), 'GW_ERR_CLAIM_CA_MISMATCH', /nothing was written/);
    assert.ok(!existsSync(join(fx.dir, 'gwP', 'ca.crt')) && !existsSync(join(fx.dir, 'gwP', 'gateway.crt')), 'no identity written under a CA that does not match the pin');
  });

  void it('broker ACL: gateway A cannot publish as B (MQTT 5 reason 135) nor receive B commands, even subscribed to #; A works on its own topics', async () => {
    const a = await connect(gw.gwA!.paths, 'gwA');
    const cloudSide = await connect({ key: fx.ingestTls.key, cert: fx.ingestTls.cert, ca: fx.ingestTls.ca }, 'acl-probe-cloud');
    try {
      // publish into B's uplink: refused with reason 135
      const denied = await new Promise<Error | undefined>((r) => a.publish(topics.up('gwB', 'telemetry'), '{}', { qos: 1 }, (err) => r(err ?? undefined)));
      assert.ok(denied, 'publish as B must fail');
      assert.equal((denied as Error & { code?: number }).code, 135);
      // subscribe to B's commands (and to everything): Mosquitto grants the SUBACK but checks the ACL on
      // delivery, so nothing of B's ever arrives
      await a.subscribeAsync(topics.down('gwB', 'cmd'), { qos: 1 });
      await a.subscribeAsync('#', { qos: 1 });
      const seen: string[] = [];
      a.on('message', (t) => seen.push(t));
      await a.subscribeAsync(topics.down('gwA', 'cmd'), { qos: 1 });
      await cloudSide.publishAsync(topics.down('gwB', 'cmd'), 'for B', { qos: 1 });
      await cloudSide.publishAsync(topics.down('gwA', 'cmd'), 'for A', { qos: 1 });
      const deadline = Date.now() + 3000;
      while (!seen.includes(topics.down('gwA', 'cmd')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(seen.includes(topics.down('gwA', 'cmd')));
      assert.ok(!seen.some((t) => t.includes('/gwB/')), `A received B's traffic: ${seen.join(', ')}`);
      // and A may publish on its own uplink
      await a.publishAsync(topics.up('gwA', 'status'), 'not json', { qos: 1 });
    } finally {
      a.end(true);
      cloudSide.end(true);
    }
  });

  void it('a claimed gateway real Uplink over mutual TLS delivers readings the real IngestWorker stores', async () => {
    const a = gw.gwA!;
    const journal = Journal.open({ config: JournalConfigSchema.parse({ path: join(fx.dir, 'gwA-journal.db') }), logger: silentLogger });
    const uplink = new Uplink({
      config: UplinkConfigSchema.parse({ transport: 'mqtt', url: a.brokerUrl, tls: { ca: a.paths.ca, cert: a.paths.cert, key: a.paths.key }, delivery: { reconnectMinMs: 100, reconnectMaxMs: 500 } }),
      gatewayId: 'gwA',
      siteId: 'dam1',
      journal,
      logger: silentLogger,
    });
    try {
      await uplink.start();
      const t = Date.now();
      journal.appendTelemetry([{ point: 'dam1/piezo-1/level', value: 12.5, unit: 'm', quality: 'good', sourceTime: t, gatewayTime: t }]);
      uplink.notify();
      const deadline = Date.now() + 10_000;
      while (journal.stats().backlog.telemetry > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(journal.stats().backlog.telemetry, 0, 'acknowledged by the cloud after its commit');
      const latest = await fx.cloud.store.latest({ siteId: 'dam1' });
      assert.ok(latest.some((l) => l.point === 'dam1/piezo-1/level' && l.value === 12.5 && l.gatewayId === 'gwA'), JSON.stringify(latest));
    } finally {
      await uplink.stop();
      journal.close();
    }
  });

  void it('renewal over mTLS: the gateway gets a new certificate for a new local key; a foreign certificate is refused', async () => {
    const renewUrl = gw.gwA!.renewUrl;
    assert.ok(renewUrl);
    const before = describeCertificate(readFileSync(gw.gwA!.paths.cert, 'utf8'));
    const keyBefore = readFileSync(gw.gwA!.paths.key, 'utf8');
    const r = await renewCertificate({ url: renewUrl, dir: gw.gwA!.paths.dir });
    assert.notEqual(r.serial, before.serial);
    assert.equal(r.previousSerial, before.serial);
    assert.notEqual(readFileSync(gw.gwA!.paths.key, 'utf8'), keyBefore, 'new key pair');
    assert.equal(statSync(gw.gwA!.paths.key).mode & 0o777, 0o600);
    assert.equal(describeCertificate(readFileSync(gw.gwA!.paths.cert, 'utf8')).commonName, 'gwA');
    const certs = await fx.cloud.db.query<{ issued_via: string }>('SELECT issued_via FROM gateway_certificates WHERE gateway_id = $1 ORDER BY issued_at', ['gwA']);
    assert.deepEqual(certs.map((c) => c.issued_via), ['claim', 'renew']);
    // the renewed certificate connects to the broker
    (await connect(gw.gwA!.paths, 'gwA')).end(true);
  });

  void it('revocation: POST /api/gateways/:id/revoke rewrites the CRL, the broker reloads it, and B can no longer connect or renew', async () => {
    (await connect(gw.gwB!.paths, 'gwB')).end(true);
    const oper = await fx.login('oper-a');
    assert.equal((await oper('POST', '/api/gateways/gwB/revoke', { reason: 'stolen' })).status, 403);
    const tech = await fx.login('tech-a');
    const r = await tech('POST', '/api/gateways/gwB/revoke', { reason: 'box stolen from the dam' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.revoked.length, 1);
    await assert.rejects(connect(gw.gwB!.paths, 'gwB'));
    await rejects(renewCertificate({ url: gw.gwA!.renewUrl!, dir: gw.gwB!.paths.dir }), 'GW_ERR_RENEW_REFUSED', /revoked/);
    (await connect(gw.gwA!.paths, 'gwA')).end(true);
    const list = await tech('GET', '/api/gateways/gwB/certificates');
    assert.equal(list.body[0].revokeReason, 'box stolen from the dam');
  });

  void it('expiry watch: a system alarm 30 days before a gateway certificate expires, cleared after renewal', async () => {
    const ca = await CertificateAuthority.openOrCreate({ dir: join(fx.dir, 'data', 'ca') });
    const inventory = new ProvisioningService({ db: fx.cloud.db, registry: fx.cloud.registry, ca, clock: fx.clock, logger: silentLogger, brokerUrl: fx.broker.url });
    const watch = new CertificateExpiryWatch({ inventory, registry: fx.cloud.registry, alarms: fx.cloud.alarms, clock: fx.clock, logger: silentLogger });
    assert.deepEqual(await watch.checkOnce(), [], 'nothing close to expiry today');
    const validUntil = (await inventory.validUntilByGateway()).get('gwC')!;
    fx.clock.offsetMs = validUntil - Date.now() - 29 * 86_400_000;
    try {
      const warned = await watch.checkOnce();
      assert.ok(warned.some((w) => w.gatewayId === 'gwC'));
      assert.ok(!warned.some((w) => w.gatewayId === 'gwB'), 'revoked certificates are not watched');
      const open = await fx.cloud.db.query<{ condition_key: string; kind: string; title: string }>("SELECT condition_key, kind, title FROM alarms WHERE condition_key = 'cert-expiry:gwC'");
      assert.equal(open.length, 1);
      assert.equal(open[0]?.kind, 'system');
      assert.match(open[0]?.title ?? '', /gwC: certificate expires in 2\d days/);
    } finally {
      fx.clock.offsetMs = 0;
    }
    // a renewal (here: back to a day when the certificate is far from expiry) clears the condition
    assert.deepEqual(await watch.checkOnce(), []);
    const after = await fx.cloud.db.query<{ condition: string }>("SELECT condition FROM alarms WHERE condition_key = 'cert-expiry:gwC'");
    assert.equal(after[0]?.condition, 'cleared');
  });

  void it('the claim endpoint is rate-limited per client address (429 with a clear message)', async () => {
    const statuses: number[] = [];
    let message = '';
    for (let i = 0; i < 15 && !statuses.includes(429); i++) {
      const r = await fetch(`${fx.cloud.url}/api/provision/claim`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: 'ZZZZ-ZZZZ-ZZZZ', csrPem: 'x'.repeat(120) }) });
      statuses.push(r.status);
      if (r.status === 429) message = ((await r.json()) as { error: { message: string } }).error.message;
    }
    assert.equal(statuses.at(-1), 429, statuses.join(','));
    assert.ok(statuses.slice(0, -1).every((s) => s === 404));
    assert.match(message, /too many claim attempts/);
  });
});
