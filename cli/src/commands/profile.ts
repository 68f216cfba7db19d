import type { Command } from 'commander';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { validateProfileFiles } from '@safeloop/device-profiles';

function expand(paths: string[]): string[] {
  return paths.flatMap((p) => {
    if (statSync(p, { throwIfNoEntry: false })?.isDirectory()) {
      return readdirSync(p)
        .filter((f) => /\.(ya?ml|json)$/.test(f))
        .map((f) => join(p, f));
    }
    return [p];
  });
}

export function registerProfileCommand(program: Command): void {
  const profile = program.command('profile').description('Device profiles: validate profile files');
  profile
    .command('validate')
    .description('Check device profile files against the schema and the library rules; prints every error with file and path')
    .argument('<files...>', 'profile files (YAML or JSON) or folders')
    .addHelpText('after', '\nExample:\n  safeloop profile validate my-profiles/acme-gd100.yaml')
    .action((files: string[]) => {
      const results = validateProfileFiles(expand(files));
      let bad = 0;
      for (const r of results) {
        if (r.problems.length === 0) {
          process.stdout.write(`ok   ${r.file}\n`);
          continue;
        }
        bad++;
        for (const p of r.problems) process.stdout.write(`FAIL ${r.file}: ${p.path}: ${p.message}\n`);
      }
      process.stdout.write(`${results.length - bad} valid, ${bad} invalid\n`);
      if (bad > 0) process.exitCode = 1;
    });
}
