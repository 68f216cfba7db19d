/**
 * Path 3 of the alarm conformance table (contract/test/alarm-conformance.ts): the cloud end to end —
 * readings published as a gateway's telemetry through a real Mosquitto, ingested, stored (SQLite and
 * PostgreSQL) and judged by a cloud limit rule running the shared evaluator. Each row's readings
 * carry its simulated times (and device-clock skew); the decisions reaching the alarm sink are
 * compared with the row.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AlarmClearInput, AlarmConditionInput } from '../../src/alarms/alarm-sink.ts';
import { RulesEngine } from '../../src/rules/index.ts';
import { silentLogger } from '@safeloop/contract';
import { CONFORMANCE, CONFORMANCE_POLICY, expandSteps } from '../../../contract/test/alarm-conformance.ts';
import { FakeGateway, newId, RecordingSink, waitFor } from './helpers.ts';
import { startHarness, type Harness } from './harness.ts';

const rows = CONFORMANCE.filter((r) => r.paths.includes('cloud'));
const siteOf = (id: string): string => `cf-${id}`;

class OrderedSink extends RecordingSink {
  readonly log: { key: string; text: string }[] = [];
  override raise(input: AlarmConditionInput): Promise<{ alarmId: string; created: boolean }> {
    this.log.push({ key: input.conditionKey, text: describeRaise(input) });
    return super.raise(input);
  }
  override clear(input: AlarmClearInput): Promise<void> {
    this.log.push({ key: input.conditionKey, text: describeClear(input.conditionKey) });
    return super.clear(input);
  }
}

function describeRaise(i: AlarmConditionInput): string {
  if (i.conditionKey.startsWith('fault:')) return `fault raise ${i.conditionKey.slice(i.conditionKey.lastIndexOf(':') + 1)}`;
  const over = (i.inputs as { cause?: string }).cause === 'over_range';
  return ['raise', i.level, over ? 'over_range' : '', i.latched ? 'latched' : ''].filter(Boolean).join(' ');
}

function describeClear(key: string): string {
  const last = key.slice(key.lastIndexOf(':') + 1);
  return key.startsWith('fault:') ? `fault clear ${last}` : `clear ${last}`;
}

const RULES = {
  version: 1,
  rules: rows.map((row) => ({
    id: `conf-${row.id}`,
    kind: 'limit',
    sites: [siteOf(row.id)],
    points: ['det-01/gas'],
    limits: row.limits,
    unit: row.unit,
    ...(row.range ? { range: row.range } : {}),
    ...CONFORMANCE_POLICY,
  })),
};

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`alarm conformance, cloud path on ${kind}`, () => {
    let h: Harness;
    const sink = new OrderedSink();
    before(async () => {
      h = await startHarness(kind, { rules: new RulesEngine({ logger: silentLogger }, RULES), alarms: sink, reorderTimeoutMs: 5000 });
      rows.forEach((row, i) => h.directory.add(`gwcf${i}`, [siteOf(row.id)]));
      await h.worker.start();
    });
    after(async () => {
      await h.close();
    });

    rows.forEach((row, i) => {
      test(`${row.id}: ${row.title} [${row.clause}]`, async () => {
        const gwId = `gwcf${i}`;
        const point = `${siteOf(row.id)}/det-01/gas`;
        const gw = await FakeGateway.connect(h.broker.url, gwId);
        try {
          const T0 = Date.now() - 3_600_000;
          const events = expandSteps(row).map((s, j) => {
            const gatewayTime = T0 + s.t * 1000;
            return { id: newId(gatewayTime), seq: j + 1, point, value: s.value, quality: s.quality, ...(s.reason ? { reason: s.reason } : {}), sourceTime: gatewayTime + s.skewSec * 1000, gatewayTime };
          });
          for (let k = 0; k < events.length; k += 40) {
            await gw.publish('telemetry', { v: 1, gatewayId: gwId, stream: 'telemetry', events: events.slice(k, k + 40) });
            await waitFor(() => gw.ackSeq('telemetry') >= Math.min(k + 40, events.length), 10_000, `ack ${k + 40}`);
          }
          const mine = (): string[] => sink.log.filter((l) => l.key.includes(`${siteOf(row.id)}/`)).map((l) => l.text);
          await waitFor(() => mine().length >= row.expect.length, 10_000, `${row.expect.length} decisions`).catch(() => undefined);
          await new Promise((r) => setTimeout(r, 200)); // nothing more may follow
          assert.deepEqual(mine(), row.expect);
        } finally {
          await gw.close();
        }
      });
    });
  });
}
