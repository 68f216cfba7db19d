/**
 * Issue 18, done-when 1: after an alarm has been acknowledged, handled, given feedback and reviewed, a
 * new excursion above the limit makes it unacknowledged and announced again, and its acknowledgement
 * timer restarts. The path is the real one: a gateway publishes edge alarm events to a real Mosquitto,
 * the ingest worker commits them and drives the alarm service, people act through the HTTP API, the
 * live hub and the SMS recorder see what the people on duty would. SQLite and PostgreSQL.
 *
 * How it went wrong before: the return was folded into the reviewed record (报警中, no 未确认 badge, no
 * toast, only 关闭 offered), and the next ladder step escalated to the county that had itself reviewed it.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ulid } from 'ulid';
import { silentLogger, type AlarmEvent } from '@safeloop/contract';
import { IngestWorker } from '../../src/ingest/index.ts';
import { FakeGateway, startMosquitto, waitFor } from '../ingest/helpers.ts';
import { DB_KINDS } from './harness.ts';
import { buildStack, login } from './stack.ts';

const POINT = 'tank-farm/gd-7/conc';
type AlarmBody = {
  id: string;
  state: string;
  condition: string;
  ackedAt: number | null;
  reactivations: number;
  peakValue: number | null;
  recurredAt: number | null;
  escalationLevel: number;
  audit: { action: string; details: Record<string, unknown> }[];
};

function edge(seq: number, kind: 'raised' | 'cleared', value: number, at: number): AlarmEvent {
  return { id: ulid(), seq, type: 'alarm', point: POINT, kind, level: 'GAS_2', direction: 'high', limit: 50, value, unit: '%LEL', quality: 'good', sourceTime: at, gatewayTime: at };
}

/** SMS the local Alibaba Cloud server accepted, as (phone, template parameters text). */
function smsSent(s: { aliyun: { accepted: { params: Record<string, string> }[] } }): { to: string; text: string }[] {
  return s.aliyun.accepted.filter((r) => r.params.Action === 'SendSms').map((r) => ({ to: r.params.PhoneNumbers ?? '', text: r.params.TemplateParam ?? '' }));
}

