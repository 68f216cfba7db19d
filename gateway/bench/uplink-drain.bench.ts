/**
 * Backlog drain after an outage, with live-alarm latency measured during the drain.
 *
 *   node --import tsx gateway/bench/uplink-drain.bench.ts [points=200] [seconds=600] [limits=none|aws]
 *
 * Scaled-down equivalent of "1 h of a 10,000-point plant at 1 s" (36 M readings): `points` × `seconds`
 * readings (default 200 × 600 = 120,000) journaled while the link is down, then delivered to a test acker
 * (the cloud stand-in: validates each batch, stores by id, acks the highest contiguous seq) through a private
 * Mosquitto. Meanwhile one live alarm per 100 ms is journaled; its latency is append → received by the cloud.
 * `limits=none` lifts the per-connection rate limits (a broker you run); `aws` keeps the defaults
 * (90 publishes/s, 480 KiB/s — inside AWS IoT Core's 100/s and 512 KiB/s).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { AlarmBatchSchema, parsePayload, silentLogger, topics } from '@safeloop/contract';
import type { Reading } from '@safeloop/contract';
import { Journal, JournalConfigSchema } from '../src/journal/index.ts';
import { UplinkConfigSchema, Uplink } from '../src/uplink/index.ts';
import { TestAcker } from '@safeloop/test-rigs/mosquitto/test-acker';
import { startTestMosquitto } from '@safeloop/test-rigs/mosquitto/test-mosquitto';

const points = Number(process.argv[2] ?? 200);
const seconds = Number(process.argv[3] ?? 600);
const limits = process.argv[4] ?? 'none';
const GW = 'gwdrain';
const dir = mkdtempSync(join(tmpdir(), 'safeloop-drain-'));
const broker = await startTestMosquitto();
const journal = Journal.open({ config: JournalConfigSchema.parse({ path: join(dir, 'j.db'), diskBudgetBytes: 4_000_000_000 }), logger: silentLogger });

try {
  const start = Date.now() - seconds * 1000;
  let jt = performance.now();
  for (let s = 0; s < seconds; s++) {
    const t = start + s * 1000;
    const cycle: Reading[] = Array.from({ length: points }, (_, p) => ({
      point: `site1/dev${p % 50}/p${p}`, value: (s * 7 + p) % 1000 / 10, unit: 'ppm', quality: 'good', sourceTime: t, gatewayTime: t,
    }));
    journal.appendTelemetry(cycle);
  }
  const journalMs = performance.now() - jt;
  const total = points * seconds;

  const acker = new TestAcker({ url: broker.url, gatewayId: GW });
  await acker.start();
  const watcher = await mqtt.connectAsync(broker.url, { clientId: 'drain-watch' });
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  watcher.on('message', (_t, payload) => {
    const r = parsePayload(AlarmBatchSchema, payload);
    if (!r.ok) return;
    for (const e of r.value.events) {
      if (e.type !== 'alarm') continue;
      const at = sentAt.get(Number(e.value));
      if (at !== undefined) {
        latencies.push(performance.now() - at);
        sentAt.delete(Number(e.value));
      }
    }
  });
  await watcher.subscribeAsync(topics.up(GW, 'alarm'), { qos: 1 });

  const delivery = limits === 'aws' ? {} : { maxPublishesPerSec: 10_000, maxBytesPerSec: 1_000_000_000, telemetryWindow: 4 };
  const uplink = new Uplink({
    config: UplinkConfigSchema.parse({ transport: 'mqtt', url: broker.url, allowInsecure: true, delivery }),
    gatewayId: GW,
    siteId: 'site1',
    journal,
    logger: silentLogger,
  });
  jt = performance.now();
  await uplink.start();
  let k = 0;
  const live = setInterval(() => {
    const now = Date.now();
    k += 1;
    sentAt.set(k, performance.now());
    journal.appendAlarmEvents([{ type: 'alarm', point: 'site1/live/gas', kind: 'raised', level: 'GAS_1', direction: 'high', limit: 25, value: k, unit: 'ppm', quality: 'good', sourceTime: now, gatewayTime: now }]);
    uplink.notify();
  }, 100);
  await acker.waitFor(() => journal.stats().backlog.telemetry === 0, 1_800_000, 'drain');
  const drainMs = performance.now() - jt;
  clearInterval(live);
  await acker.waitFor(() => journal.stats().backlog.alarm === 0, 10_000, 'alarms');
  await uplink.stop();
  await acker.stop();
  await watcher.endAsync();
  const m = uplink.metrics();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!.toFixed(0);
  const rate = (total / drainMs) * 1000;
  process.stdout.write(
    [
      `backlog: ${total.toLocaleString('en-US')} readings (${points} points × ${seconds} s), journaled in ${(journalMs / 1000).toFixed(1)} s`,
      `limits: ${limits}; batches ${m.batches}, bytes ${(m.bytes / 1048576).toFixed(1)} MiB (${(m.bytes / m.events).toFixed(0)} B/event), resends ${m.resends}`,
      `drain: ${(drainMs / 1000).toFixed(1)} s = ${Math.round(rate).toLocaleString('en-US')} readings/s = ${(seconds / (drainMs / 1000)).toFixed(1)}× real time for this plant`,
      `  for a 10,000-point plant at 1 s that rate is ${(rate / 10_000).toFixed(2)}× real time`,
      `stored by the acker: ${acker.count('telemetry')} telemetry, ${acker.count('alarm')} alarm; invalid ${acker.invalidBatches}`,
      `live alarms during the drain: n=${latencies.length}, p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, max ${latencies.at(-1)?.toFixed(0)} ms`,
      '',
    ].join('\n'),
  );
} finally {
  journal.close();
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
}
