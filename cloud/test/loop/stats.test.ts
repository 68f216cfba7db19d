/**
 * Statistics and site overview: alarms by level, mean times, overdue counts, feedback completion,
 * gateway offline hours per month (China time, split at the month boundary), gateway online flag.
 */
import { test, describe } from 'node:test';
import ExcelJS from 'exceljs';
import assert from 'node:assert/strict';
import { DB_KINDS } from './harness.ts';
import { buildStack, login } from './stack.ts';

type Stats = {
  total: number;
  byLevel: { level: string; count: number }[];
  bySeverity: Record<string, number>;
  meanTimeToAcknowledgeSec: number | null;
  meanTimeToCloseSec: number | null;
  open: number;
  unacknowledgedOpen: number;
  overdue: { acknowledge: number; feedback: number };
  feedbackCompletionRate: number | null;
  gatewayOfflineHours: { month: string; hours: number }[];
};

for (const kind of DB_KINDS) {
  describe(`stats on ${kind}`, () => {
    test('per region and enterprise, with gateway offline hours per month', async () => {
      const s = await buildStack(kind);
      try {
        // 2026-10-31 20:00 China time = 12:00 UTC; the gateway goes offline for 10 hours across the month boundary.
        s.clock.t = Date.UTC(2026, 9, 31, 12, 0, 0);
        const start = s.clock.now();
        await s.registry.setGatewayStatus('gw-demo-01', true, start - 3_600_000);
        await s.registry.setGatewayStatus('gw-demo-01', false, start);
        await s.registry.setGatewayStatus('gw-demo-01', true, start + 10 * 3_600_000);
        await s.registry.setGatewayStatus('gw-other-01', false, start + 3_600_000); // still offline

        const [operator, county, county2, city] = await Promise.all(['operator', 'county', 'county2', 'city'].map((u) => login(s.app, u)));
        assert.ok(operator && county && county2 && city);
        const raise = (n: number, level: 'GAS_1' | 'GAS_2', site = 'tank-farm') =>
          s.alarms.raise({ conditionKey: `k${n}`, siteId: site, point: `${site}/gd-${n}/conc`, origin: 'cloud', ruleId: 'r', kind: 'point', level, title: `t${n}`, value: 1, inputs: {}, at: s.clock.now() });
        const a1 = await raise(1, 'GAS_1');
        const a2 = await raise(2, 'GAS_2');
        await raise(3, 'GAS_1', 'other-tanks');
        s.clock.advance(2 * 60_000);
        assert.equal((await operator.post(`/api/alarms/${a1.alarmId}/acknowledge`, {})).status, 200);
        s.clock.advance(8 * 60_000);
        assert.equal((await operator.post(`/api/alarms/${a2.alarmId}/acknowledge`, {})).status, 200); // 10 min: overdue
        await s.alarms.clear({ conditionKey: 'k1', at: s.clock.now() });
        await s.alarms.clear({ conditionKey: 'k2', at: s.clock.now() });
        assert.equal((await operator.post(`/api/alarms/${a1.alarmId}/feedback`, { cause: 'c', measures: 'm', result: 'r', disposition: 'false_alarm' })).status, 200);
        assert.equal((await operator.post(`/api/alarms/${a1.alarmId}/close`, {})).status, 200, 'GAS_1 closes without review');
        s.clock.advance(40 * 60_000); // a2's feedback is now overdue (30 min after clearing)
        s.clock.t = start + 11 * 3_600_000; // after the gateway came back

        const range = `from=${start - 86_400_000}&to=${start + 2 * 86_400_000}`;
        const st = (await county.get(`/api/stats?${range}`)).body as Stats;
        assert.equal(st.total, 2, 'county 360102 sees its two alarms, not the other county');
        assert.deepEqual(Object.fromEntries(st.byLevel.map((b) => [b.level, b.count])), { GAS_1: 1, GAS_2: 1 });
        assert.deepEqual(st.bySeverity, { red: 0, orange: 1, normal: 1 });
        assert.equal(st.meanTimeToAcknowledgeSec, 360, '(2 min + 10 min) / 2');
        assert.equal(st.meanTimeToCloseSec, (600 + 11 * 3600) / 2, 'a1 closed after 10 min; a2 still open, 11 h old, counts by its age');
        assert.equal(st.open, 1);
        assert.equal(st.unacknowledgedOpen, 0);
        assert.deepEqual(st.overdue, { acknowledge: 1, feedback: 1 });
        assert.equal(st.feedbackCompletionRate, 0.5);
        // gw-demo-01: 4 h in October, 6 h in November (China time); gw-demo-02 (the tailings pond) has never
        // reported, so it is offline for the whole period up to now: 28 h in October, 7 h in November.
        assert.deepEqual(st.gatewayOfflineHours, [
          { month: '2026-10', hours: 32 },
          { month: '2026-11', hours: 13 },
        ]);

        const c2 = (await county2.get(`/api/stats?${range}`)).body as Stats;
        assert.equal(c2.total, 1);
        const offline2 = c2.gatewayOfflineHours.reduce((sum, m) => sum + m.hours, 0);
        assert.equal(offline2, 10, 'gw-other-01 offline from start + 1 h until now (start + 11 h)');
        // Its only alarm was never acknowledged: the mean time to acknowledge is its age (11 h), not "no data".
        assert.equal(c2.meanTimeToAcknowledgeSec, 11 * 3600);
        assert.equal(c2.unacknowledgedOpen, 1);
        assert.equal((await county2.get(`/api/stats?regionCode=360102&${range}`)).status, 403);
        assert.equal((await county2.get(`/api/stats?enterpriseId=ent-demo-chem&${range}`)).status, 404);
        const byEnt = (await city.get(`/api/stats?enterpriseId=ent-demo-chem&${range}`)).body as Stats;
        assert.equal(byEnt.total, 2);
        const cityAll = (await city.get(`/api/stats?${range}`)).body as Stats;
        assert.equal(cityAll.total, 3);

        // The statistics table: a row per enterprise in the caller's place, and its CSV.
        const rows = (await city.get(`/api/stats/by-enterprise?${range}`)).body as { enterpriseId: string; enterpriseName: string; stats: Stats }[];
        assert.deepEqual(rows.map((r) => [r.enterpriseId, r.stats.total]), [['ent-demo-chem', 2], ['ent-demo-mine', 0], ['ent-other-chem', 1]]);
        assert.deepEqual(((await county2.get(`/api/stats/by-enterprise?${range}`)).body as { enterpriseId: string }[]).map((r) => r.enterpriseId), ['ent-other-chem']);
        const csv = await county.get(`/api/stats/export.csv?${range}`);
        assert.equal(csv.status, 200);
        assert.ok(csv.text.startsWith('\uFEFFenterpriseId,enterpriseName,regionCode,'), csv.text.slice(0, 80));
        assert.equal(csv.text.trim().split('\r\n').length, 3, 'header + the two enterprises of the county');
        assert.match(csv.text, /ent-demo-chem,示例化工[^,]*,360102,/);
        // The same tables as Excel workbooks: Chinese headers, real dates, one row per enterprise / alarm.
        const xlsx = async (url: string): Promise<ExcelJS.Worksheet> => {
          const r = await s.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${county.token}` } });
          assert.equal(r.statusCode, 200, r.body);
          assert.match(String(r.headers['content-type']), /spreadsheetml/);
          const wb = new ExcelJS.Workbook();
          await wb.xlsx.load(r.rawPayload as unknown as ArrayBuffer);
          const ws = wb.worksheets[0];
          assert.ok(ws);
          return ws;
        };
        const statsSheet = await xlsx(`/api/stats/export.xlsx?${range}`);
        assert.equal(statsSheet.name, '统计表');
        assert.equal(statsSheet.getRow(1).getCell(1).value, '企业');
        assert.equal(statsSheet.rowCount, 3, 'header + the two enterprises of the county');
        assert.ok(statsSheet.getRow(2).getCell(4).value instanceof Date, 'period start as a date');
        const alarmSheet = await xlsx(`/api/alarms/export.xlsx?state=all&${range}`);
        assert.equal(alarmSheet.getRow(1).getCell(1).value, '报警编号');
        assert.equal(alarmSheet.rowCount, 3, 'header + the county\'s two alarms');
        assert.ok(alarmSheet.getRow(2).getCell(13).value instanceof Date, 'raised at as a date');
        assert.deepEqual([alarmSheet.getRow(2).getCell(1).value, alarmSheet.getRow(3).getCell(1).value].sort(), [a1.alarmId, a2.alarmId].sort());
        // An export filtered on another county's enterprise or site is refused, not answered with an empty file.
        for (const url of [`/api/alarms/export.xlsx?enterpriseId=ent-demo-chem&${range}`, `/api/alarms/export.csv?siteId=tank-farm&${range}`, `/api/alarms/export.xlsx?regionCode=360102&${range}`]) {
          const r = await county2.get(url);
          assert.ok(r.status === 404 || r.status === 403, `${url}: ${r.status}`);
        }
        const backwards = await county.get(`/api/stats?from=${start}&to=${start - 1}`);
        assert.equal(backwards.status, 400);
        assert.match(backwards.text, /period must start before it ends/);

        const sites = (await county.get('/api/sites')).body as { id: string; worstColour: string | null; openAlarms: number; gatewayOnline: boolean; enterpriseName: string }[];
        assert.deepEqual(
          sites.map((x) => [x.id, x.worstColour, x.openAlarms, x.gatewayOnline]),
          [
            ['tailings-pond', null, 0, false],
            ['tank-farm', 'orange', 1, true],
          ],
        );
      } finally {
        await s.close();
      }
    });
  });
}