for (const kind of DB_KINDS) {
  describe(`return to alarm on ${kind}`, () => {
    test('a reviewed alarm that comes back is unacknowledged, announced and timed again; escalation skips the county that reviewed it', async () => {
      const s = await buildStack(kind);
      const broker = await startMosquitto();
      const worker = new IngestWorker({ db: s.h.db, mqtt: { url: broker.url }, directory: s.registry, alarms: s.alarms, logger: silentLogger, clock: s.clock, tickMs: 50 });
      let gw: FakeGateway | undefined;
      try {
        await worker.start();
        gw = await FakeGateway.connect(broker.url, 'gw-demo-01');
        const [operator, manager, county] = await Promise.all(['operator', 'manager', 'county'].map((u) => login(s.app, u)));
        assert.ok(operator && manager && county);
        const operatorId = (await s.registry.users.rowByUsername('operator'))?.id;
        assert.ok(operatorId);
        const seen: { event: string; data: Record<string, unknown> }[] = [];
        s.hub.subscribe({ userId: operatorId, scope: { kind: 'enterprise', enterpriseId: 'ent-demo-chem' }, send: (event, data) => seen.push({ event, data: data as Record<string, unknown> }) });
        const publish = async (e: AlarmEvent): Promise<void> => {
          await gw!.publish('alarm', { v: 1, gatewayId: 'gw-demo-01', stream: 'alarm', events: [e] });
          await waitFor(() => gw!.ackSeq('alarm') >= e.seq, 10_000, `ack of alarm seq ${e.seq}`);
        };

        // 1. 二级 gas alarm from the edge; the whole loop to 'reviewed'
        await publish(edge(1, 'raised', 55, s.clock.now()));
        let id: string | undefined;
        await waitFor(async () => {
          const list = (await operator.get('/api/alarms?state=open')).body as { items: AlarmBody[] };
          id = list.items.find((a) => a.state === 'pushed')?.id;
          return id !== undefined;
        }, 10_000, 'alarm raised and pushed');
        assert.ok(id);
        assert.equal((await operator.post(`/api/alarms/${id}/acknowledge`, { note: '到场' })).status, 200);
        assert.equal((await manager.post(`/api/alarms/${id}/start-handling`, {})).status, 200);
        s.clock.advance(4 * 60_000);
        await publish(edge(2, 'cleared', 3, s.clock.now()));
        await waitFor(async () => ((await operator.get(`/api/alarms/${id}`)).body as AlarmBody).condition === 'cleared', 10_000, 'cleared');
        const fb = await manager.post(`/api/alarms/${id}/feedback`, { cause: '阀门填料泄漏', measures: '更换填料', result: '浓度恢复', disposition: 'handled' });
        assert.equal(fb.status, 200, fb.text);
        assert.equal((await county.post(`/api/alarms/${id}/review`, { approved: true, comment: '属实' })).status, 200);
        let a = (await operator.get(`/api/alarms/${id}`)).body as AlarmBody;
        assert.equal(a.state, 'reviewed');
        const smsBefore = smsSent(s).length;
        seen.length = 0;

        // 2. the gas comes back above the 二级 limit before anyone closed the alarm
        s.clock.advance(10 * 60_000);
        const returnedAt = s.clock.now();
        await publish(edge(3, 'raised', 57.5, returnedAt));
        await waitFor(async () => ((await operator.get(`/api/alarms/${id}`)).body as AlarmBody).condition === 'active', 10_000, 'return to alarm applied');
        a = (await operator.get(`/api/alarms/${id}`)).body as AlarmBody;
        assert.equal(a.state, 'pushed', 'unacknowledged again (未确认)');
        assert.equal(a.ackedAt, null);
        assert.equal(a.reactivations, 1, 'recurrence counted on the record');
        assert.equal(a.peakValue, 57.5, 'peak since the return');
        assert.equal(a.recurredAt, returnedAt, 'acknowledgement timer restarts now');
        assert.equal(a.escalationLevel, 0, 'the ladder starts again at the operator');
        const reactivated = a.audit.find((e) => e.action === 'reactivated');
        assert.equal(reactivated?.details.returnToAlarm, true);
        assert.equal((reactivated?.details.previous as { reviewedBy?: string } | undefined)?.reviewedBy, 'county', 'the earlier review stays on the record');

        // announced like a new alarm: live push, an in-app notification and an SMS to the operator
        await waitFor(() => seen.some((x) => x.event === 'notification' && x.data.reason === 'returned'), 5000, 'returned notification');
        assert.ok(seen.some((x) => x.event === 'alarm' && x.data.state === 'pushed' && x.data.reactivations === 1));
        await waitFor(() => smsSent(s).slice(smsBefore).some((m) => m.to === '13800000001' && m.text.includes('复现')), 5000, 'operator paged again, the SMS saying it returned');
        await waitFor(
          async () => ((await operator.get(`/api/alarms/${id}`)).body as AlarmBody).audit.some((e) => e.action === 'notified' && e.details.reason === 'returned'),
          5000,
          'the announcement audited',
        );

        // closing is refused while active, acknowledging is offered again
        const close = await county.post(`/api/alarms/${id}/close`, {});
        assert.equal(close.status, 409, close.text);
        assert.match(close.text, /still active/);

        // 3. nobody acknowledges: the ladder runs again from the return, but never back to the county
        s.clock.advance(14 * 60_000);
        assert.equal(await s.scheduler.tick(s.clock.now()), 0, 'nothing due before 15 min after the return (old timers cancelled)');
        s.clock.advance(17 * 60_000);
        await s.scheduler.tick(s.clock.now());
        a = (await county.get(`/api/alarms/${id}`)).body as AlarmBody;
        assert.equal(a.state, 'pushed');
        assert.ok(a.escalationLevel < 3, `escalation stays below the county that reviewed it (level ${a.escalationLevel})`);
        const retarget = a.audit.filter((e) => e.action === 'escalation_retargeted').map((e) => e.details.skipped);
        assert.ok(retarget.includes('county'), `county step re-targeted: ${JSON.stringify(retarget)}`);
        assert.ok(retarget.includes('technical'), 'the technical manager handled it too');
        assert.ok(smsSent(s).some((m) => m.text.includes('待处置') && m.to === '13800000001'), 'the reminder goes to the operator who must acknowledge');
        assert.ok(!smsSent(s).slice(smsBefore).some((m) => m.to === '13800000010'), 'the county is not called as if it had not acted');

        // 4. acknowledged again: the ordinary path resumes
        assert.equal((await operator.post(`/api/alarms/${id}/acknowledge`, { note: '复现，已到场' })).status, 200);
        a = (await operator.get(`/api/alarms/${id}`)).body as AlarmBody;
        assert.equal(a.state, 'acknowledged');
        const ack = a.audit.filter((e) => e.action === 'acknowledge').at(-1);
        assert.equal(ack?.details.ackDelayMs, 31 * 60_000, 'ack delay measured from the return');
      } finally {
        await gw?.close().catch(() => undefined);
        await worker.stop();
        await broker.stop();
        await s.close();
      }
    });
  });
}
