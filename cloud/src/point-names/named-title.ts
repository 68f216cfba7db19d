/**
 * Put a point's human name into an alarm title where the title names the point by its path.
 * Titles the cloud writes carry both languages (`中文 / English`, alarms/title.ts): the Chinese half
 * gets the Chinese label, the English half the English one, so each half stays in one language.
 * Where only the English half names the point (`二级报警 / Level 2 alarm: site/device/point`), the
 * Chinese half gets the Chinese label after a colon, so a Chinese reader sees which point too.
 * A one-language title (a rule file's own wording) gets the label of its language. A title that
 * does not contain the path is returned as it is.
 */
import { TITLE_SEPARATOR, hasChinese, splitBilingualTitle } from '../alarms/title.ts';
import type { PointLabel } from './point-names.ts';

export function namedTitle(title: string, path: string, label: Pick<PointLabel, 'zh' | 'en'>): string {
  if (!title.includes(path)) return title;
  const halves = splitBilingualTitle(title);
  if (halves) {
    const en = hasChinese(label.en) ? halves.en : halves.en.replaceAll(path, label.en);
    const zh = halves.zh.includes(path) ? halves.zh.replaceAll(path, label.zh) : `${halves.zh}：${label.zh}`;
    return `${zh}${TITLE_SEPARATOR}${en}`;
  }
  return title.replaceAll(path, hasChinese(title) ? label.zh : label.en);
}
