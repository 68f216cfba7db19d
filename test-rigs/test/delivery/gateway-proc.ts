/**
 * A gateway process for the kill -9 test: journals `CYCLES` poll cycles (POINTS readings each, an alarm every
 * third cycle) while uplinking, prints DRAINED once nothing is left to deliver, and runs until killed.
 * Env: GW, URL, JOURNAL, CYCLES, POINTS.
 */
import { silentLogger } from '@safeloop/contract';
import { Journal, JournalConfigSchema } from '@safeloop/gateway/journal/index';
import { Uplink, UplinkConfigSchema } from '@safeloop/gateway/uplink/index';
import { FAST_DELIVERY, SITE } from './harness.ts';
import { pollCycle } from './burst.ts';

const env = (k: string): string => {
  const v = process.env[k];
  if (v === undefined) throw new Error(`gateway-proc: ${k} is not set`);
  return v;
};
const gatewayId = env('GW');
const journal = Journal.open({ config: JournalConfigSchema.parse({ path: env('JOURNAL'), retainAckedSec: 86_400 }), logger: silentLogger });
const uplink = new Uplink({
  config: UplinkConfigSchema.parse({ transport: 'mqtt', url: env('URL'), allowInsecure: true, keepaliveSec: 5, delivery: FAST_DELIVERY }),
  gatewayId,
  siteId: SITE,
  journal,
  logger: silentLogger,
});
await uplink.start();
process.stdout.write('STARTED\n');
const cycles = Number(env('CYCLES'));
const points = Number(env('POINTS'));
for (let c = 1; c <= cycles; c++) {
  pollCycle(journal, c, points, 3, () => uplink.notify());
  await new Promise((r) => setTimeout(r, 20));
}
const timer = setInterval(() => {
  const s = journal.stats();
  if (s.backlog.alarm === 0 && s.backlog.telemetry === 0) {
    clearInterval(timer);
    process.stdout.write('DRAINED\n');
  }
}, 50);
process.on('SIGTERM', () => {
  clearInterval(timer);
  void uplink.stop().then(() => {
    journal.close();
    process.exit(0);
  });
});
