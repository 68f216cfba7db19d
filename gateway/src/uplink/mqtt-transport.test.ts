/**
 * The mqtt.js transport does not build mqtt-packet's number cache (65,536 two-byte buffers, 11–15 MiB of a
 * gateway's RSS): after a connection and a publish, the cache is still empty.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
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
