import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UplinkConfigSchema, resolveDelivery } from './config.ts';

void test('rate limits default per transport: AWS IoT Core’s on aws-iot only; set values win', () => {
  const mqtt = UplinkConfigSchema.parse({ transport: 'mqtt', url: 'mqtts://b:8883', tls: { ca: 'a', cert: 'b', key: 'c' } });
  const aws = UplinkConfigSchema.parse({ transport: 'aws-iot', endpoint: 'x.iot.amazonaws.com', tls: { ca: 'a', cert: 'b', key: 'c' } });
  assert.deepEqual(pick(resolveDelivery(mqtt.transport, mqtt.delivery)), { maxPublishesPerSec: 1000, maxBytesPerSec: 32 * 1024 * 1024 });
  assert.deepEqual(pick(resolveDelivery(aws.transport, aws.delivery)), { maxPublishesPerSec: 90, maxBytesPerSec: 480 * 1024 });
  const set = UplinkConfigSchema.parse({ transport: 'mqtt', url: 'mqtts://b:8883', tls: { ca: 'a', cert: 'b', key: 'c' }, delivery: { maxBytesPerSec: 65536 } });
  assert.deepEqual(pick(resolveDelivery(set.transport, set.delivery)), { maxPublishesPerSec: 1000, maxBytesPerSec: 65536 });
});

void test('the telemetry window defaults per transport (8 on mqtt, 2 on aws-iot); a set value wins', () => {
  const tls = { ca: 'a', cert: 'b', key: 'c' };
  const mqtt = UplinkConfigSchema.parse({ transport: 'mqtt', url: 'mqtts://b:8883', tls });
  const aws = UplinkConfigSchema.parse({ transport: 'aws-iot', endpoint: 'x.iot.amazonaws.com', tls });
  const slow = UplinkConfigSchema.parse({ transport: 'mqtt', url: 'mqtts://b:8883', tls, delivery: { telemetryWindow: 2 } });
  assert.equal(resolveDelivery(mqtt.transport, mqtt.delivery).telemetryWindow, 8);
  assert.equal(resolveDelivery(aws.transport, aws.delivery).telemetryWindow, 2);
  assert.equal(resolveDelivery(slow.transport, slow.delivery).telemetryWindow, 2);
});

function pick(d: { maxPublishesPerSec: number; maxBytesPerSec: number }): { maxPublishesPerSec: number; maxBytesPerSec: number } {
  return { maxPublishesPerSec: d.maxPublishesPerSec, maxBytesPerSec: d.maxBytesPerSec };
}
