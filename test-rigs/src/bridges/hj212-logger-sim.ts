/**
 * Simulated HJ 212-2017 data logger: connects to a bridge listener over TCP and uploads data frames,
 * with a fault personality — split packets, bad CRC, wrong password, unknown MN, wrong length,
 * oversize frames, garbage, silence, or reconnecting after every few frames. Replies from the
 * listener (9014/9011/…) are collected so tests can check them.
 */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  buildDataSegment,
  buildHj212Frame,
  formatQn,
  Hj212FrameScanner,
  parseHj212Frame,
  type Hj212Packet,
} from '@safeloop/firmware-bridges';

export const HJ212_LOGGER_BEHAVIOURS = [
  'normal',
  'split',
  'bad_crc',
  'bad_length',
  'wrong_password',
  'unknown_mn',
  'oversize',
  'garbage',
  'silent',
  'reconnecting',
] as const;
export type Hj212LoggerBehaviour = (typeof HJ212_LOGGER_BEHAVIOURS)[number];

export interface Hj212Value {
  value: number | string;
  flag?: string;
}

export interface Hj212LoggerSimOptions {
  host?: string;
  port: number;
  mn: string;
  password: string;
  behaviour?: Hj212LoggerBehaviour;
  /** Upload period; 0 = only when sendNow() is called. */
  intervalMs?: number;
  cn?: '2011' | '2051' | '2061' | '2031';
  st?: string;
  /** Ask for a reply (Flag A bit): Flag 5, else 4. */
  askReply?: boolean;
  /** Values for upload n (0-based), keyed `code-Field`, e.g. `a21028-Rtd`. */
  values: (n: number) => Record<string, Hj212Value>;
  /** Packets per upload for behaviour `split`. */
  splitInto?: number;
  /** Frames between reconnects for behaviour `reconnecting`. */
  reconnectEvery?: number;
  utcOffsetMinutes?: number;
  now?: () => number;
}

