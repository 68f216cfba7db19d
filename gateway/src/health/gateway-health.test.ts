import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '@safeloop/contract';
import { GatewayHealth, type PollCounters } from './gateway-health.ts';

const dev = (deviceId: string, cycles: number, skipped: number, state: PollCounters['state'] = 'ok'): PollCounters => ({ deviceId, cycles, skipped, state });

void test('delivery behind production: a backlog rising over the whole window while connected', () => {
  const h = new GatewayHealth({ windowMs: 60_000, backlogGrowthRows: 1000, logger: silentLogger });
  assert.equal(h.sample({ at: 0, connected: true, backlogTelemetry: 100, devices: [] }).health, 'ok');
  assert.equal(h.sample({ at: 30_000, connected: true, backlogTelemetry: 900, devices: [] }).health, 'ok', 'window not yet covered');
  const v = h.sample({ at: 60_000, connected: true, backlogTelemetry: 1500, devices: [] });
  assert.equal(v.health, 'degraded');
  assert.match(v.healthDetail ?? '', /delivery behind production: telemetry backlog grew by 1400 rows in 60 s while connected \(now 1500\)/);
  // draining again: ok
  assert.equal(h.sample({ at: 90_000, connected: true, backlogTelemetry: 200, devices: [] }).health, 'ok');
});

void test('an offline backlog is not called slow delivery; a short spike is not a trend', () => {
  const h = new GatewayHealth({ windowMs: 60_000, backlogGrowthRows: 1000, logger: silentLogger });
  h.sample({ at: 0, connected: false, backlogTelemetry: 0, devices: [] });
  assert.equal(h.sample({ at: 60_000, connected: true, backlogTelemetry: 5000, devices: [] }).health, 'ok', 'it was offline in the window');
  h.sample({ at: 90_000, connected: true, backlogTelemetry: 5000, devices: [] });
  h.sample({ at: 120_000, connected: true, backlogTelemetry: 3000, devices: [] });
  assert.equal(h.sample({ at: 150_000, connected: true, backlogTelemetry: 4500, devices: [] }).health, 'ok', 'not rising throughout');
});

void test('polls behind: a device missing ≥ 5 % of its deadlines over the window is degraded, named in the detail', () => {
  const h = new GatewayHealth({ windowMs: 60_000, logger: silentLogger });
  h.sample({ at: 0, connected: true, backlogTelemetry: 0, devices: [dev('gas-01', 0, 0), dev('gas-02', 0, 0)] });
  const v = h.sample({ at: 60_000, connected: true, backlogTelemetry: 0, devices: [dev('gas-01', 50, 10), dev('gas-02', 60, 1)] });
  assert.equal(v.health, 'degraded');
  assert.equal(v.healthDetail, 'polls behind: gas-01 missed 10 of 60 deadlines in 60 s');
  assert.deepEqual(v.devices, { 'gas-01': 'degraded', 'gas-02': 'ok' });
});
