/**
 * A TCP fault-injecting proxy for tests (a small toxiproxy): sits between a client and a server and can
 *  - delay every chunk (latency, order kept),
 *  - black-hole the link (half-open: sockets stay open, nothing passes, no FIN/RST — only keepalives notice),
 *  - refuse new connections (connection reset at accept),
 *  - reset every open connection (RST),
 *  - slice chunks into small pieces with a pause between them.
 * Every socket and timer belongs to the proxy; stop() releases all of them.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface NetFaultOptions {
  target: { host: string; port: number };
  /** Listen port (default 0 = a free one) on 127.0.0.1. */
  port?: number;
}

interface Link {
  client: net.Socket;
  server: net.Socket | undefined;
  timers: Set<NodeJS.Timeout>;
  /** When the last delayed chunk in each direction is released. */
  lastRelease: { up: number; down: number };
  /**
   * Delayed pieces per direction, in order, each with its release time. One timer drains a queue, so
   * pieces can never overtake each other (separate timers per piece did, on a loaded machine).
   */
  queue: { up: { at: number; data: Buffer }[]; down: { at: number; data: Buffer }[] };
  blackholed: boolean;
}

export class NetFaultProxy {
  private readonly links = new Set<Link>();
  private mode: 'pass' | 'blackhole' | 'refuse' = 'pass';
  private delayMs = 0;
  private slice: { bytes: number; pauseMs: number } | undefined;
  private acceptedCount = 0;

  private constructor(
    private readonly server: net.Server,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(opts: NetFaultOptions): Promise<NetFaultProxy> {
    const server = net.createServer();
    const proxy = new NetFaultProxy(server, opts.target);
    server.on('connection', (s) => proxy.accept(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Open client connections. */
  get connections(): number {
    return this.links.size;
  }

  /** Connections accepted since start. */
  get accepted(): number {
    return this.acceptedCount;
  }

  setDelay(ms: number): void {
    this.delayMs = Math.max(0, ms);
  }

  /** Cut chunks into `bytes`-sized pieces with `pauseMs` between them; undefined turns it off. */
  setSlicer(slice: { bytes: number; pauseMs: number } | undefined): void {
    this.slice = slice;
  }

  /** Half-open link: open connections stall silently, new ones are accepted but lead nowhere. */
  blackhole(): void {
    this.mode = 'blackhole';
    for (const l of this.links) l.blackholed = true;
  }

  /** New connections are reset at once (a broker host that is down); open ones are untouched. */
  refuse(): void {
    this.mode = 'refuse';
  }

  /** Normal forwarding for new connections. Black-holed connections stay dead, as after a real long outage. */
  restore(): void {
    this.mode = 'pass';
  }

  /** Reset (RST) every open connection. */
  resetAll(): void {
    for (const l of [...this.links]) this.kill(l, true);
  }

  async stop(): Promise<void> {
    this.resetAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    this.acceptedCount += 1;
    if (this.mode === 'refuse') {
      client.on('error', () => undefined);
      client.resetAndDestroy();
      return;
    }
    const link: Link = { client, server: undefined, timers: new Set(), lastRelease: { up: 0, down: 0 }, queue: { up: [], down: [] }, blackholed: this.mode === 'blackhole' };
    this.links.add(link);
    client.on('error', () => this.kill(link, true));
    client.on('close', () => this.kill(link, false));
    if (link.blackholed) {
      client.on('data', () => undefined);
      return;
    }
    client.pause();
    const server = net.connect(this.target.port, this.target.host);
    link.server = server;
    server.on('connect', () => client.resume());
    server.on('error', () => this.kill(link, true));
    server.on('close', () => this.kill(link, false));
    client.on('data', (chunk: Buffer) => this.forward(link, 'up', chunk));
    server.on('data', (chunk: Buffer) => this.forward(link, 'down', chunk));
  }

  private forward(link: Link, dir: 'up' | 'down', chunk: Buffer): void {
    if (link.blackholed) return;
    const to = dir === 'up' ? link.server : link.client;
    if (!to) return;
    const pieces: Buffer[] = [];
    if (this.slice && this.slice.bytes > 0) {
      for (let i = 0; i < chunk.length; i += this.slice.bytes) pieces.push(chunk.subarray(i, i + this.slice.bytes));
    } else {
      pieces.push(chunk);
    }
    const pause = this.slice?.pauseMs ?? 0;
    const queue = link.queue[dir];
    if (this.delayMs === 0 && pause === 0 && queue.length === 0 && link.lastRelease[dir] <= Date.now()) {
      to.write(chunk);
      return;
    }
    let at = Math.max(link.lastRelease[dir], Date.now() + this.delayMs);
    const idle = queue.length === 0;
    for (const p of pieces) {
      queue.push({ at, data: p });
      link.lastRelease[dir] = at;
      at += pause;
    }
    if (idle) this.drain(link, dir, to);
  }

  /** Write every due piece of a direction in order, then wait for the next one. */
  private drain(link: Link, dir: 'up' | 'down', to: net.Socket): void {
    const queue = link.queue[dir];
    while (queue.length > 0 && (queue[0]?.at ?? 0) <= Date.now()) {
      const p = queue.shift();
      if (p && !link.blackholed && !to.destroyed) to.write(p.data);
    }
    const next = queue[0];
    if (!next) return;
    const timer = setTimeout(() => {
      link.timers.delete(timer);
      this.drain(link, dir, to);
    }, Math.max(0, next.at - Date.now()));
    link.timers.add(timer);
  }

  private kill(link: Link, reset: boolean): void {
    if (!this.links.delete(link)) return;
    for (const t of link.timers) clearTimeout(t);
    for (const s of [link.client, link.server]) {
      if (!s || s.destroyed) continue;
      s.on('error', () => undefined);
      try {
        if (reset && s.readyState === 'open') s.resetAndDestroy();
        else s.destroy();
      } catch {
        s.destroy();
      }
    }
  }
}
