#!/usr/bin/env node
// The precompiled `safeloop` program for gateways (and every other command): the TypeScript of the
// workspaces bundled by esbuild into dist/cli/ (one chunk per lazily loaded command, so `safeloop
// gateway` loads neither the cloud nor the simulators), third-party packages left to node_modules, the
// profile library copied to dist/profiles/ where the bundled catalog looks for it. Running it needs no
// TypeScript loader: ≈ 20–35 MiB less memory and no compile at start (docs/BENCHMARKS.md, round 4).
//   npm run build:gateway [-- --outdir DIR]   then   node dist/cli/safeloop.js gateway --config gateway.yaml
import { cp, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(new URL('..', import.meta.url).pathname);
const at = process.argv.indexOf('--outdir');
const out = at > 0 && process.argv[at + 1] ? resolve(process.argv[at + 1]) : join(root, 'dist');

/** Our workspaces (@safeloop/*) and relative files are bundled; every other package is loaded from node_modules. */
const thirdPartyExternal = {
  name: 'third-party-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@safeloop/') || args.path.startsWith('node:') ? undefined : { path: args.path, external: true }));
  },
};

await rm(join(out, 'cli'), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { safeloop: 'cli/src/main.ts' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  splitting: true,
  outdir: join(out, 'cli'),
  plugins: [thirdPartyExternal],
  sourcemap: 'linked',
  logLevel: 'warning',
});
// device-profiles/src/catalog.ts finds the library at ../profiles/ from its own module: dist/profiles/.
await rm(join(out, 'profiles'), { recursive: true, force: true });
await cp(join(root, 'device-profiles/profiles'), join(out, 'profiles'), { recursive: true });
process.stdout.write(`built ${join(out, 'cli/safeloop.js')}\n`);
