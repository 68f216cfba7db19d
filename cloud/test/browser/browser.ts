/**
 * Debian chromium through playwright-core, with the flags that keep it quiet and offline
 * (RECIPES.md), and screenshot helpers: test-results/screenshots/ always, docs/screenshots/ too.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
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

/** Save a screenshot as a test artifact and as the current picture the README links. */
export async function screenshot(page: Page, name: string, fullPage = false): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  mkdirSync(DOCS_DIR, { recursive: true });
  const file = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  copyFileSync(file, join(DOCS_DIR, `${name}.png`));
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
