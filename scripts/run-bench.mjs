#!/usr/bin/env node
// Runs every bench/*.bench.ts one after another (they measure, so never in parallel) and prints
// their figures. Usage: npm run bench [-- <path filter> ...]. Record results in docs/BENCHMARKS.md.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const folders = ['device-profiles', 'firmware-bridges', 'gateway', 'test-rigs', 'cloud'];
const filters = process.argv.slice(2);
const files = folders
  .map((f) => join(f, 'bench'))
  .filter((d) => existsSync(join(root, d)))
  .flatMap((d) => readdirSync(join(root, d)).filter((n) => n.endsWith('.bench.ts')).map((n) => join(d, n)))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));

let failed = 0;
for (const f of files) {
  process.stdout.write(`\n=== ${f} (${new Date().toISOString()}) ===\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', f], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.stdout.write(`\n${files.length - failed} benchmarks ran, ${failed} failed\n`);
process.exit(failed > 0 ? 1 : 0);
