/**
 * The embedded broker outside the demo. docs/deployment.md says one machine with the embedded broker
 * runs a county, and that broker had no authentication: anyone on the network could publish as any
 * gateway or send `config` commands to gateways. Now:
 * 1. bound to a non-loopback address without TLS it refuses to start, naming the fix — also through
 *    CloudService.start (the "done when" of issue 19);
 * 2. with TLS, a client needs a certificate from the project's CA, not on the CRL; a gateway may use
 *    only `safeloop/v1/<its CN>/…` (the Mosquitto recipe's ACL), the cloud's identity the whole tree.
 * Real TLS, real mqtt.js clients, certificates from the project's own CA.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { silentLogger } from '@safeloop/contract';
import { startEmbeddedBroker, topicAllowed } from '../../src/broker/embedded-broker.ts';
import { CloudService } from '../../src/cloud-service.ts';
import { CloudConfigSchema } from '../../src/config.ts';
import { CertificateAuthority } from '../../src/provisioning/index.ts';

test('off loopback without TLS the embedded broker refuses to start, and so does the cloud', async () => {
  for (const host of ['0.0.0.0', '::', '192.0.2.10']) {
    await assert.rejects(startEmbeddedBroker({ host, port: 0, logger: silentLogger }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'CLOUD_ERR_CONFIG');
      assert.match(err.message, new RegExp(`refusing to listen on ${host.replace(/\./g, '\\.')} without TLS.*embeddedBroker\\.tls`));
      return true;
    });
  }
  const dir = mkdtempSync(join(tmpdir(), 'safeloop-broker-'));
  try {
    const config = CloudConfigSchema.parse({
      http: { host: '127.0.0.1', port: 0 },
      store: { kind: 'sqlite', path: join(dir, 'cloud.db') },
      mqtt: { url: 'mqtt://127.0.0.1:1' },
      embeddedBroker: { host: '0.0.0.0', port: 0 },
      auth: { secretFile: join(dir, 'secret') },
      web: { enabled: false },
    });
    await assert.rejects(CloudService.start(config, { logger: silentLogger }), /embedded MQTT broker: refusing to listen on 0\.0\.0\.0 without TLS/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the per-gateway ACL matches the Mosquitto recipe', () => {
  const cloud = new Set(['safeloop-cloud']);
  assert.ok(topicAllowed('gw-a', 'safeloop/v1/gw-a/up/telemetry', cloud));
  assert.ok(topicAllowed('gw-a', 'safeloop/v1/gw-a/down/#', cloud));
  for (const t of ['safeloop/v1/gw-b/up/telemetry', 'safeloop/v1/+/up/#', '#', 'safeloop/#', 'safeloop/v1/gw-a', '$SYS/x', 'safeloop/v1/gw-ab/up/x']) assert.ok(!topicAllowed('gw-a', t, cloud), t);
  assert.ok(!topicAllowed('gw/a', 'safeloop/v1/gw/a/up/x', cloud), 'a CN with a slash owns nothing');
  assert.ok(topicAllowed('safeloop-cloud', '$share/ingest/safeloop/v1/+/up/#', cloud));
  assert.ok(!topicAllowed('safeloop-cloud', 'other/topic', cloud));
});

interface Identity {
  key: string;
  cert: string;
}

test('with TLS: client certificates from the CA, per-gateway topics, revoked certificates refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'safeloop-broker-tls-'));
  const clients: MqttClient[] = [];
  const ca = await CertificateAuthority.openOrCreate({ dir: join(dir, 'ca') });
  await ca.writeCrl([]);
  const server = await ca.issueServerCertificate(['localhost', '127.0.0.1']);
  writeFileSync(join(dir, 'server.crt'), server.certificatePem);
  writeFileSync(join(dir, 'server.key'), server.keyPem);
  const ids: Record<string, Identity & { serial: string }> = {};
  for (const cn of ['gw-a', 'gw-b', 'gw-c', 'safeloop-cloud']) {
    const c = await ca.issueServiceCertificate(cn);
    writeFileSync(join(dir, `${cn}.crt`), c.certificatePem);
    writeFileSync(join(dir, `${cn}.key`), c.keyPem);
    ids[cn] = { key: join(dir, `${cn}.key`), cert: join(dir, `${cn}.crt`), serial: c.serial };
  }
  const broker = await startEmbeddedBroker({
    host: '0.0.0.0',
    port: 0,
    logger: silentLogger,
    tls: { ca: ca.caFile, cert: join(dir, 'server.crt'), key: join(dir, 'server.key'), crl: ca.crlFile },
  });
  const url = `mqtts://127.0.0.1:${broker.port}`;
  const open = async (who: Identity | undefined, id: string): Promise<MqttClient> => {
    const c = mqtt.connect(url, {
      protocolVersion: 4,
      clientId: id,
      ca: ca.caPem,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...(who ? { key: (await import('node:fs')).readFileSync(who.key), cert: (await import('node:fs')).readFileSync(who.cert) } : {}),
    });
    clients.push(c);
    await new Promise<void>((resolve, reject) => {
      c.once('connect', () => resolve());
      c.once('error', reject);
      c.once('close', () => reject(new Error('closed before CONNACK')));
    });
    return c;
  };
  try {
    assert.equal(broker.url.startsWith('mqtts://'), true);
    await assert.rejects(open(undefined, 'anonymous'), 'no client certificate, no connection');

    const cloud = await open(ids['safeloop-cloud'], 'cloud');
    const received: string[] = [];
    cloud.on('message', (topic) => received.push(topic));
    await cloud.subscribeAsync('safeloop/v1/+/up/#', { qos: 1 });
    const a = await open(ids['gw-a'], 'gw-a');
    const b = await open(ids['gw-b'], 'gw-b');
    const bHeard: string[] = [];
    b.on('message', (topic) => bHeard.push(topic));
    await b.subscribeAsync('safeloop/v1/gw-b/down/#', { qos: 1 });

    await a.publishAsync('safeloop/v1/gw-a/up/telemetry', 'ok', { qos: 1 });
    // mqtt.js rejects a SUBACK that refuses any filter; the refusal codes are on the packet
    const suback = await a.subscribeAsync(['safeloop/v1/gw-b/down/#', '#', 'safeloop/v1/gw-a/down/#'], { qos: 1 }).then(
      (granted) => granted.map((g) => g.qos),
      (err: { packet?: { granted?: number[] } }) => err.packet?.granted,
    );
    assert.deepEqual(suback, [128, 128, 1], 'only its own subtree');
    await cloud.publishAsync('safeloop/v1/gw-b/down/cmd', '{"config":1}', { qos: 1 });

    const closed = new Promise<void>((resolve) => a.once('close', () => resolve()));
    a.publish('safeloop/v1/gw-b/up/telemetry', 'forged', { qos: 1 });
    await closed;
    for (let i = 0; i < 50 && (received.length < 1 || bHeard.length < 1); i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(received, ['safeloop/v1/gw-a/up/telemetry'], 'the forged publish as gw-b never arrived');
    assert.deepEqual(bHeard, ['safeloop/v1/gw-b/down/cmd'], 'the cloud still commands gw-b');

    // revoke gw-c: once the CRL is reloaded, its certificate no longer connects
    (await open(ids['gw-c'], 'gw-c-1')).end(true);
    await ca.writeCrl([{ serial: ids['gw-c']?.serial ?? '', revokedAt: Date.now() }]);
    broker.reloadCrl();
    await assert.rejects(open(ids['gw-c'], 'gw-c-2'), 'a revoked certificate is refused');
  } finally {
    for (const c of clients) c.end(true);
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
