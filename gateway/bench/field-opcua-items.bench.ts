/**
 * OPC-UA subscription benchmark (issue 3, issue 20): N monitored items sampled every 100 ms.
 * The OPC-UA server (test-rigs simulator) runs in a child process and writes every variable every 100 ms
 * with the tick's number (0, 1, 2 …), so each change is identifiable: per item, a gap between two values
 * received is a change lost on the way (server sampling, subscription queue, network or client), and the
 * span of values says how many ticks the server really achieved. Only the gateway's own CPU and memory
 * are measured here.
 *
 *   node --import tsx gateway/bench/field-opcua-items.bench.ts [seconds=30] [items=10000]
 *
 * Prints: readings/s received, ticks the server achieved, changes lost (gaps) and repeated, gateway CPU %
 * of one core, RSS, and the server's CPU.
 */
import { spawn } from 'node:child_process';
import { loadAverage, procCpuMs } from '@safeloop/test-rigs/bench/proc-stats';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { silentLogger, type Reading } from '@safeloop/contract';
import { DeviceProfileSchema, type DeviceProfile } from '@safeloop/device-profiles';
import { createFieldSources, DeviceInstanceSchema } from '../src/field/index.ts';

const PROFILE_ID = 'bench-opcua-items';
const UPDATE_MS = 100;

function itemsProfile(n: number): DeviceProfile {
  const name = { zh: '基准点', en: 'bench point' };
  return DeviceProfileSchema.parse({
    id: PROFILE_ID,
    name: { zh: '基准OPC-UA设备', en: 'bench OPC-UA device' },
    sector: 'general',
    protocol: 'opcua',
    points: Array.from({ length: n }, (_, i) => ({ id: `p${i}`, name, nodeId: `ns=1;s=Bench.p${i}`, dataType: 'Double', unit: '%', range: { min: 0, max: 1e12 } })),
  });
}

