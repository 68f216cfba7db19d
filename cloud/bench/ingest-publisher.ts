/**
 * The background publisher of the latency benchmark, in its own process (so its CPU is not the
 * worker's): GATEWAYS MQTT clients publish pre-serialised telemetry batches at a steady rate.
 *
 *   node --import tsx cloud/bench/ingest-publisher.ts <broker url> <readings/s> <seconds>
 *
 * Prints one JSON line when its batches are built ({"ready":true}) and one when done
 * ({"published": n, "cpuSeconds": s}); it starts publishing on the first line of its stdin.
 */
import mqtt from 'mqtt';
import { mqttNoDelay } from '@safeloop/contract';
import { BATCH, GATEWAYS, makeBatches } from './ingest-load.ts';

const [url, rateArg, secondsArg] = process.argv.slice(2);
if (!url || !rateArg || !secondsArg) throw new Error('usage: ingest-publisher.ts <broker url> <readings/s> <seconds>');
const batchesPerSecond = Number(rateArg) / BATCH;
const seconds = Number(secondsArg);
const batches = makeBatches(Math.ceil((batchesPerSecond * (seconds + 2)) / GATEWAYS) + 1);
const clients = await Promise.all(
  Array.from({ length: GATEWAYS }, (_, g) => mqtt.connectAsync(url, { protocolVersion: 5, clientId: `bench-pub-gw${g}-${process.pid}`, reconnectPeriod: 0 })),
);
for (const c of clients) mqttNoDelay(c); // as the gateway's uplink does
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
const cpu0 = process.cpuUsage();
const started = performance.now();
let sent = 0;
await new Promise<void>((resolve) => {
  const timer = setInterval(() => {
    const elapsed = (performance.now() - started) / 1000;
    const due = Math.floor(Math.min(elapsed, seconds) * batchesPerSecond);
    while (sent < due) {
      const item = batches[sent % GATEWAYS]?.[Math.floor(sent / GATEWAYS)];
      if (item) void clients[sent % GATEWAYS]!.publishAsync(item.topic, item.payload, { qos: 1 });
      sent += 1;
    }
    if (elapsed >= seconds) {
      clearInterval(timer);
      resolve();
    }
  }, 5);
});
const cpu = process.cpuUsage(cpu0);
await Promise.all(clients.map((c) => c.endAsync()));
process.stdout.write(`${JSON.stringify({ published: sent * BATCH, cpuSeconds: (cpu.user + cpu.system) / 1e6 })}\n`);
process.stdin.destroy();
