/**
 * Debian chromium through playwright-core, with the flags that keep it quiet and offline
 * (RECIPES.md), and screenshot helpers: test-results/screenshots/ always, docs/screenshots/ too.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

const ROOT = new URL('../../../', import.meta.url).pathname;
export const SCREENSHOT_DIR = join(ROOT, 'test-results', 'screenshots');
const DOCS_DIR = join(ROOT, 'docs', 'screenshots');

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

/**
 * Save a screenshot as a test artifact (test-results/screenshots/). The picture the README links
 * (docs/screenshots/) is written when missing or when SAFELOOP_UPDATE_SCREENSHOTS=1, so an ordinary
 * test run leaves the tracked files alone.
 */
export async function screenshot(page: Page, name: string, fullPage = false): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  const doc = join(DOCS_DIR, `${name}.png`);
  if (process.env.SAFELOOP_UPDATE_SCREENSHOTS === '1' || !existsSync(doc)) {
    mkdirSync(DOCS_DIR, { recursive: true });
    copyFileSync(file, doc);
  }
}

/** Collect page errors so a test can assert the page ran without uncaught exceptions. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

export async function logIn(page: Page, baseUrl: string, username: string, password = 'safeloop'): Promise<void> {
  await page.goto(`${baseUrl}/#/login`);
  await page.getByLabel(/用户名|User name/).fill(username);
  await page.getByLabel(/密码|Password/).fill(password);
  await page.locator('#login-submit').click();
  await page.locator('#sites-heading').waitFor();
}

/**
 * Basic accessibility checks on what the page shows now: every form control and button has an
 * accessible name, and text on chips, badges, buttons and rows has WCAG AA contrast (≥ 4.5:1)
 * against its effective background. Returns the problems found (empty when all is well).
 * Plain JavaScript run in the page (a string, so the TypeScript loader adds no helpers to it).
 */
const ACCESSIBILITY_AUDIT = `(() => {
    const problems = [];
    const describe = (el) => \`\${el.tagName.toLowerCase()}\${el.id ? \`#\${el.id}\` : ''}.\${[...el.classList].join('.')} "\${(el.textContent ?? '').trim().slice(0, 30)}"\`;
    for (const el of document.querySelectorAll('input, select, textarea, button')) {
      const c = el;
      if (c.type === 'hidden' || c.closest('[hidden]')) continue;
      const named = (c.labels && c.labels.length > 0) || c.getAttribute('aria-label') || c.getAttribute('aria-labelledby') || (el.tagName === 'BUTTON' && (el.textContent ?? '').trim());
      if (!named) problems.push(\`no accessible name: \${describe(el)}\`);
    }
    const parse = (s) => {
      const m = s.match(/rgba?\\(([^)]+)\\)/);
      if (!m?.[1]) return [0, 0, 0, 0];
      const p = m[1].split(',').map((x) => Number(x.trim()));
      return [p[0] ?? 0, p[1] ?? 0, p[2] ?? 0, p[3] ?? 1];
    };
    const lum = ([r, g, b]) => {
      const f = (v) => {
        const c = v / 255;
        return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(r ?? 0) + 0.7152 * f(g ?? 0) + 0.0722 * f(b ?? 0);
    };
    const background = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const bg = parse(getComputedStyle(e).backgroundColor);
        if (bg[3] > 0.5) return bg;
      }
      return [255, 255, 255, 1];
    };
    for (const el of document.querySelectorAll('.chip, .badge, .btn, .alarm-title, .alarm-state, .muted, .quality, th, td, label, a')) {
      if (!el.offsetParent || !(el.textContent ?? '').trim()) continue;
      const fg = parse(getComputedStyle(el).color);
      const bg = background(el);
      const l1 = lum(fg);
      const l2 = lum(bg);
      const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
      if (ratio < 4.5) problems.push(\`contrast \${ratio.toFixed(2)}:1 < 4.5: \${describe(el)}\`);
    }
    return problems;
})()`;

export async function accessibilityProblems(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(ACCESSIBILITY_AUDIT);
}
