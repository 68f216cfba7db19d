import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { NetFaultProxy } from './netfault-proxy.ts';

let echo: net.Server;
let proxy: NetFaultProxy;

before(async () => {
  echo = net.createServer((s) => {
    s.on('error', () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  proxy = await NetFaultProxy.start({ target: { host: '127.0.0.1', port: (echo.address() as AddressInfo).port } });
});
after(async () => {
  await proxy.stop();
  await new Promise<void>((r) => echo.close(() => r()));
});

function connect(): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(proxy.port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

function read(s: net.Socket, bytes: number, timeoutMs: number): Promise<{ data: string; chunks: number; error?: string }> {
  return new Promise((resolve) => {
    let data = '';
    let chunks = 0;
    const done = (error?: string) => {
      clearTimeout(t);
      s.removeAllListeners('data');
      resolve({ data, chunks, ...(error ? { error } : {}) });
    };
    const t = setTimeout(() => done('timeout'), timeoutMs);
    s.on('data', (c: Buffer) => {
      data += c.toString();
      chunks += 1;
      if (data.length >= bytes) done();
    });
    s.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
    s.once('close', () => done('closed'));
  });
}

void describe('NetFaultProxy', () => {
  void it('passes traffic through, and adds latency when asked', async () => {
    const s = await connect();
    s.write('hello');
    assert.equal((await read(s, 5, 1000)).data, 'hello');
    proxy.setDelay(150);
    const t0 = Date.now();
    s.write('slow');
    assert.equal((await read(s, 4, 2000)).data, 'slow');
    assert.ok(Date.now() - t0 >= 280, 'delayed both ways');
    proxy.setDelay(0);
    s.destroy();
  });

  void it('black-holes an open link silently (no close, no data) and new links lead nowhere', async () => {
    const s = await connect();
    proxy.blackhole();
    s.write('lost');
    const r = await read(s, 4, 400);
    assert.equal(r.error, 'timeout');
    assert.equal(s.destroyed, false, 'the client sees a half-open link');
    const s2 = await connect();
    s2.write('x');
    assert.equal((await read(s2, 1, 300)).error, 'timeout');
    proxy.restore();
    const s3 = await connect();
    s3.write('back');
    assert.equal((await read(s3, 4, 1000)).data, 'back');
    for (const x of [s, s2, s3]) x.destroy();
  });

  void it('resets open connections and refuses new ones', async () => {
    const s = await connect();
    const closed = read(s, 1, 2000);
    proxy.resetAll();
    assert.match((await closed).error ?? '', /ECONNRESET|closed/);
    proxy.refuse();
    const s2 = await connect().catch(() => undefined);
    if (s2) assert.match((await read(s2, 1, 1000)).error ?? '', /ECONNRESET|closed/);
    proxy.restore();
  });

  void it('slices chunks into small pieces', async () => {
    proxy.setSlicer({ bytes: 3, pauseMs: 5 });
    const s = await connect();
    s.write('abcdefghijkl');
    const r = await read(s, 12, 2000);
    assert.equal(r.data, 'abcdefghijkl');
    assert.ok(r.chunks >= 2, `arrived in ${r.chunks} chunks`);
    proxy.setSlicer(undefined);
    s.destroy();
  });
});
