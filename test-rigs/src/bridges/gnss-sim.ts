/**
 * Simulated GNSS receiver for the tailings-dam displacement bridge. It writes one epoch per interval
 * (GGA + RMC + GST, valid checksums, 7-decimal minutes) to a TCP server (a receiver behind a serial
 * server; clients connect to it) or to a socat pty pair (the bridge opens `ptyPath`). The antenna
 * position is the baseline plus a scripted displacement (mm east/north/up) that drifts with time.
 */
import net from 'node:net';
import { symlink, rm } from 'node:fs/promises';
import { SerialPort } from 'serialport';
import { buildNmeaSentence, enuToGeodetic, formatLatLon, type Enu, type Geodetic } from '@safeloop/firmware-bridges';
import { createPtyPair, type PtyPair } from '../modbus/pty-pair.ts';

/** Millimetres east/north/up. */
export type EnuMm = Enu;

/** Displacement (mm) as a function of time since start (ms), or a linear drift. */
export type GnssDrift = ((elapsedMs: number) => EnuMm) | { mmPerHour?: Partial<EnuMm>; startMm?: Partial<EnuMm> };

export interface GnssSimulatorOptions {
  /** Serve NMEA over TCP on this port (0 = any free port). */
  tcpPort?: number;
  host?: string;
  /** Or create a socat pty pair and link the bridge side to this path. */
  ptyPath?: string;
  baseline: Geodetic;
  drift?: GnssDrift;
  intervalMs?: number;
  /** GGA fix quality (4 RTK fixed). */
  fixQuality?: number;
  satellites?: number;
  hdop?: number;
  /** Geoid separation written in GGA; altitude = h − separation. */
  geoidSeparation?: number;
  talker?: string;
  /** Decimals of minutes (7 ≈ 0.2 mm). */
  minuteDecimals?: number;
  /** Also emit GST with these 1-sigma errors (m). */
  gstSigmaM?: { lat: number; lon: number; alt: number } | false;
  now?: () => number;
}

export interface GnssEpochTruth {
  timeMs: number;
  displacementMm: EnuMm;
  fixQuality: number;
}

export interface GnssSimulator {
  /** TCP port when serving TCP. */
  readonly port: number | undefined;
  /** Path the bridge opens when using a pty. */
  readonly path: string | undefined;
  /** Every epoch written, newest last (bounded to the last 10 000). */
  readonly epochs: readonly GnssEpochTruth[];
  /** Scripted displacement at an epoch time (ms), if that epoch was written. */
  truthAt(timeMs: number): EnuMm | undefined;
  setFixQuality(q: number): void;
  /** Add a step on top of the drift (a sudden slip). */
  shift(mm: Partial<EnuMm>): void;
  /** Stop writing (the receiver goes quiet) or resume. */
  setSilent(silent: boolean): void;
  /** Write one raw line (fault injection: bad checksums, garbage). */
  writeRaw(line: string): void;
  stop(): Promise<void>;
}

