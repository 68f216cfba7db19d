/**
 * The load process of the scale-out benchmark: `gateways` simulated gateways (scale-out-sim.ts), one
 * MQTT 5 connection each, offering `rate` readings/s in total for `seconds`, then draining: nothing new
 * is journaled or sent, and what was sent is resent until acknowledged (or `drainSeconds` pass).
 *
 *   node --import tsx cloud/bench/scale-out-gateways.ts '<LoadOptions as JSON>'
 *
 * stdout, one JSON line each: {"ready":true} once every gateway is connected (it then waits for a line
 * on stdin), a LoadProgress every second, and a LoadResult at the end.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { topics } from '@safeloop/contract';
import { SimGateway } from './scale-out-sim.ts';

export interface LoadOptions {
  url: string;
  gateways: number;
  rate: number;
  seconds: number;
  drainSeconds: number;
  /** Upload interval of each gateway, ms (readings journaled in between go out as one batch). */
  intervalMs: number;
  batchMax: number;
  window: number;
  ackTimeoutMs: number;
  /** Limit crossings per second over all gateways. */
  crossingsPerSecond: number;
  /** First publishes between these (s after the start) are listed in the result (the kill's window). */
  recordFromS: number;
  recordToS: number;
  /** Interval of the status messages that announce nextSeq, ms. */
  statusMs: number;
}

export interface LoadProgress {
  at: number;
  generated: number;
  sent: number;
  acked: number;
  publishes: number;
  resends: number;
}

export interface LoadResult {
  done: true;
  /** Per gateway index: [generated, highest seq sent, highest seq acknowledged]. */
  gateways: [number, number, number][];
  /** [gateway index, first seq, ms] of every batch first published between recordFromS and recordToS. */
  firstPublishes: [number, number, number][];
  /** [gateway index, seq, first publish ms, source time ms] of every limit crossing sent. */
  crossings: [number, number, number, number][];
  publishes: number;
  resends: number;
  replays: number;
  drainedAt: number;
  drained: boolean;
  cpuSeconds: number;
}

const o = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
const line = (x: unknown): void => void process.stdout.write(`${JSON.stringify(x)}\n`);
const perSecond = o.rate / o.gateways;
const crossEvery = o.crossingsPerSecond > 0 ? Math.max(1, Math.round(o.rate / o.crossingsPerSecond)) : 0;
const sims: SimGateway[] = [];
const clients: MqttClient[] = [];
let start = 0;

async function connect(i: number): Promise<void> {
  const client = await mqtt.connectAsync(o.url, { protocolVersion: 5, clientId: `bench-gw${i}-${process.pid}`, reconnectPeriod: 1000, keepalive: 60 });
  const sim = new SimGateway({ index: i, perSecond, batchMax: o.batchMax, window: o.window, ackTimeoutMs: o.ackTimeoutMs, crossEvery }, (topic, payload, resend) =>
    // A resend is marked (MQTT 5 user property) only so the workers can tell first deliveries apart (scale-out.bench.ts).
    client.publish(topic, payload, { qos: 1, ...(resend ? { properties: { userProperties: { resend: '1' } } } : {}) }),
  );
  client.on('message', (topic, payload) => {
    if (start === 0) return;
    const now = Date.now();
    try {
      const m = JSON.parse(payload.toString()) as { stream?: string; ackSeq?: number; type?: string; fromSeq?: number; toSeq?: number; state?: string; instanceId?: string; since?: number };
      if (topic === topics.cloudStatus()) {
        if (m.state === 'online') sim.onCloudStatus(`${m.instanceId}@${m.since}`, now);
      } else if (topic.endsWith('/ack') && m.stream === 'telemetry') sim.onAck(m.ackSeq ?? 0, now);
      else if (m.type === 'replay' && m.stream === 'telemetry') sim.onReplay(m.fromSeq ?? 1, m.toSeq, now);
    } catch {
      // A downlink we cannot read releases nothing.
    }
  });
  await client.subscribeAsync([topics.gatewayDown(sim.id), topics.cloudStatus()], { qos: 1 });
  sims[i] = sim;
  clients[i] = client;
}

for (let i = 0; i < o.gateways; i += 50) await Promise.all(Array.from({ length: Math.min(50, o.gateways - i) }, (_, k) => connect(i + k)));
line({ ready: true });
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));

const cpu0 = process.cpuUsage();
start = Date.now();
const sum = (f: (s: SimGateway) => number): number => sims.reduce((n, s) => n + f(s), 0);
for (const [i, s] of sims.entries()) {
  // Seq 1's time is the run's start; births announce the (empty) journal.
  s.begin(start);
  clients[i]!.publish(topics.up(s.id, 'status'), s.status('online', start), { qos: 1 });
}
const nextTick = sims.map((_, i) => start + Math.floor((i * o.intervalMs) / o.gateways));
let nextStatus = start + o.statusMs;
let nextProgress = start + 1000;
const stopAt = start + o.seconds * 1000;
const drainBy = stopAt + o.drainSeconds * 1000;
let drained = false;
await new Promise<void>((resolve) => {
  const timer = setInterval(() => {
    const now = Date.now();
    if (now >= stopAt && !sims[0]!.draining) for (const s of sims) s.draining = true;
    const recording = now >= start + o.recordFromS * 1000 && now < start + o.recordToS * 1000;
    if (recording !== sims[0]!.recording) for (const s of sims) s.recording = recording;
    for (let i = 0; i < sims.length; i++) {
      if (now < nextTick[i]!) continue;
      nextTick[i]! += o.intervalMs;
      sims[i]!.tick(now);
    }
    if (now >= nextStatus) {
      nextStatus += o.statusMs;
      for (const [i, s] of sims.entries()) clients[i]!.publish(topics.up(s.id, 'status'), s.status('status', now), { qos: 1 });
    }
    if (now >= nextProgress) {
      nextProgress += 1000;
      line({ at: now, generated: sum((s) => s.generated), sent: sum((s) => s.maxSent), acked: sum((s) => s.acked), publishes: sum((s) => s.publishes), resends: sum((s) => s.resends) } satisfies LoadProgress);
    }
    drained = now >= stopAt && sims.every((s) => s.acked >= s.maxSent);
    if (drained || now >= drainBy) {
      clearInterval(timer);
      resolve();
    }
  }, 10);
});
const drainedAt = Date.now();
const cpu = process.cpuUsage(cpu0);
await Promise.all(clients.map((c) => c.endAsync()));
line({
  done: true,
  gateways: sims.map((s) => [s.generated, s.maxSent, s.acked]),
  firstPublishes: sims.flatMap((s, i) => s.firstPublishes.map(([seq, at]): [number, number, number] => [i, seq, at])),
  crossings: sims.flatMap((s, i) => [...s.crossings].map(([seq, at]): [number, number, number, number] => [i, seq, at, Math.floor(start + ((seq - 1) * 1000) / perSecond)])),
  publishes: sum((s) => s.publishes),
  resends: sum((s) => s.resends),
  replays: sum((s) => s.replays),
  drainedAt,
  drained,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
} satisfies LoadResult);
process.stdin.destroy();
