/**
 * AWS IoT Core fleet provisioning through aws-iot-device-sdk-v2's iotidentity client, against a local
 * Mosquitto (mutual TLS) and a small fake responder speaking the fleet-provisioning topics — AWS IoT Core
 * itself cannot run here. The claim identity may only touch the provisioning topics (as the AWS claim
 * policy allows); the certificate it obtains for a key generated on the gateway then connects as the gateway.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { SafeLoopError, topics } from '@safeloop/contract';
import { FleetProvisioningClient, describeCertificate, generateKeyAndCsr } from '@safeloop/gateway/provisioning';
import { collectNativeHandles } from '@safeloop/test-rigs/mosquitto/test-mosquitto';
import { CertificateAuthority } from '@safeloop/cloud/provisioning/index';
import { startSecureMosquitto, type SecureMosquitto } from '@safeloop/test-rigs';

const dir = mkdtempSync(join(tmpdir(), 'safeloop-fleet-'));
let ca: CertificateAuthority;
let broker: SecureMosquitto;
let responder: mqtt.MqttClient;
const files = (name: string) => ({ cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`), ca: join(dir, 'data', 'ca', 'ca.crt') });
const requests: string[] = [];

before(async () => {
  ca = await CertificateAuthority.openOrCreate({ dir: join(dir, 'data', 'ca') });
  await ca.writeCrl([]);
  const server = await ca.issueServerCertificate(['localhost', '127.0.0.1']);
  for (const name of ['aws-claim', 'fake-aws-iot']) {
    const c = await ca.issueServiceCertificate(name);
    writeFileSync(files(name).cert, c.certificatePem);
    writeFileSync(files(name).key, c.keyPem, { mode: 0o600 });
  }
  broker = await startSecureMosquitto({
    caFile: ca.caFile,
    serverCertPem: server.certificatePem,
    serverKeyPem: server.keyPem,
    crlFile: ca.crlFile,
    extraAcl: [
      'user aws-claim',
      'topic readwrite $aws/certificates/create-from-csr/#',
      'topic readwrite $aws/provisioning-templates/+/provision/#',
      'user fake-aws-iot',
      'topic readwrite $aws/#',
    ].join('\n'),
  });
  responder = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'fake-aws-iot', reconnectPeriod: 0, ...readTls('fake-aws-iot') });
  const tokens = new Map<string, string>();
  responder.on('message', (topic, payload) => {
    void (async () => {
      const body = JSON.parse(payload.toString()) as Record<string, unknown>;
      requests.push(topic);
      if (topic === '$aws/certificates/create-from-csr/json') {
        const token = `token-${tokens.size + 1}`;
        const issued = await ca.signGatewayCsr(String(body.certificateSigningRequest), 'pending', 30);
        tokens.set(token, String(body.certificateSigningRequest));
        await responder.publishAsync(`${topic}/accepted`, JSON.stringify({ certificateId: issued.fingerprint, certificatePem: issued.certificatePem, certificateOwnershipToken: token }), { qos: 1 });
        return;
      }
      const m = /^\$aws\/provisioning-templates\/([^/]+)\/provision\/json$/.exec(topic);
      if (!m) return;
      const params = (body.parameters ?? {}) as Record<string, string>;
      if (m[1] !== 'SafeLoopGateway' || !tokens.has(String(body.certificateOwnershipToken))) {
        await responder.publishAsync(`${topic}/rejected`, JSON.stringify({ statusCode: 404, errorCode: 'ResourceNotFound', errorMessage: `template ${m[1]} not found` }), { qos: 1 });
        return;
      }
      await responder.publishAsync(`${topic}/accepted`, JSON.stringify({ thingName: params.GatewayId, deviceConfiguration: { siteId: params.SiteId ?? '' } }), { qos: 1 });
    })();
  });
  await responder.subscribeAsync(['$aws/certificates/create-from-csr/json', '$aws/provisioning-templates/+/provision/json'], { qos: 1 });
});

after(async () => {
  await responder?.endAsync(true);
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
  setTimeout(collectNativeHandles, 100).unref();
});

function readTls(name: string): { cert: Buffer; key: Buffer; ca: Buffer } {
  const f = files(name);
  return { cert: readFileSync(f.cert), key: readFileSync(f.key), ca: readFileSync(f.ca) };
}

const client = (templateName: string) =>
  new FleetProvisioningClient({
    endpoint: 'localhost',
    port: broker.port,
    claim: files('aws-claim'),
    clientId: `claim-${templateName}`,
    templateName,
    parameters: { GatewayId: 'gw-aws-1', SiteId: 'dam1' },
    timeoutMs: 8000,
  });

void describe('AWS IoT fleet provisioning (iotidentity over MQTT 5)', () => {
  void it('CreateCertificateFromCsr then RegisterThing: a certificate for the local key, thing = gateway id', async () => {
    const { keyPem, csrPem } = await generateKeyAndCsr('gw-aws-1');
    const r = await client('SafeLoopGateway').provision(csrPem);
    assert.equal(r.thingName, 'gw-aws-1');
    assert.deepEqual(r.deviceConfiguration, { siteId: 'dam1' });
    assert.ok(r.certificatePem.includes('BEGIN CERTIFICATE'));
    assert.deepEqual(requests, ['$aws/certificates/create-from-csr/json', '$aws/provisioning-templates/SafeLoopGateway/provision/json']);
    // the issued certificate belongs to the key made on the gateway: it completes a TLS handshake
    writeFileSync(join(dir, 'gw.crt'), r.certificatePem);
    writeFileSync(join(dir, 'gw.key'), keyPem, { mode: 0o600 });
    assert.equal(describeCertificate(r.certificatePem).commonName, 'pending');
    const c = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'gw-probe', reconnectPeriod: 0, cert: readFileSync(join(dir, 'gw.crt')), key: readFileSync(join(dir, 'gw.key')), ca: readFileSync(files('aws-claim').ca) });
    await c.endAsync(true);
  });

  void it('a rejected RegisterThing (unknown template) is a clear error, not a hang', async () => {
    const { csrPem } = await generateKeyAndCsr('gw-aws-2');
    await assert.rejects(client('NoSuchTemplate').provision(csrPem), (err: unknown) => {
      assert.ok(err instanceof SafeLoopError);
      assert.equal(err.code, 'GW_ERR_FLEET_REGISTER_REJECTED');
      assert.match(err.message, /NoSuchTemplate.*(404|ResourceNotFound)/);
      return true;
    });
  });

  void it('the claim identity cannot touch gateway topics (claim policy is provisioning-only)', async () => {
    const c = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'claim-probe', reconnectPeriod: 0, ...readTls('aws-claim') });
    try {
      const err = await new Promise<Error | undefined>((r) => c.publish(topics.up('gw-aws-1', 'telemetry'), '{}', { qos: 1 }, (e) => r(e ?? undefined)));
      assert.equal((err as Error & { code?: number } | undefined)?.code, 135);
    } finally {
      await c.endAsync(true);
    }
  });
});
