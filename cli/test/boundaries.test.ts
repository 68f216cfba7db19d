/**
 * The house rules are enforced by the build (`npm run lint:deps`, .dependency-cruiser.cjs): probe files
 * with a forbidden import — gateway → cloud, production src → test-rigs, an import cycle — are each
 * reported by the rule set, and the same files without the forbidden import pass (issue 17).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../src/repo-root.ts';

const run = promisify(execFile);

async function violations(files: string[]): Promise<string[]> {
  const bin = join(REPO_ROOT, 'node_modules/.bin/depcruise');
  const { stdout } = await run(bin, [...files, '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
  const out = JSON.parse(stdout) as { summary: { violations: { rule: { name: string }; from: string; to: string }[] } };
  return out.summary.violations.filter((v) => files.includes(v.from)).map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
}

void test('the dependency rules catch gateway → cloud, src → test-rigs and a cycle', { timeout: 120_000 }, async (t) => {
  const tag = `${process.pid}`;
  const probe = {
    gatewayToCloud: `gateway/src/__probe-${tag}-cloud.ts`,
    srcToRigs: `cloud/src/__probe-${tag}-rigs.ts`,
    cycleA: `cloud/src/__probe-${tag}-a.ts`,
    cycleB: `cloud/src/__probe-${tag}-b.ts`,
  };
  t.after(() => Promise.all(Object.values(probe).map((f) => rm(join(REPO_ROOT, f), { force: true }))));
  const write = (f: string, body: string): Promise<void> => writeFile(join(REPO_ROOT, f), `${body}\n`);
  await write(probe.gatewayToCloud, "export { CloudConfigSchema } from '@safeloop/cloud/config';");
  await write(probe.srcToRigs, "export { freePort } from '@safeloop/test-rigs/net/free-port';");
  await write(probe.cycleA, `import { b } from './__probe-${tag}-b.ts';\nexport const a = (): number => b() + 1;`);
  await write(probe.cycleB, `import { a } from './__probe-${tag}-a.ts';\nexport const b = (): number => (a.length > 5 ? 1 : 0);`);
  const found = await violations(Object.values(probe));
  assert.ok(found.some((v) => v.startsWith(`gateway-not-cloud: ${probe.gatewayToCloud} → cloud/src/config.ts`)), found.join('\n'));
  assert.ok(found.some((v) => v.startsWith(`production-not-test-support: ${probe.srcToRigs} → test-rigs/`)), found.join('\n'));
  assert.ok(found.some((v) => v.startsWith(`no-cycles: ${probe.cycleA}`)), found.join('\n'));

  // the same files with allowed imports only: nothing to report
  await write(probe.gatewayToCloud, "export { IdSchema } from '@safeloop/contract';");
  await write(probe.srcToRigs, 'export const nothing = 0;');
  await write(probe.cycleB, 'export const b = (): number => 1;');
  assert.deepEqual(await violations(Object.values(probe)), []);
});

void test("the dashboard's browser JavaScript is type-checked: a slip is reported, the tree passes", { timeout: 120_000 }, async (t) => {
  const probe = `cloud/web/__probe-${process.pid}.js`;
  t.after(() => rm(join(REPO_ROOT, probe), { force: true }));
  const tsc = join(REPO_ROOT, 'node_modules/.bin/tsc');
  const check = (): Promise<string> =>
    run(tsc, ['-p', 'tsconfig.web.json'], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 }).then(
      () => '',
      (err: { stdout?: string }) => err.stdout ?? 'failed',
    );
  // An HTMLElement is not an <audio>: calling play() on it is the kind of slip the check exists for.
  await writeFile(join(REPO_ROOT, probe), "export function ring() {\n  document.getElementById('alarm-sound').play();\n}\n");
  assert.match(await check(), new RegExp(`__probe-${process.pid}\\.js\\(2,\\d+\\): error TS2339: Property 'play' does not exist on type 'HTMLElement'`));
  await rm(join(REPO_ROOT, probe), { force: true });
  assert.equal(await check(), '');
});
