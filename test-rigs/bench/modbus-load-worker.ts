/**
 * Load generator for the simulator benchmark, run as a child process so the simulator's CPU time
 * can be measured on its own (`node --import tsx modbus-load-worker.ts '<LoadSpec JSON>'` prints a
 * LoadResult JSON line): C connections, each keeping D requests in flight (or paced at a fixed
 * rate), cycling over units and register blocks; counts replies and exceptions.
 */
import net from 'node:net';

export interface LoadSpec {
  port: number;
  connections: number;
  depth: number;
  units: number[];
  /** [function code, address, count] blocks, cycled per unit. */
  blocks: [number, number, number][];
  durationMs: number;
  /** Total requests per second across all connections; 0 = as fast as replies come. */
  ratePerSec: number;
}

export interface LoadResult {
  replies: number;
  exceptions: number;
  elapsedMs: number;
  maxLatencyMs: number;
  p99LatencyMs: number;
}

async function run(spec: LoadSpec): Promise<LoadResult> {
  let replies = 0;
  let exceptions = 0;
  const latencies: number[] = [];
  const t0 = performance.now();
  const end = t0 + spec.durationMs;
  let seq = 0;
  const frame = (tid: number): Buffer => {
    const n = seq++;
    const unit = spec.units[n % spec.units.length] ?? 1;
    const [fc, address, count] = spec.blocks[Math.floor(n / spec.units.length) % spec.blocks.length] ?? [3, 0, 1];
    const b = Buffer.alloc(12);
    b.writeUInt16BE(tid, 0);
    b.writeUInt16BE(6, 4);
    b[6] = unit;
    b[7] = fc;
    b.writeUInt16BE(address, 8);
    b.writeUInt16BE(count, 10);
    return b;
  };
  const perConnRate = spec.ratePerSec / spec.connections;
  await Promise.all(
    Array.from({ length: spec.connections }, async () => {
      const socket = net.connect({ port: spec.port, host: '127.0.0.1' });
      socket.setNoDelay(true);
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('error', reject);
      });
      const sentAt = new Map<number, number>();
      let tid = 0;
      let pending: Buffer = Buffer.alloc(0);
      let done = false;
      let sentCount = 0;
      const connStart = performance.now();
      const send = (): void => {
        tid = (tid + 1) & 0xffff;
        sentAt.set(tid, performance.now());
        sentCount += 1;
        socket.write(frame(tid));
      };
      const finished = new Promise<void>((resolve) => {
        socket.on('data', (chunk: Buffer) => {
          pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
          let off = 0;
          while (pending.length - off >= 9) {
            const len = pending.readUInt16BE(off + 4);
            if (pending.length - off < 6 + len) break;
            const t = pending.readUInt16BE(off);
            const fc = pending[off + 7] ?? 0;
            if (fc & 0x80) exceptions += 1;
            replies += 1;
            const s = sentAt.get(t);
            if (s !== undefined) {
              latencies.push(performance.now() - s);
              sentAt.delete(t);
            }
            off += 6 + len;
          }
          pending = pending.subarray(off);
          const now = performance.now();
          if (now >= end) {
            if (!done) {
              done = true;
              socket.end();
              resolve();
            }
            return;
          }
          if (spec.ratePerSec === 0) while (sentAt.size < spec.depth) send();
        });
        socket.on('close', () => resolve());
      });
      if (spec.ratePerSec === 0) {
        for (let i = 0; i < spec.depth; i++) send();
      } else {
        const timer = setInterval(() => {
          const now = performance.now();
          if (now >= end) {
            clearInterval(timer);
            done = true;
            socket.end();
            return;
          }
          const due = Math.floor(((now - connStart) / 1000) * perConnRate) - sentCount;
          for (let i = 0; i < due; i++) send();
        }, 5);
      }
      await finished;
    }),
  );
  latencies.sort((a, b) => a - b);
  return {
    replies,
    exceptions,
    elapsedMs: performance.now() - t0,
    maxLatencyMs: latencies[latencies.length - 1] ?? 0,
    p99LatencyMs: latencies[Math.floor(latencies.length * 0.99)] ?? 0,
  };
}

const arg = process.argv[2];
if (arg !== undefined) {
  run(JSON.parse(arg) as LoadSpec).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (err: unknown) => {
      process.stdout.write(`${JSON.stringify({ error: String(err) })}\n`);
      process.exitCode = 1;
    },
  );
}
