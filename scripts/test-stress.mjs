#!/usr/bin/env node
// The suite under load: one busy-looping process per core for the whole run, then `npm test` N times in a
// row (default 3; `npm run test:stress -- 5`). Stops at the first failing run. Ends with the line
// "stress: K of N runs passed" — an issue is resolved only when every run passed (CONTRIBUTING.md).
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

const root = new URL('..', import.meta.url).pathname;
const runs = Number(process.argv[2] ?? 3);
const hogs = Array.from({ length: availableParallelism() }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
const stopHogs = () => hogs.forEach((h) => h.kill('SIGKILL'));
process.on('exit', stopHogs);
process.on('SIGINT', () => process.exit(130));

let passed = 0;
for (let i = 1; i <= runs; i++) {
  const started = Date.now();
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, ['scripts/run-tests.mjs'], { cwd: root, stdio: 'inherit' });
    child.on('exit', (c) => resolve(c ?? 1));
  });
  console.log(`stress run ${i}/${runs}: ${code === 0 ? 'passed' : 'FAILED'} in ${Math.round((Date.now() - started) / 1000)} s with ${hogs.length} CPU hogs`);
  if (code !== 0) break;
  passed += 1;
}
stopHogs();
console.log(`stress: ${passed} of ${runs} runs passed`);
process.exit(passed === runs ? 0 : 1);
