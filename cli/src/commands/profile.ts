/**
 * `safeloop profile list|show|validate` (issue 13): the profile library and a site's own profile
 * folders as a technician sees them. Every subcommand takes `--profile-dir` (repeatable), the same
 * folders a gateway config names in `profileDirs`.
 */
import type { Command } from 'commander';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SafeLoopError } from '@safeloop/contract';
import { ProfileCatalog, validateProfileFiles, type DeviceProfile } from '@safeloop/device-profiles';

function expand(paths: string[]): string[] {
  return paths.flatMap((p) => {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) throw new SafeLoopError('CLI_USAGE', `${p}: no such file or folder`);
    if (st.isDirectory()) {
      return readdirSync(p)
        .filter((f) => /\.(ya?ml|json)$/.test(f))
        .sort()
        .map((f) => join(p, f));
    }
    return [p];
  });
}

const collect = (v: string, acc: string[]): string[] => [...acc, v];

function describeLimits(limits: readonly { level: string; direction: string; value: number }[] | undefined): string {
  return (limits ?? []).map((l) => `${l.level} ${l.direction === 'high' ? '≥' : '≤'} ${l.value}`).join(', ');
}

function showProfile(p: DeviceProfile, file: string | undefined): string {
  const lines = [`${p.id} — ${p.name.zh} / ${p.name.en}`, `protocol: ${p.protocol}${file ? `   file: ${file}` : ''}`, 'points:'];
  for (const pt of p.points as readonly { id: string; name: { zh: string; en: string }; unit?: string; range?: { min: number; max: number }; limits?: { level: string; direction: string; value: number }[] }[]) {
    const range = pt.range ? ` range ${pt.range.min}–${pt.range.max}` : '';
    const limits = describeLimits(pt.limits);
    lines.push(`  ${pt.id}  ${pt.name.zh} / ${pt.name.en}${pt.unit ? `  [${pt.unit}]` : ''}${range}${limits ? `  limits: ${limits}` : ''}`);
  }
  return lines.join('\n');
}

export function registerProfileCommand(program: Command): void {
  const profile = program.command('profile').description('Device profiles: list, show and validate the library and your own profile folders');
  profile
    .command('list')
    .description('List every profile: the built-in library, then each --profile-dir (id, names, protocol, points, file)')
    .option('--profile-dir <dir>', 'a folder of extra profile files (repeatable)', collect, [] as string[])
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  safeloop profile list\n  safeloop profile list --profile-dir examples/site-profiles')
    .action((opts: { profileDir: string[]; json?: boolean }) => {
      const catalog = ProfileCatalog.load({ dirs: opts.profileDir });
      const rows = catalog.entries().map((e) => ({ id: e.profile.id, zh: e.profile.name.zh, en: e.profile.name.en, protocol: e.profile.protocol, points: e.profile.points.length, file: e.file, library: e.library }));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      for (const r of rows) process.stdout.write(`${r.id}\t${r.zh} / ${r.en}\t${r.protocol}\t${r.points} points\t${r.library ? '(library)' : r.file}\n`);
      process.stdout.write(`${rows.length} profiles\n`);
    });
  profile
    .command('show')
    .description('Print one profile as the gateway resolves it (extends applied): points, units, ranges, limits')
    .argument('<profile>', 'profile id, or the path of a profile file')
    .option('--profile-dir <dir>', 'a folder of extra profile files (repeatable)', collect, [] as string[])
    .option('--json', 'print the resolved profile as JSON')
    .addHelpText('after', '\nExamples:\n  safeloop profile show generic-catalytic-lel\n  safeloop profile show examples/site-profiles/acme-gd100.yaml')
    .action((ref: string, opts: { profileDir: string[]; json?: boolean }) => {
      const catalog = ProfileCatalog.load({ dirs: opts.profileDir });
      const p = catalog.get(ref);
      process.stdout.write(opts.json ? `${JSON.stringify(p, null, 2)}\n` : `${showProfile(p, catalog.find(p.id)?.file)}\n`);
    });
  profile
    .command('validate')
    .description('Check profile files against the schema and the library rules; every error of every file with file and path, exit 1 if any')
    .argument('<files...>', 'profile files (YAML or JSON) or folders')
    .addHelpText('after', '\nExamples:\n  safeloop profile validate examples/site-profiles/acme-gd100.yaml\n  safeloop profile validate device-profiles/profiles')
    .action((files: string[]) => {
      const list = expand(files);
      if (list.length === 0) throw new SafeLoopError('CLI_USAGE', `no profile files (*.yaml, *.yml, *.json) in ${files.join(', ')}`);
      const results = validateProfileFiles(list);
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
