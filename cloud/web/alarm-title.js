// The cloud writes its own alarm titles in both languages as `中文 / English`; show the half of the
// page's language. Titles written by rule files (one language, as their author wrote them) pass through.
import { getLang } from './i18n.js';

const CJK = /[\u3400-\u9fff]/;
const SEP = ' / ';

export function splitTitle(title) {
  const s = String(title ?? '');
  for (let i = s.indexOf(SEP); i >= 0; i = s.indexOf(SEP, i + 1)) {
    const zh = s.slice(0, i);
    const en = s.slice(i + SEP.length);
    if (CJK.test(zh) && !CJK.test(en)) return { zh, en };
  }
  return null;
}

export function titleIn(title, lang = getLang()) {
  const parts = splitTitle(title);
  if (!parts) return title;
  return lang === 'en' ? parts.en : parts.zh;
}

/** An alarm's title in the page's language (the point or id when it has none). */
export function alarmTitle(a) {
  return titleIn(a?.title ?? a?.point ?? a?.id ?? '');
}