export interface Hj212LoggerSim {
  readonly replies: Hj212Packet[];
  /** Uploads sent (a split upload counts once). */
  readonly sent: number;
  readonly connects: number;
  sendNow(): Promise<void>;
  waitForReplies(count: number, timeoutMs?: number): Promise<Hj212Packet[]>;
  /** Resolves when the listener closed the connection. */
  waitForClose(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startHj212Logger(opts: Hj212LoggerSimOptions): Promise<Hj212LoggerSim> {
  const behaviour = opts.behaviour ?? 'normal';
  const now = opts.now ?? Date.now;
  const offset = opts.utcOffsetMinutes ?? 480;
  const replies: Hj212Packet[] = [];
  let socket: net.Socket | undefined;
  let sent = 0;
  let connects = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let closedWaiters: (() => void)[] = [];
  let closedOnce = false;

  const connect = async (): Promise<net.Socket> => {
    const s = net.connect({ host: opts.host ?? '127.0.0.1', port: opts.port });
    await new Promise<void>((resolve, reject) => {
      s.once('connect', resolve);
      s.once('error', reject);
    });
    s.on('error', () => undefined);
    connects += 1;
    const scanner = new Hj212FrameScanner(1024);
    s.on('data', (chunk: Buffer) => {
      for (const ev of scanner.push(chunk)) {
        if (ev.type !== 'frame') continue;
        const r = parseHj212Frame(ev.bytes);
        if (r.ok) replies.push(r.packet);
      }
    });
    s.on('close', () => {
      closedOnce = true;
      const w = closedWaiters;
      closedWaiters = [];
      for (const f of w) f();
    });
    return s;
  };

  const cpFor = (n: number): string => {
    const t = now();
    const items = Object.entries(opts.values(n)).reduce<Map<string, string[]>>((acc, [name, v]) => {
      const code = name.split('-')[0] ?? name;
      const fields = acc.get(code) ?? [];
      fields.push(`${name}=${v.value}`);
      if (v.flag !== undefined) fields.push(`${code}-Flag=${v.flag}`);
      acc.set(code, fields);
      return acc;
    }, new Map());
    return [`DataTime=${formatQn(t, offset).slice(0, 14)}`, ...[...items.values()].map((f) => f.join(','))].join(';');
  };

  const frameFor = (n: number): string[] => {
    const qn = formatQn(now(), offset);
    const base: Hj212Packet = {
      qn,
      st: opts.st ?? '22',
      cn: opts.cn ?? '2011',
      pw: behaviour === 'wrong_password' ? 'xxxxxx' : opts.password,
      mn: behaviour === 'unknown_mn' ? `${opts.mn}X` : opts.mn,
      flag: opts.askReply === false ? 4 : 5,
      cp: cpFor(n),
    };
    switch (behaviour) {
      case 'split': {
        const parts = base.cp.split(';');
        const k = Math.max(1, Math.min(opts.splitInto ?? 3, parts.length));
        const per = Math.ceil(parts.length / k);
        const chunks: string[] = [];
        for (let i = 0; i < parts.length; i += per) chunks.push(parts.slice(i, i + per).join(';'));
        return chunks.map((cp, i) => buildHj212Frame(buildDataSegment({ ...base, flag: (base.flag ?? 4) | 2, pnum: chunks.length, pno: i + 1, cp })));
      }
      case 'bad_crc': {
        const f = buildHj212Frame(buildDataSegment(base));
        const crc = f.slice(-6, -2);
        const wrong = ((Number.parseInt(crc, 16) + 1) & 0xffff).toString(16).toUpperCase().padStart(4, '0');
        return [f.slice(0, -6) + wrong + '\r\n'];
      }
      case 'bad_length': {
        const f = buildHj212Frame(buildDataSegment(base));
        return [`##${String(Number(f.slice(2, 6)) + 1).padStart(4, '0')}${f.slice(6)}`];
      }
      case 'oversize':
        return [buildHj212Frame(buildDataSegment({ ...base, cp: `${base.cp};pad=${'9'.repeat(1100)}` }))];
      case 'garbage':
        return [Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 37 + n) % 251 || 1)).toString('latin1')];
      default:
        return [buildHj212Frame(buildDataSegment(base))];
    }
  };

  const sendNow = async (): Promise<void> => {
    if (stopped || behaviour === 'silent') return;
    if (!socket || socket.destroyed) socket = await connect();
    const s = socket;
    for (const f of frameFor(sent)) {
      s.write(Buffer.from(f, behaviour === 'garbage' ? 'latin1' : 'utf8'));
      if (behaviour === 'split') await sleep(5);
    }
    sent += 1;
    if (behaviour === 'reconnecting' && sent % (opts.reconnectEvery ?? 3) === 0) {
      await new Promise<void>((resolve) => s.end(resolve));
      s.destroy();
      socket = undefined;
    }
  };

  socket = await connect();
  if ((opts.intervalMs ?? 0) > 0) {
    const tick = (): void => {
      sendNow().catch(() => undefined).finally(() => {
        if (!stopped) timer = setTimeout(tick, opts.intervalMs);
      });
    };
    timer = setTimeout(tick, 0);
  }

  return {
    replies,
    get sent() {
      return sent;
    },
    get connects() {
      return connects;
    },
    sendNow,
    async waitForReplies(count, timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs;
      while (replies.length < count) {
        if (Date.now() > deadline) throw new Error(`logger ${opts.mn}: ${replies.length} of ${count} replies after ${timeoutMs} ms`);
        await sleep(10);
      }
      return replies;
    },
    waitForClose(timeoutMs = 5000) {
      if (closedOnce || socket?.destroyed === true) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`logger ${opts.mn}: connection not closed in ${timeoutMs} ms`)), timeoutMs);
        closedWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      socket?.destroy();
      socket = undefined;
    },
  };
}
