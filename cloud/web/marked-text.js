// Names inside a sentence (people, ids, usernames) are data, not words of the page: they are marked
// while the sentence is built so the page can set them apart (translate="no") and a language check can
// tell them from untranslated text. One marking for every view.
const OPEN = '\u0001';
const CLOSE = '\u0002';

/** A name marked for a sentence built with t(). */
export const markName = (name) => `${OPEN}${name}${CLOSE}`;

/** The sentence as plain text (marks removed). */
export const unmark = (s) => s.split(OPEN).join('').split(CLOSE).join('');

/** The sentence in pieces: `{ text }` words of the page and `{ name }` marked names; empty pieces left out. */
export function splitMarked(s) {
  const out = [];
  for (const piece of s.split(OPEN)) {
    const end = piece.indexOf(CLOSE);
    if (end < 0) {
      if (piece) out.push({ text: piece });
      continue;
    }
    out.push({ name: piece.slice(0, end) });
    if (end + 1 < piece.length) out.push({ text: piece.slice(end + 1) });
  }
  return out;
}
