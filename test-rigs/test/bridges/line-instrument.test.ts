/**
 * Line-protocol instrument bridge over a TCP serial server and a socat pty: values parsed and
 * scaled, garbage and oversize lines counted (never fatal), silence reads comm_lost, and a dropped
 * connection is re-established.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { SerialPort } from 'serialport';
import { BridgeConfigSchema, createBridgeSource, createCountingMetrics } from '@safeloop/firmware-bridges';
import { createPtyPair } from '../../src/modbus/pty-pair.ts';
import { collector, recordingLogger, waitFor } from './helpers.ts';

const parse = { kind: 'regex', pattern: '^RG(?<id>\\d+) R=(?<rain>\\S+) T=(?<temp>\\S+)$' };
const points = [
  { pointId: 'rain', group: 'rain', unit: 'mm', scale: 0.1, range: { min: 0, max: 500 } },
  { pointId: 'temp', group: 'temp', unit: 'Cel' },
];

void test('TCP serial server: values, garbage counted, silence comm_lost, reconnect after the server drops us', async (t) => {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((s) => {
    accepted += 1;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const config = BridgeConfigSchema.parse({ kind: 'line', id: 'rain-bridge', deviceId: 'rain-gauge', transport: { kind: 'tcp', host: '127.0.0.1', port }, parse, points, commLossSec: 1, reconnectMinMs: 50, maxLineLength: 64 });
  const metrics = createCountingMetrics();
  const col = collector();
  const source = createBridgeSource(config, { defaultSite: 'pond', logger: recordingLogger(), sink: col.sink, metrics });
  t.after(async () => {
    await source.stop();
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  await source.start();
  await waitFor('connected', () => sockets.size === 1);
  const send = (text: string): void => {
    for (const s of sockets) s.write(text);
  };
  send('RG1 R=125 T=18.5\r\n\x00\xff\x13garbage\r\nRG1 R=x T=19\r\n');
  send(`${'Z'.repeat(200)}\nRG1 R=9999 T=20\n`);
  await waitFor('3 good lines', () => col.readings.length === 6);
  assert.deepEqual(
    col.readings.map((r) => [r.point, r.value, r.quality, r.reason ?? null, r.unit]),
    [
      ['pond/rain-gauge/rain', 12.5, 'good', null, 'mm'],
      ['pond/rain-gauge/temp', 18.5, 'good', null, 'Cel'],
      ['pond/rain-gauge/rain', null, 'bad', 'decode_error', 'mm'],
      ['pond/rain-gauge/temp', 19, 'good', null, 'Cel'],
      ['pond/rain-gauge/rain', 999.9, 'bad', 'out_of_range', 'mm'],
      ['pond/rain-gauge/temp', 20, 'good', null, 'Cel'],
    ],
  );
  assert.equal(metrics.get('bridge_rejected_total', { reason: 'no_match', source: 'rain-gauge' }), 1);
  assert.equal(metrics.get('bridge_rejected_total', { reason: 'oversize' }), 1);
  // Silence → comm_lost, link reopened; the instrument resumes on the new connection.
  await waitFor('comm_lost', () => col.readings.some((r) => r.reason === 'comm_lost'), 4000);
  await waitFor('reconnected', () => accepted === 2 && sockets.size === 1 && metrics.get('bridge_connections_total', { event: 'link_lost' }) === 1, 4000);
  send('RG1 R=3 T=21\n');
  await waitFor('value after reconnect', () => col.readings.at(-1)?.value === 21);
  // The server drops the connection: the bridge reconnects by itself.
  for (const s of sockets) s.destroy();
  await waitFor('reconnected after drop', () => accepted === 3 && sockets.size === 1, 4000);
  send('RG1 R=4 T=22\n');
  await waitFor('value after drop', () => col.readings.at(-1)?.value === 22);
});

void test('socat pty: the same parser over a serial line; a missing port is retried, never thrown', async (t) => {
  const pair = await createPtyPair();
  const config = BridgeConfigSchema.parse({ kind: 'line', id: 'rain-serial', deviceId: 'rain-gauge', transport: { kind: 'serial', path: pair.a, baudRate: 9600 }, parse, points });
  const col = collector();
  const source = createBridgeSource(config, { defaultSite: 'pond', logger: recordingLogger(), sink: col.sink });
  const missing = createBridgeSource(
    BridgeConfigSchema.parse({ ...config, id: 'absent', transport: { kind: 'serial', path: '/nonexistent/ttyUSB9' } }),
    { defaultSite: 'pond', logger: recordingLogger(), sink: col.sink },
  );
  const instrument = new SerialPort({ path: pair.b, baudRate: 9600, autoOpen: false });
  t.after(async () => {
    await source.stop();
    await missing.stop();
    if (instrument.isOpen) await new Promise((r) => instrument.close(r));
    await pair.stop();
  });
  await missing.start();
  await source.start();
  await new Promise<void>((resolve, reject) => instrument.open((e) => (e ? reject(e) : resolve())));
  instrument.write('RG7 R=55 T=-3.5\r\n');
  await waitFor('reading over the pty', () => col.readings.length === 2);
  assert.deepEqual(col.readings.map((r) => r.value), [5.5, -3.5]);
});
