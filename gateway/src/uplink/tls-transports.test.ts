/**
 * Both transports over mutual TLS against a private Mosquitto (require_certificate, identity = CN,
 * ACL `safeloop/v1/%u/#`). The test acker stands in for the cloud on the broker's plain listener.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@safeloop/contract';
import { Journal, JournalConfigSchema } from '../journal/index.ts';
import { alarm, reading } from '../journal/test-helpers.ts';
import { UplinkConfigSchema } from './config.ts';
import { TestAcker } from '@safeloop/test-rigs/mosquitto/test-acker';
import { collectNativeHandles, makeTestCerts, startTestMosquitto } from '@safeloop/test-rigs/mosquitto/test-mosquitto';
import type { TestCerts, TestMosquitto } from '@safeloop/test-rigs/mosquitto/test-mosquitto';
import { Uplink } from './uplink.ts';

const dir = mkdtempSync(join(tmpdir(), 'safeloop-tls-'));
let certs: TestCerts;
let broker: TestMosquitto;
before(async () => {
  certs = makeTestCerts(['gwmqtt5', 'gwmqtt4', 'gwaws', 'gwdenied']);
  broker = await startTestMosquitto({ certs });
});
after(async () => {
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
  setTimeout(collectNativeHandles, 100).unref();
});

const delivery = { ackTimeoutMs: 2000, reconnectMinMs: 100, reconnectMaxMs: 500, publishTimeoutMs: 3000, connectTimeoutMs: 3000 };

async function roundTrip(gw: string, uplinkConfig: Record<string, unknown>): Promise<void> {
  const journal = Journal.open({ config: JournalConfigSchema.parse({ path: join(dir, `${gw}.db`) }), logger: silentLogger });
  const acker = new TestAcker({ url: broker.url, gatewayId: gw });
  await acker.start();
  const uplink = new Uplink({ config: UplinkConfigSchema.parse(uplinkConfig), gatewayId: gw, siteId: 'site1', journal, logger: silentLogger });
  try {
    await uplink.start();
    journal.appendTelemetry(Array.from({ length: 500 }, (_, i) => reading(i)));
    journal.appendAlarmEvents([alarm(1), alarm(2), alarm(3)]);
    uplink.notify();
    await acker.waitFor(() => journal.stats().backlog.alarm === 0 && journal.stats().backlog.telemetry === 0, 10_000, `${gw} delivered and acked`);
    assert.equal(acker.count('telemetry'), 500);
    assert.equal(acker.count('alarm'), 3);
    assert.equal(acker.invalidBatches, 0);
    assert.ok(acker.statuses.some((s) => s.state === 'online' && s.gatewayId === gw));
  } finally {
    await uplink.stop();
    await acker.stop();
    journal.close();
  }
  await acker.waitFor(() => true, 10);
}

void describe('uplink transports over mutual TLS', () => {
  void it('mqtt.js, MQTT 5, client certificate', async () => {
    await roundTrip('gwmqtt5', { transport: 'mqtt', url: broker.tlsUrl, protocolVersion: 5, keepaliveSec: 5, tls: { ca: certs.ca, ...certs.client('gwmqtt5') }, delivery });
  });

  void it('mqtt.js, MQTT 3.1.1, client certificate', async () => {
    await roundTrip('gwmqtt4', { transport: 'mqtt', url: broker.tlsUrl, protocolVersion: 4, keepaliveSec: 5, tls: { ca: certs.ca, ...certs.client('gwmqtt4') }, delivery });
  });

  void it('aws-iot-device-sdk-v2 MQTT5 client (the AWS IoT Core path) against the same broker', async () => {
    await roundTrip('gwaws', { transport: 'aws-iot', endpoint: 'localhost', port: broker.tlsPort, keepaliveSec: 5, tls: { ca: certs.ca, ...certs.client('gwaws') }, delivery });
  });

  for (const transport of ['mqtt', 'aws-iot'] as const) {
    void it(`${transport}: a publish the broker refuses (ACL, MQTT 5 reason 135) releases nothing and the uplink keeps retrying`, async () => {
      // certificate CN gwdenied, but the gateway id (and so its topics) is another one: every publish is outside the ACL
      const gw = `other${transport === 'mqtt' ? 'm' : 'a'}`;
      const journal = Journal.open({ config: JournalConfigSchema.parse({ path: join(dir, `${gw}.db`) }), logger: silentLogger });
      journal.appendAlarmEvents([alarm(1)]);
      const cfg =
        transport === 'mqtt'
          ? { transport, url: broker.tlsUrl, keepaliveSec: 5, tls: { ca: certs.ca, ...certs.client('gwdenied') }, delivery }
          : { transport, endpoint: 'localhost', port: broker.tlsPort, keepaliveSec: 5, tls: { ca: certs.ca, ...certs.client('gwdenied') }, delivery };
      const uplink = new Uplink({ config: UplinkConfigSchema.parse(cfg), gatewayId: gw, siteId: 'site1', journal, logger: silentLogger });
      await uplink.start();
      const deadline = Date.now() + 8000;
      while (uplink.metrics().connectFailures < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await uplink.stop();
      assert.ok(uplink.metrics().connectFailures >= 2, `retried (${uplink.metrics().connectFailures})`);
      assert.match(uplink.metrics().lastError ?? '', /135|authori[sz]ed|refused|timed out/i);
      assert.equal(journal.stats().backlog.alarm, 1, 'the alarm stays journaled');
      journal.close();
    });
  }

  void it('without a client certificate the TLS handshake fails, is retried with backoff, and never crashes', async () => {
    const gw = 'nocert';
    const journal = Journal.open({ config: JournalConfigSchema.parse({ path: join(dir, `${gw}.db`) }), logger: silentLogger });
    const uplink = new Uplink({
      config: UplinkConfigSchema.parse({ transport: 'mqtt', url: broker.tlsUrl, allowInsecure: true, keepaliveSec: 5, delivery }),
      gatewayId: gw,
      siteId: 'site1',
      journal,
      logger: silentLogger,
    });
    await uplink.start();
    const deadline = Date.now() + 8000;
    while (uplink.metrics().connectFailures < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await uplink.stop();
    assert.ok(uplink.metrics().connectFailures >= 2);
    assert.equal(uplink.connected, false);
    journal.close();
  });
});
