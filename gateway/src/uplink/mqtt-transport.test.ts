/**
 * The mqtt.js transport does not build mqtt-packet's number cache (65,536 two-byte buffers, 11–15 MiB of a
 * gateway's RSS): after a connection and a publish, the cache is still empty. Its socket has Nagle off, so an
 * alarm written behind a telemetry batch does not wait for the broker's delayed ACK.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import net from 'node:net';
import { MqttUplinkSchema } from './config.ts';
import { MqttTransport } from './mqtt-transport.ts';

const URL = process.env.SAFELOOP_TEST_MQTT ?? 'mqtt://127.0.0.1:1883';

test('publishing through the transport leaves mqtt-packet’s number cache empty', async () => {
  const fromMqtt = createRequire(createRequire(import.meta.url).resolve('mqtt'));
  const numbers = fromMqtt('mqtt-packet/numbers.js') as { cache: Record<number, Buffer> };
  const transport = new MqttTransport(MqttUplinkSchema.parse({ transport: 'mqtt', url: URL, allowInsecure: true }));
  const conn = await transport.connect({
    clientId: `numbers-cache-${process.pid}`,
    will: { topic: 'safeloop-test/will', payload: 'gone' },
    keepaliveSec: 30,
    connectTimeoutMs: 5000,
    handlers: { onMessage: () => undefined, onClose: () => undefined },
  });
  try {
    for (let i = 0; i < 20; i++) await conn.publish('safeloop-test/numbers', Buffer.from(`x${i}`));
    assert.equal(Object.keys(numbers.cache).length, 0, 'no number cache built');
  } finally {
    await conn.end();
  }
});

test('the uplink socket has Nagle off (TCP_NODELAY) before its first packet', async () => {
  const calls: { socket: net.Socket; on: boolean; connected: boolean }[] = [];
  const original = net.Socket.prototype.setNoDelay;
  net.Socket.prototype.setNoDelay = function (this: net.Socket, noDelay?: boolean) {
    calls.push({ socket: this, on: noDelay !== false, connected: this.remotePort !== undefined });
    return original.call(this, noDelay);
  };
  const transport = new MqttTransport(MqttUplinkSchema.parse({ transport: 'mqtt', url: URL, allowInsecure: true }));
  try {
    const conn = await transport.connect({
      clientId: `nodelay-${process.pid}`,
      will: { topic: 'safeloop-test/will', payload: 'gone' },
      keepaliveSec: 30,
      connectTimeoutMs: 5000,
      handlers: { onMessage: () => undefined, onClose: () => undefined },
    });
    try {
      const port = Number(new globalThis.URL(URL).port || 1883);
      const mine = calls.filter((c) => c.on && c.socket.remotePort === port);
      assert.equal(mine.length, 1, `setNoDelay(true) on the broker connection: ${JSON.stringify(calls.map((c) => [c.on, c.socket.remotePort]))}`);
      assert.equal(mine[0]!.connected, false, 'set as the socket is made, before CONNECT is written');
    } finally {
      await conn.end();
    }
  } finally {
    net.Socket.prototype.setNoDelay = original;
  }
});
