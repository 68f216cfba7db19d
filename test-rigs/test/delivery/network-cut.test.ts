/**
 * A1/A2-style: the link between gateway and broker is black-holed (half-open, no RST) while alarms keep
 * coming, then restored; later it is reset (RST) several times with publishes in flight.
 */
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { StatusMessageSchema, parsePayload, topics } from '@safeloop/contract';
import type { StatusMessage } from '@safeloop/contract';
import { startTestMosquitto } from '@safeloop/test-rigs/mosquitto/test-mosquitto';
import type { TestMosquitto } from '@safeloop/test-rigs/mosquitto/test-mosquitto';
import { NetFaultProxy } from '../../src/netfault/index.ts';
import { Cloud, journalDrained, startGateway, tempDir, verifyDelivered, waitUntil } from './harness.ts';
import type { GatewayUnderTest } from './harness.ts';
import { pollFor } from './burst.ts';

const GW = 'gwnetcut';
const KEEPALIVE_SEC = 2;
/** Timer slack allowed on the shared, loaded test machine (the design bound is 1.5 × keepalive). */
const DETECT_SLACK_MS = 3000;
const tmp = tempDir('netcut');
let broker: TestMosquitto | undefined;
let proxy: NetFaultProxy | undefined;
let cloud: Cloud | undefined;
let gw: GatewayUnderTest | undefined;
let watcher: mqtt.MqttClient | undefined;
after(async () => {
  await gw?.stop().catch(() => undefined);
  await cloud?.close().catch(() => undefined);
  await watcher?.endAsync(true);
  await proxy?.stop();
  await broker?.stop();
  tmp.remove();
});

void it('black-hole then restore, then resets with publishes in flight: nothing lost, nothing doubled', async () => {
  broker = await startTestMosquitto();
  proxy = await NetFaultProxy.start({ target: { host: '127.0.0.1', port: broker.port } });
  cloud = new Cloud(broker.url, join(tmp.dir, 'cloud.db'));
  await cloud.start();
  const statuses: StatusMessage[] = [];
  watcher = await mqtt.connectAsync(broker.url, { clientId: `watch-${GW}` });
  watcher.on('message', (_t, p) => {
    const s = parsePayload(StatusMessageSchema, p);
    if (s.ok) statuses.push(s.value);
  });
  await watcher.subscribeAsync(topics.up(GW, 'status'), { qos: 1 });

  const journalPath = join(tmp.dir, 'gw.db');
  gw = await startGateway({ gatewayId: GW, url: proxy.url, journalPath, keepaliveSec: KEEPALIVE_SEC, delivery: { publishTimeoutMs: 2000 } });
  const g = gw;
  const notify = () => g.uplink.notify();
  await waitUntil(() => g.uplink.connected, 5000, 'connected');
  await pollFor(g.journal, { cycles: 10, points: 50, alarmEvery: 2, intervalMs: 50, notify });
  const birth = statuses.find((s) => s.state === 'online');
  assert.ok(birth, 'birth seen');

  // black hole: the gateway must notice within 1.5 × keepalive (+ the publish timeout margin) while alarms keep coming
  proxy.blackhole();
  const cutAt = Date.now();
  let detectedAfter = -1;
  const watch = setInterval(() => {
    if (detectedAfter < 0 && !g.uplink.connected) detectedAfter = Date.now() - cutAt;
  }, 20);
  await pollFor(g.journal, { cycles: 80, points: 20, alarmEvery: 1, intervalMs: 50, notify });
  await waitUntil(() => detectedAfter > 0, 10_000, 'loss detected').finally(() => clearInterval(watch));
  // bound: 1.5 × keepalive (+ timer slack on a loaded shared machine)
  assert.ok(detectedAfter <= 1.5 * KEEPALIVE_SEC * 1000 + DETECT_SLACK_MS, `loss detected after ${detectedAfter} ms`);
  // the broker noticed too and sent the will with the birth's bdSeq
  await waitUntil(() => statuses.some((s) => s.state === 'offline' && s.bdSeq === birth.bdSeq), 6000, 'death (will) with the birth bdSeq');
  proxy.restore();
  await waitUntil(() => g.uplink.connected, 8000, 'reconnected after restore');
  const rebirth = statuses.filter((s) => s.state === 'online').at(-1)!;
  assert.ok(rebirth.bdSeq > birth.bdSeq, 'a new birth carries a new bdSeq');

  // resets with publishes in flight
  await pollFor(g.journal, {
    cycles: 30,
    points: 100,
    alarmEvery: 2,
    intervalMs: 40,
    notify,
    onCycle: (c) => {
      if (c % 6 === 0) proxy!.resetAll();
    },
  });
  await waitUntil(() => journalDrained(journalPath), 40_000, 'journal drained');
  const counts = await verifyDelivered(cloud, GW, journalPath);
  assert.equal(counts.alarm, 5 + 80 + 15);
  assert.equal(counts.telemetry, 500 + 1600 + 3000);
});

void it('an idle half-open link (nothing to publish) is noticed by the keepalive within 1.5 × keepalive (+ slack)', async () => {
  const b = await startTestMosquitto();
  const p = await NetFaultProxy.start({ target: { host: '127.0.0.1', port: b.port } });
  const g = await startGateway({ gatewayId: 'gwidle', url: p.url, journalPath: join(tmp.dir, 'idle.db'), keepaliveSec: KEEPALIVE_SEC });
  try {
    await waitUntil(() => g.uplink.connected, 5000, 'connected');
    await new Promise((r) => setTimeout(r, 500));
    p.blackhole();
    const cutAt = Date.now();
    await waitUntil(() => !g.uplink.connected, 1.5 * KEEPALIVE_SEC * 1000 + DETECT_SLACK_MS + 2000, 'idle dead link noticed');
    const after = Date.now() - cutAt;
    assert.ok(after <= 1.5 * KEEPALIVE_SEC * 1000 + DETECT_SLACK_MS, `noticed after ${after} ms`);
    p.restore();
    await waitUntil(() => g.uplink.connected, 8000, 'reconnected');
  } finally {
    await g.stop();
    await p.stop();
    await b.stop();
  }
});