function driftFn(drift: GnssDrift | undefined): (elapsedMs: number) => EnuMm {
  if (typeof drift === 'function') return drift;
  const rate = { east: 0, north: 0, up: 0, ...(drift?.mmPerHour ?? {}) };
  const start = { east: 0, north: 0, up: 0, ...(drift?.startMm ?? {}) };
  return (ms) => ({ east: start.east + (rate.east * ms) / 3_600_000, north: start.north + (rate.north * ms) / 3_600_000, up: start.up + (rate.up * ms) / 3_600_000 });
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

export async function startGnssSimulator(opts: GnssSimulatorOptions): Promise<GnssSimulator> {
  if ((opts.tcpPort === undefined) === (opts.ptyPath === undefined)) throw new Error('startGnssSimulator: give exactly one of tcpPort or ptyPath');
  const now = opts.now ?? Date.now;
  const talker = opts.talker ?? 'GN';
  const decimals = opts.minuteDecimals ?? 7;
  const sep = opts.geoidSeparation ?? 0;
  const script = driftFn(opts.drift);
  const startedAt = now();
  const epochs: GnssEpochTruth[] = [];
  const extra: EnuMm = { east: 0, north: 0, up: 0 };
  let fixQuality = opts.fixQuality ?? 4;
  let silent = false;

  const clients = new Set<net.Socket>();
  let server: net.Server | undefined;
  let pair: PtyPair | undefined;
  let serial: SerialPort | undefined;
  let port: number | undefined;

  if (opts.tcpPort !== undefined) {
    const srv = net.createServer((s) => {
      clients.add(s);
      s.on('error', () => undefined);
      s.on('close', () => clients.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(opts.tcpPort, opts.host ?? '127.0.0.1', () => resolve());
    });
    const a = srv.address();
    port = typeof a === 'object' && a ? a.port : undefined;
    server = srv;
  } else {
    pair = await createPtyPair();
    await rm(opts.ptyPath as string, { force: true });
    await symlink(pair.a, opts.ptyPath as string);
    const sp = new SerialPort({ path: pair.b, baudRate: 115_200, autoOpen: false });
    await new Promise<void>((resolve, reject) => sp.open((err) => (err ? reject(err) : resolve())));
    serial = sp;
  }

  const write = (text: string): void => {
    if (serial) serial.write(text);
    for (const c of clients) if (!c.destroyed) c.write(text);
  };

  const emitEpoch = (): void => {
    if (silent) return;
    const t = Math.round(now() / 10) * 10; // NMEA carries hundredths of a second
    const d = script(t - startedAt);
    const mm = { east: d.east + extra.east, north: d.north + extra.north, up: d.up + extra.up };
    const pos = enuToGeodetic({ east: mm.east / 1000, north: mm.north / 1000, up: mm.up / 1000 }, opts.baseline);
    const date = new Date(t);
    const hms = `${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}.${pad(Math.floor(date.getUTCMilliseconds() / 10))}`;
    const dmy = `${pad(date.getUTCDate())}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCFullYear() % 100)}`;
    const [lat, ns] = formatLatLon(pos.lat, true, decimals);
    const [lon, ew] = formatLatLon(pos.lon, false, decimals);
    const valid = fixQuality > 0;
    const alt = (pos.h - sep).toFixed(4);
    const lines = [
      buildNmeaSentence(`${talker}GGA,${hms},${lat},${ns},${lon},${ew},${fixQuality},${pad(opts.satellites ?? 14)},${(opts.hdop ?? 0.7).toFixed(1)},${alt},M,${sep.toFixed(3)},M,1.0,0001`),
      buildNmeaSentence(`${talker}RMC,${hms},${valid ? 'A' : 'V'},${lat},${ns},${lon},${ew},0.00,0.0,${dmy},,,${fixQuality === 4 ? 'R' : fixQuality === 5 ? 'F' : 'N'}`),
    ];
    const g = opts.gstSigmaM === undefined ? { lat: 0.003, lon: 0.002, alt: 0.005 } : opts.gstSigmaM;
    if (g) lines.push(buildNmeaSentence(`${talker}GST,${hms},0.010,0.004,0.003,45.0,${g.lat.toFixed(3)},${g.lon.toFixed(3)},${g.alt.toFixed(3)}`));
    epochs.push({ timeMs: t, displacementMm: mm, fixQuality });
    if (epochs.length > 10_000) epochs.splice(0, epochs.length - 10_000);
    write(lines.map((l) => `${l}\r\n`).join(''));
  };

  const timer = setInterval(emitEpoch, opts.intervalMs ?? 1000);

  return {
    port,
    path: opts.ptyPath,
    epochs,
    truthAt(timeMs) {
      return epochs.find((e) => e.timeMs === timeMs)?.displacementMm;
    },
    setFixQuality(q) {
      fixQuality = q;
    },
    shift(mm) {
      extra.east += mm.east ?? 0;
      extra.north += mm.north ?? 0;
      extra.up += mm.up ?? 0;
    },
    setSilent(s) {
      silent = s;
    },
    writeRaw(line) {
      write(`${line}\r\n`);
    },
    async stop() {
      clearInterval(timer);
      for (const c of clients) c.destroy();
      clients.clear();
      if (server) await new Promise<void>((resolve) => server?.close(() => resolve()));
      if (serial?.isOpen) await new Promise<void>((resolve) => serial?.close(() => resolve()));
      if (pair) {
        await pair.stop();
        await rm(opts.ptyPath as string, { force: true });
      }
    },
  };
}
