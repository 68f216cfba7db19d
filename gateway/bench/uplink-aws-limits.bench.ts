/**
 * How many points/s one connection carries within AWS IoT Core's per-connection limits (100 publishes/s,
 * 512 KiB/s, 128 KB per message) with the v1 encoding (JSON batches), computed from real encoded batches,
 * plus what a deflate-compressed payload would allow (not in protocol v1; a what-if for v2).
 *
 *   node --import tsx gateway/bench/uplink-aws-limits.bench.ts
 *
 * For the rate actually achieved through the uplink's own limiter see uplink-drain.bench.ts with `aws`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { MAX_PAYLOAD_BYTES, silentLogger } from '@safeloop/contract';
import type { Reading } from '@safeloop/contract';
import { Journal, JournalConfigSchema, entryJson } from '../src/journal/index.ts';
import { DeliverySchema, resolveDelivery } from '../src/uplink/config.ts';

const AWS = { publishesPerSec: 100, bytesPerSec: 512 * 1024, messageBytes: 128 * 1024 };
const cfg = resolveDelivery('aws-iot', DeliverySchema.parse({}));
const dir = mkdtempSync(join(tmpdir(), 'safeloop-awsb-'));
const journal = Journal.open({ config: JournalConfigSchema.parse({ path: join(dir, 'j.db') }), logger: silentLogger });
try {
  const t = Date.now();
  const shapes: Record<string, (i: number) => Reading> = {
    'float, good, unit': (i) => ({ point: `plant7/gd-${i % 40}/ch${i % 8}`, value: Math.round(Math.random() * 1000) / 10, unit: '%LEL', quality: 'good', sourceTime: t + i, gatewayTime: t + i }),
    'bad quality + reason': (i) => ({ point: `plant7/plc-${i % 20}/tag${i % 500}`, value: null, quality: 'bad', reason: 'timeout', sourceTime: t + i, gatewayTime: t + i }),
  };
  const lines: string[] = [];
  for (const [name, make] of Object.entries(shapes)) {
    journal.appendTelemetry(Array.from({ length: 5000 }, (_, i) => make(i)));
    const rows = journal.peek('telemetry', 5000, { maxBytes: cfg.maxBatchBytes - 1024 });
    const events = rows.map((r) => entryJson(r, true)).join(',');
    const payload = `{"v":1,"gatewayId":"gw-plant7-01","stream":"telemetry","events":[${events}]}`;
    const bytes = Buffer.byteLength(payload);
    const perEvent = bytes / rows.length;
    const deflated = deflateRawSync(payload).length;
    const byPublishes = AWS.publishesPerSec * rows.length;
    const byBytes = AWS.bytesPerSec / perEvent;
    const configured = Math.min(cfg.maxPublishesPerSec * rows.length, cfg.maxBytesPerSec / perEvent);
    const deflatedPerEvent = deflated / rows.length;
    const deflatedEventsPerMsg = Math.floor((MAX_PAYLOAD_BYTES - 1024) / deflatedPerEvent);
    lines.push(
      `${name}: ${perEvent.toFixed(0)} B/event in JSON, ${rows.length} events per ${(bytes / 1024).toFixed(0)} KiB batch`,
      `  AWS ceiling: publishes allow ${Math.round(byPublishes).toLocaleString('en-US')} events/s, bytes allow ${Math.round(byBytes).toLocaleString('en-US')} events/s → ${Math.round(Math.min(byPublishes, byBytes)).toLocaleString('en-US')} points/s per connection`,
      `  with the default delivery limits (${cfg.maxPublishesPerSec}/s, ${cfg.maxBytesPerSec / 1024} KiB/s): ${Math.round(configured).toLocaleString('en-US')} points/s`,
      `  deflate what-if: ${deflatedPerEvent.toFixed(1)} B/event (${((deflated / bytes) * 100).toFixed(0)} %), ≈ ${Math.round(Math.min(AWS.bytesPerSec / deflatedPerEvent, AWS.publishesPerSec * Math.min(5000, deflatedEventsPerMsg))).toLocaleString('en-US')} points/s per connection`,
    );
    journal.ack('telemetry', journal.stats().nextSeq.telemetry - 1);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  journal.close();
  rmSync(dir, { recursive: true, force: true });
}
