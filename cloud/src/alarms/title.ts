/**
 * Titles the cloud writes itself (system, integrity, gateway alarms) carry both languages as
 * `中文 / English`, each half complete; the dashboard shows the half of the page's language
 * (cloud/web/alarm-title.js) and SMS use the Chinese one. Titles from rule files are shown as written.
 */
export const TITLE_SEPARATOR = ' / ';

export function bilingualTitle(zh: string, en: string): string {
  return `${zh}${TITLE_SEPARATOR}${en}`;
}

const CJK = /[\u3400-\u9fff]/;

/** True when the text holds Chinese characters. */
export function hasChinese(text: string): boolean {
  return CJK.test(text);
}

/**
 * The two halves of a bilingual title: split at the first separator with Chinese before it and none
 * after it. Undefined for a one-language title.
 */
export function splitBilingualTitle(title: string): { zh: string; en: string } | undefined {
  for (let i = title.indexOf(TITLE_SEPARATOR); i >= 0; i = title.indexOf(TITLE_SEPARATOR, i + 1)) {
    const zh = title.slice(0, i);
    const en = title.slice(i + TITLE_SEPARATOR.length);
    if (CJK.test(zh) && !CJK.test(en)) return { zh, en };
  }
  return undefined;
}

/** The Chinese half of a bilingual title (SMS, calls and work chat are in Chinese); other titles as they are. */
export function chineseTitle(title: string): string {
  return splitBilingualTitle(title)?.zh ?? title;
}
