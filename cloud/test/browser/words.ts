/**
 * The "one language per screen" check: visible text in Chinese pages must not carry Latin words
 * outside an allow-list (units, the product name, the language switch), and English pages must not
 * carry Chinese characters. Names that are data (site names, alarm titles as the rule wrote them)
 * are marked translate="no" in the page and skipped.
 */
import type { Page } from 'playwright-core';

/** Latin tokens a Chinese screen may show: product name, language switch, units. */
export const ZH_LATIN_ALLOWED = ['SafeLoop', 'English', 'LEL', 'mg', 'm3', 'ppm', 'kPa', 'MPa', 'min', 'h'];
/** Chinese a English screen may show: the language switch. */
export const EN_CJK_ALLOWED = ['中文'];

const SCAN = `((args) => {
  const [lang, allowed] = args;
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest('[translate="no"], script, style, noscript, [hidden], dialog:not([open])')) continue;
    if (!el.getClientRects().length) continue;
    let text = n.textContent || '';
    for (const a of allowed) text = text.split(a).join(' ');
    const bad = lang === 'zh' ? text.match(/[A-Za-z]{2,}/g) : text.match(/[\\u3400-\\u9fff]+/g);
    if (bad) found.push(bad.join(' ') + ' in ' + el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className ? '.' + String(el.className).split(' ').join('.') : '') + ' "' + (n.textContent || '').trim().slice(0, 60) + '"');
  }
  return found;
})`;

export async function untranslatedText(page: Page, lang: 'zh' | 'en'): Promise<string[]> {
  const args = JSON.stringify([lang, lang === 'zh' ? ZH_LATIN_ALLOWED : EN_CJK_ALLOWED]);
  return page.evaluate<string[]>(`${SCAN}(${args})`);
}

/** Console errors and uncaught exceptions of a page. */
export function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  return errors;
}
