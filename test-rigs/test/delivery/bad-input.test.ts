/**
 * F1-style on the downlink: malformed, oversized, foreign and impossible acks and commands arrive on the
 * gateway's topics while the real cloud is away; none releases a journal row or stops the uplink, and once
 * the cloud returns the ledger still matches.
 */
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { PROTOCOL_VERSION, topics } from '@safeloop/contract';
import { startTestMosquitto } from '@safeloop/test-rigs/mosquitto/test-mosquitto';
import type { TestMosquitto } from '@safeloop/test-rigs/mosquitto/test-mosquitto';
import { Cloud, journalDrained, startGateway, tempDir, verifyDelivered, waitUntil } from './harness.ts';
import type { GatewayUnderTest } from './harness.ts';
import { pollFor } from './burst.ts';

const GW = 'gwbadinput';
const tmp = tempDir('bad-input');
let broker: TestMosquitto | undefined;
let cloud: Cloud | undefined;
let gw: GatewayUnderTest | undefined;
let rogue: mqtt.MqttClient | undefined;
after(async () => {
  await gw?.stop().catch(() => undefined);
  await cloud?.close().catch(() => undefined);
  await rogue?.endAsync(true);
  await broker?.stop();
  tmp.remove();
});

void it('malformed or oversized acks and commands are rejected and logged: no row released, no crash', async () => {
  broker = await startTestMosquitto();
  cloud = new Cloud(broker.url, join(tmp.dir, 'cloud.db'));
  const journalPath = join(tmp.dir, 'gw.db');
  gw = await startGateway({ gatewayId: GW, url: broker.url, journalPath, delivery: { ackTimeoutMs: 2000 } });
  const g = gw;
  await waitUntil(() => g.uplink.connected, 5000, 'connected');
  await pollFor(g.journal, { cycles: 10, points: 20, alarmEvery: 1, intervalMs: 20, notify: () => g.uplink.notify() });
  const backlog = g.journal.stats().backlog;
  rogue = await mqtt.connectAsync(broker.url, { clientId: 'rogue' });
  const ack = topics.down(GW, 'ack');
  const cmd = topics.down(GW, 'cmd');
  const bad: [string, string | Buffer][] = [
    [ack, '{"v":1,'],
    [ack, JSON.stringify({ v: PROTOCOL_VERSION, gatewayId: GW, stream: 'alarm', ackSeq: 'all' })],
    [ack, JSON.stringify({ v: PROTOCOL_VERSION, gatewayId: GW, stream: 'everything', ackSeq: 5 })],
    [ack, JSON.stringify({ v: PROTOCOL_VERSION, gatewayId: 'gwother', stream: 'alarm', ackSeq: 5 })],
    [ack, JSON.stringify({ v: PROTOCOL_VERSION, gatewayId: GW, stream: 'telemetry', ackSeq: 1e9 })],
    [ack, Buffer.alloc(300 * 1024, 0x31)],
    [cmd, JSON.stringify({ v: PROTOCOL_VERSION, id: 'x', type: 'replay', stream: 'alarm', fromSeq: 0 })],
    [cmd, JSON.stringify({ v: PROTOCOL_VERSION, id: 'x', type: 'shutdown' })],
    [cmd, Buffer.from([0xff, 0xfe, 0x00, 0x01])],
    [cmd, Buffer.alloc(300 * 1024, 0x5b)],
    [topics.down(GW, 'ack').replace('/ack', '/ack/extra'), '{}'],
  ];
  for (const [topic, payload] of bad) await rogue.publishAsync(topic, payload, { qos: 1 });
  // a replay of a huge range is clamped, not a memory bomb
  await rogue.publishAsync(cmd, JSON.stringify({ v: PROTOCOL_VERSION, id: 'y', type: 'replay', stream: 'telemetry', fromSeq: 1, toSeq: 9_000_000_000 }), { qos: 1 });
  await waitUntil(() => g.uplink.metrics().rejectedDownlinks + g.uplink.metrics().rejectedAcks >= 10, 5000, 'rejections counted');
  assert.deepEqual(g.journal.stats().backlog, backlog, 'no journal row released by bad input');
  assert.equal(g.uplink.connected, true, 'the uplink is still up');
  await cloud.start();
  await waitUntil(() => journalDrained(journalPath), 90_000, 'drained once the real cloud is there');
  await verifyDelivered(cloud, GW, journalPath);
});
