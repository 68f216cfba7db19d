/**
 * Bridge throughput: HJ 212 codec + mapping, the HJ 212 listener end to end over TCP with many
 * loggers, and NMEA parse + epoch + ENU. Prints CPU (user+system) and wall time per item; on the
 * shared 2-core machine CPU time is the figure to read.
 * Run: node --import tsx firmware-bridges/bench/bridges.bench.ts
 */
import net from 'node:net';
import { silentLogger, systemClock, type Reading } from '@safeloop/contract';
import {
  BridgeConfigSchema,
  buildDataSegment,
  buildHj212Frame,
  buildNmeaSentence,
  createBridgeSource,
  formatLatLon,
  Hj212FrameScanner,
  Hj212LoggerSchema,
  mapHj212Data,
  NmeaBridgeSchema,
  NmeaSource,
  parseHj212Frame,
  type Hj212BridgeConfig,
  type Hj212Listener,
} from '../src/index.ts';

function measure(label: string, items: number, fn: () => void): void {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const cpuMs = (c.user + c.system) / 1000;
  report(label, items, cpuMs, wall);
}

function report(label: string, items: number, cpuMs: number, wallMs: number): void {
  const per = (ms: number): string => (ms * 1000 / items < 1000 ? `${((ms * 1000) / items).toFixed(2)} µs` : `${(ms / items).toFixed(2)} ms`);
  console.log(`${label}: ${items} items, CPU ${cpuMs.toFixed(0)} ms (${per(cpuMs)}/item, ${Math.round((items / cpuMs) * 1000)}/CPU-s), wall ${wallMs.toFixed(0)} ms (${per(wallMs)}/item)`);
}

const codes = ['a21028', 'a21026', 'a21005', 'a21004', 'a19001', 'a01001', 'a01002', 'a24088', 'a25002', 'a21001'];
const logger = Hj212LoggerSchema.parse({ mn: 'BENCH0000000000000000001', password: '123456', deviceId: 'ems', points: codes.map((code) => ({ code, pointId: code, unit: 'mg/m3', range: { min: 0, max: 1000 } })) });
const cp = (i: number): string => ['DataTime=20260101080000', ...codes.map((c, k) => `${c}-Rtd=${(i + k) % 500}.25,${c}-Flag=N`)].join(';');
const frame = (i: number, mn = logger.mn): string => buildHj212Frame(buildDataSegment({ qn: '20260101080000000', st: '22', cn: '2011', pw: '123456', mn, flag: 4, cp: cp(i) }));

// 1. codec + mapping
{
  const frames = Array.from({ length: 20_000 }, (_, i) => Buffer.from(frame(i)));
  let readings = 0;
  measure('hj212 scan+parse+map (10 codes/frame)', frames.length, () => {
    const scanner = new Hj212FrameScanner(1024);
    for (const f of frames) {
      for (const ev of scanner.push(f)) {
        if (ev.type !== 'frame') continue;
        const r = parseHj212Frame(ev.bytes);
        if (!r.ok) throw new Error(r.detail);
        const m = mapHj212Data({ packet: r.packet, logger, site: 's', utcOffsetMinutes: 480, gatewayTime: Date.now() });
        if (m.ok) readings += m.readings.length;
      }
    }
  });
  if (readings !== 200_000) throw new Error(`readings ${readings}`);
}

// 2. listener end to end: 200 loggers × 50 frames over TCP
{
  const loggers = Array.from({ length: 200 }, (_, i) => ({ ...logger, mn: `BENCH${String(i).padStart(19, '0')}`, deviceId: `ems-${i}` }));
  const config = BridgeConfigSchema.parse({ kind: 'hj212', id: 'bench', listen: { host: '127.0.0.1', port: 0 }, maxConnections: 500, loggers }) as Hj212BridgeConfig;
  let readings = 0;
  const listener = createBridgeSource(config, { defaultSite: 's', logger: silentLogger, sink: (r: readonly Reading[]) => (readings += r.length) }) as Hj212Listener;
  await listener.start();
  const port = listener.address().port;
  const sockets = await Promise.all(loggers.map((l) => new Promise<net.Socket>((resolve) => { const s = net.connect(port, '127.0.0.1', () => resolve(s)); })));
  const payloads = loggers.map((l) => Buffer.from(Array.from({ length: 50 }, (_, i) => frame(i, l.mn)).join('')));
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  sockets.forEach((s, i) => s.write(payloads[i] as Buffer));
  while (readings < 200 * 50 * 10) await new Promise((r) => setTimeout(r, 5));
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  report('hj212 listener, 200 loggers × 50 frames over TCP (client+server in one process)', 10_000, (c.user + c.system) / 1000, wall);
  sockets.forEach((s) => s.destroy());
  await listener.stop();
}

// 3. NMEA parse + epoch + ENU
{
  const config = NmeaBridgeSchema.parse({ kind: 'nmea', id: 'b', deviceId: 'g', transport: { kind: 'tcp', host: '127.0.0.1', port: 1 }, baseline: { lat: 28.65, lon: 115.97, h: 60 } });
  let readings = 0;
  const source = new NmeaSource({ config, site: 's', logger: silentLogger, clock: systemClock, sink: (r) => (readings += r.length), metrics: { inc: () => undefined } });
  const lines: string[] = [];
  const day = Date.UTC(2026, 5, 1);
  for (let i = 0; i < 20_000; i += 1) {
    const t = new Date(day + i * 1000);
    const hms = `${String(t.getUTCHours()).padStart(2, '0')}${String(t.getUTCMinutes()).padStart(2, '0')}${String(t.getUTCSeconds()).padStart(2, '0')}.00`;
    const [la, ns] = formatLatLon(28.65 + i * 1e-9, true);
    const [lo, ew] = formatLatLon(115.97, false);
    lines.push(buildNmeaSentence(`GNGGA,${hms},${la},${ns},${lo},${ew},4,14,0.7,62.0,M,-2.0,M,1.0,0001`));
    lines.push(buildNmeaSentence(`GNRMC,${hms},A,${la},${ns},${lo},${ew},0.0,0.0,010626,,,R`));
  }
  measure('nmea parse+epoch+ENU (GGA+RMC per epoch, 5 points)', 20_000, () => {
    for (const l of lines) source.onLine(l);
  });
  await source.stop();
  if (readings < 99_000) throw new Error(`readings ${readings}`);
}
