/** A1-style: the broker is killed (SIGKILL) and restarted on the same port twice while the gateway streams. */
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startTestMosquitto } from '@safeloop/test-rigs/mosquitto/test-mosquitto';
import type { TestMosquitto } from '@safeloop/test-rigs/mosquitto/test-mosquitto';
import { Cloud, journalDrained, startGateway, tempDir, verifyDelivered, waitUntil } from './harness.ts';
import type { GatewayUnderTest } from './harness.ts';
import { pollFor } from './burst.ts';

const tmp = tempDir('broker-restart');
let broker: TestMosquitto | undefined;
let cloud: Cloud | undefined;
let gw: GatewayUnderTest | undefined;
after(async () => {
  await gw?.stop().catch(() => undefined);
  await cloud?.close().catch(() => undefined);
  await broker?.stop();
  tmp.remove();
});

void it('broker restarted mid-stream: journaled set == stored set, no duplicates, every alarm', async () => {
  broker = await startTestMosquitto();
  cloud = new Cloud(broker.url, join(tmp.dir, 'cloud.db'));
  await cloud.start();
  const journalPath = join(tmp.dir, 'gw.db');
  gw = await startGateway({ gatewayId: 'gwbroker', url: broker.url, journalPath });
  const g = gw;
  await pollFor(g.journal, {
    cycles: 40,
    points: 100,
    alarmEvery: 3,
    intervalMs: 50,
    notify: () => g.uplink.notify(),
    onCycle: async (c) => {
      if (c === 12 || c === 28) await broker!.restart(300);
    },
  });
  await waitUntil(() => journalDrained(journalPath), 40_000, 'journal drained');
  const counts = await verifyDelivered(cloud, 'gwbroker', journalPath);
  assert.equal(counts.telemetry, 4000);
  assert.equal(counts.alarm, 13);
  assert.ok(g.uplink.metrics().connects >= 3, `reconnected after each restart (${g.uplink.metrics().connects} connects)`);
});
