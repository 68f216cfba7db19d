// Copies the browser builds the dashboard needs from node_modules into cloud/web/vendor/ (no
// network; run by `npm start`'s prestart and by the browser tests). Idempotent: skips an up-to-date copy.
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '..', 'package.json'));

const FILES = [{ from: 'echarts/dist/echarts.min.js', to: 'echarts.min.js' }];

export function buildVendor() {
  const outDir = join(here, 'vendor');
  mkdirSync(outDir, { recursive: true });
  const copied = [];
  for (const f of FILES) {
    const src = require.resolve(f.from);
    const dst = join(outDir, f.to);
    let fresh = false;
    try {
      fresh = statSync(dst).size === statSync(src).size && statSync(dst).mtimeMs >= statSync(src).mtimeMs;
    } catch {
      fresh = false;
    }
    if (!fresh) {
      copyFileSync(src, dst);
      copied.push(dst);
    }
  }
  return copied;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) buildVendor();
