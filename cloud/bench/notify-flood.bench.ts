/**
 * Alarm raised → first provider request, at a flood of 300 alarms from one site (issue 14). The
 * alarm service raises 300 alarms back to back with the real notification side: the Alibaba Cloud
 * SMS client and a 企业微信 robot, both talking to the local provider servers (which verify every
 * signature). For each alarm that pages somebody, the time from the start of raise() to the first
 * SMS request the server accepted for that alarm's point. Two floods: 300 GAS_1 alarms (flood
 * grouping on: only the first ten and one flood summary page) and 300 红 warnings (red always pages).
 * SQLite (file, WAL, synchronous=FULL).
 *   node --import tsx cloud/bench/notify-flood.bench.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, systemClock } from '@safeloop/contract';
import { SqliteDb } from '../src/db/index.ts';
import { Registry, loadSeedFile } from '../src/tenancy/index.ts';
import { AlarmService } from '../src/alarms/index.ts';
import { LiveHub, NotificationDispatcher, NotifyConfigSchema, setupNotify } from '../src/notify/index.ts';
import { startFakeAliyun, startFakeWecom } from '../test/notify/provider-servers.ts';

const SEED = new URL('../seed/demo.yaml', import.meta.url).pathname;
const N = 300;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

async function flood(kind: 'GAS_1' | 'red'): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'safeloop-notify-bench-'));
  const db = new SqliteDb(join(dir, 'cloud.db'));
  process.env.BENCH_AK_ID = 'bench-id';
  process.env.BENCH_AK_SECRET = 'bench-secret';
  process.env.BENCH_WECOM = 'bench-key';
  const aliyun = await startFakeAliyun({ accessKeyId: 'bench-id', accessKeySecret: 'bench-secret' });
  const wecom = await startFakeWecom({ key: 'bench-key' });
  try {
    const registry = new Registry({ db });
    await registry.migrate();
    await registry.applySeed(loadSeedFile(SEED));
    const ak = { accessKeyId: { env: 'BENCH_AK_ID' }, accessKeySecret: { env: 'BENCH_AK_SECRET' } };
    const notify = await setupNotify(
      NotifyConfigSchema.parse({
        sms: { provider: 'aliyun', endpoint: `${aliyun.url}/`, ...ak, signName: 'bench', templateCode: 'SMS_B' },
        robots: [{ kind: 'wecom', name: 'duty', baseUrl: wecom.url, key: { env: 'BENCH_WECOM' }, enterpriseId: 'ent-demo-chem' }],
      }),
      { db, clock: systemClock, logger: silentLogger },
    );
    const notifier = new NotificationDispatcher({ registry, liveHub: new LiveHub({ registry, logger: silentLogger }), logger: silentLogger, clock: systemClock, ...notify.dispatcherDeps });
    const alarms = new AlarmService({ db, registry, notifier, logger: silentLogger, clock: systemClock });
    await alarms.migrate();
    const started = new Map<string, number>();
    const first = new Map<string, number>();
    aliyun.onAccepted = (r) => {
      const point = (JSON.parse(r.params.TemplateParam ?? '{}') as { point?: string }).point ?? '';
      if (!first.has(point)) first.set(point, r.at);
    };
    const t0 = performance.now();
    for (let i = 0; i < N; i++) {
      const point = `tank-farm/gd-${i}/conc`;
      started.set(point, performance.now());
      await alarms.raise({
        conditionKey: `bench:${point}`, siteId: 'tank-farm', point, origin: 'cloud', ruleId: 'r', kind: kind === 'red' ? 'warning' : 'point',
        ...(kind === 'red' ? { colour: 'red' as const } : { level: 'GAS_1' as const }), title: `bench ${i}`, value: 30, limit: 25, unit: '%LEL', inputs: {}, at: Date.now(),
      });
    }
    const totalMs = performance.now() - t0;
    const lat = [...first].map(([p, t]) => t - (started.get(p) ?? t));
    const states = await db.query<{ state: string; n: number }>('SELECT state, COUNT(*) AS n FROM alarms GROUP BY state ORDER BY state');
    return (
      `${kind === 'red' ? '红 warnings' : 'GAS_1 alarms'}: ${N} raised in ${totalMs.toFixed(0)} ms; ${lat.length} alarms paged individually; ` +
      `raised → first SMS request p50 ${pct(lat, 50).toFixed(1)} ms, p99 ${pct(lat, 99).toFixed(1)} ms, max ${Math.max(...lat).toFixed(1)} ms; ` +
      `provider requests: ${aliyun.accepted.length} SMS, ${wecom.accepted.length} 企业微信, refused ${aliyun.refused.length + wecom.refused.length}; ` +
      `states ${states.map((s) => `${s.state} ${Number(s.n)}`).join(', ')}`
    );
  } finally {
    await db.close();
    await aliyun.close();
    await wecom.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

process.stdout.write(`${await flood('GAS_1')}\n`);
process.stdout.write(`${await flood('red')}\n`);