async function runServer(n: number): Promise<void> {
  const { startOpcuaSimulator } = await import('@safeloop/test-rigs');
  const profile = itemsProfile(n);
  const points = Object.fromEntries(profile.points.map((p, i) => [p.id, { kind: 'ramp' as const, from: i, to: i + 1e9, durationSec: 1e6 }]));
  // The simulator's own curve ticker is parked (its period is longer than any run); this loop writes the
  // tick number into every variable instead.
  const sim = await startOpcuaSimulator({ port: 0, securityModes: ['None'], updateMs: 2_000_000_000, devices: [{ name: 'Bench', profileId: PROFILE_ID, profile, points }] });
  let tick = 0;
  const writer = setInterval(() => {
    tick++;
    for (let i = 0; i < n; i++) sim.setValue('Bench', `p${i}`, tick);
  }, UPDATE_MS);
  process.stdout.write(`${JSON.stringify({ endpoint: sim.endpoint })}\n`);
  await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  clearInterval(writer);
  await sim.stop();
  process.exit(0);
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 30);
  const items = Number(process.argv[3] ?? 10_000);
  const server = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--server', String(items)], { stdio: ['ignore', 'pipe', 'ignore'] });
  const endpoint = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('server did not start')), 180_000);
    createInterface({ input: server.stdout }).on('line', (line) => {
      if (line.startsWith('{')) {
        clearTimeout(t);
        resolve((JSON.parse(line) as { endpoint: string }).endpoint);
      }
    });
  });

  const profile = itemsProfile(items);
  let received = 0;
  let bad = 0;
  const badWhy = new Map<string, number>();
  const perPoint = new Map<string, number>();
  // Per item: the first and last tick number seen in the window, gaps between consecutive ones, repeats.
  const seen = new Map<string, { first: number; last: number; lost: number; repeated: number }>();
  const sink = (readings: readonly Reading[]): void => {
    received += readings.length;
    for (const r of readings) {
      if (r.quality !== 'good') {
        bad++;
        const why = `${r.quality}/${r.reason ?? '-'}`;
        badWhy.set(why, (badWhy.get(why) ?? 0) + 1);
      }
      perPoint.set(r.point, (perPoint.get(r.point) ?? 0) + 1);
      if (typeof r.value !== 'number') continue;
      const s = seen.get(r.point);
      if (!s) seen.set(r.point, { first: r.value, last: r.value, lost: 0, repeated: 0 });
      else if (r.value === s.last) s.repeated++;
      else {
        if (r.value > s.last + 1) s.lost += r.value - s.last - 1;
        s.last = Math.max(s.last, r.value);
      }
    }
  };
  const device = DeviceInstanceSchema.parse({
    id: 'bench',
    profile: PROFILE_ID,
    pollIntervalMs: 1000,
    transport: { kind: 'opcua', endpoint, securityMode: 'None', securityPolicy: 'None', useSubscription: true, samplingIntervalMs: UPDATE_MS, queueSize: 20 },
  });
  const sources = createFieldSources({ devices: [device], defaultSite: 'bench', logger: silentLogger, sink, resolveProfile: (id) => (id === PROFILE_ID ? profile : undefined) });
  for (const s of sources) await s.start();

  // Wait until every item has reported once (subscription fully set up), then measure.
  const warmDeadline = Date.now() + 180_000;
  while (perPoint.size < items && Date.now() < warmDeadline) await new Promise((r) => setTimeout(r, 500));
  received = 0;
  bad = 0;
  badWhy.clear();
  perPoint.clear();
  seen.clear();
  const cpu0 = process.cpuUsage();
  const srvCpu0 = procCpuMs(server.pid);
  const t0 = performance.now();
  let rssMax = 0;
  while (performance.now() - t0 < seconds * 1000) {
    await new Promise((r) => setTimeout(r, 1000));
    rssMax = Math.max(rssMax, process.memoryUsage().rss);
  }
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const gatewayCpu = ((cpu.user + cpu.system) / 1000 / (elapsed * 1000)) * 100;
  const serverCpu = ((procCpuMs(server.pid) - srvCpu0) / (elapsed * 1000)) * 100;
  const expected = items * (1000 / UPDATE_MS) * elapsed;
  const counts = [...perPoint.values()];
  const best = Math.max(...counts);
  const worst = Math.min(...counts);
  const spans = [...seen.values()];
  const ticksAchieved = spans.reduce((a, s) => a + (s.last - s.first), 0) / Math.max(1, spans.length);
  const changesInWindow = spans.reduce((a, s) => a + (s.last - s.first + 1), 0);
  const lost = spans.reduce((a, s) => a + s.lost, 0);
  const repeated = spans.reduce((a, s) => a + s.repeated, 0);
  for (const s of sources) await s.stop();
  server.kill('SIGTERM');

  const load = loadAverage();
  process.stdout.write(
    [
      `OPC-UA ${items} monitored items, sampling ${UPDATE_MS} ms, server changes every item every ${UPDATE_MS} ms, ${elapsed.toFixed(1)} s measured`,
      `  items reporting:        ${perPoint.size} / ${items}`,
      `  readings received:      ${received} (${(received / elapsed).toFixed(0)}/s), not good: ${bad}${bad ? ` (${[...badWhy].map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`,
      `  server ticks achieved:  ${(ticksAchieved / elapsed).toFixed(2)}/s per item (nominal ${(1000 / UPDATE_MS).toFixed(0)}/s): ${((ticksAchieved / elapsed / (1000 / UPDATE_MS)) * 100).toFixed(1)} % of ${expected.toFixed(0)} nominal changes`,
      `  changes lost (gaps):    ${lost} of ${changesInWindow} the server made in the window (${((lost / Math.max(1, changesInWindow)) * 100).toFixed(3)} %); repeated values: ${repeated}`,
      `  per item:               best ${best}, worst ${worst} readings`,
      `  gateway CPU:            ${gatewayCpu.toFixed(1)} % of one core, RSS max ${(rssMax / 1048576).toFixed(0)} MB`,
      `  server CPU:             ${serverCpu.toFixed(1)} % of one core (separate process)`,
      `  load average:           ${load}`,
      '',
    ].join('\n'),
  );
  process.exit(0);
}

if (process.argv[2] === '--server') await runServer(Number(process.argv[3] ?? 10_000));
else await main();
