/**
 * Nagle off on both broker hops of an alarm: the ingest worker's connection and every connection the
 * embedded broker accepts. With Nagle on, a small alarm packet written behind the tail of a big telemetry
 * batch waited for the peer's delayed ACK (publish → received p50 7–10 ms, p99 ≈ 50 ms in the latency bench).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { silentLogger } from '@safeloop/contract';
import { startEmbeddedBroker } from '../../src/broker/embedded-broker.ts';
import { IngestWorker } from '../../src/ingest/index.ts';
import { freePort, MemoryDirectory, openDb, RecordingSink, startMosquitto } from './helpers.ts';

async function recordingNoDelay<T>(fn: (calls: { socket: net.Socket; on: boolean }[]) => Promise<T>): Promise<T> {
  const calls: { socket: net.Socket; on: boolean }[] = [];
  const original = net.Socket.prototype.setNoDelay;
  net.Socket.prototype.setNoDelay = function (this: net.Socket, noDelay?: boolean) {
    calls.push({ socket: this, on: noDelay !== false });
    return original.call(this, noDelay);
  };
  try {
    return await fn(calls);
  } finally {
    net.Socket.prototype.setNoDelay = original;
  }
}

test('the ingest worker’s broker connection has Nagle off', async () => {
  const t = await openDb('sqlite');
  const broker = await startMosquitto();
  const worker = new IngestWorker({ db: t.db, mqtt: { url: broker.url }, directory: new MemoryDirectory(), alarms: new RecordingSink(), logger: silentLogger });
  try {
    await recordingNoDelay(async (calls) => {
      await worker.start();
      const mine = calls.filter((c) => c.socket.remotePort === broker.port);
      assert.ok(mine.length >= 1, 'setNoDelay called on the connection to the broker');
      assert.ok(mine.every((c) => c.on), 'and only ever to turn Nagle off');
    });
  } finally {
    await worker.stop();
    await broker.stop();
    await t.close();
  }
});

test('the embedded broker turns Nagle off on every connection it accepts', async () => {
  const port = await freePort();
  const broker = await startEmbeddedBroker({ port, logger: silentLogger });
  try {
    await recordingNoDelay(async (calls) => {
      const client = net.connect(port, '127.0.0.1');
      await new Promise<void>((resolve, reject) => client.once('connect', resolve).once('error', reject));
      for (let i = 0; i < 50 && !calls.some((c) => c.socket.localPort === port); i++) await new Promise((r) => setTimeout(r, 10));
      const accepted = calls.filter((c) => c.socket.localPort === port);
      assert.equal(accepted.length, 1, 'the accepted socket');
      assert.equal(accepted[0]!.on, true);
      client.destroy();
    });
  } finally {
    await broker.stop();
  }
});
